"""The continuous-batching engine on a small random GRU (no training): batching does not
change greedy outputs; max/min tokens, ignore_eos, cancellation."""

import time

import numpy as np
import pytest

from mlpace.workloads import textgen_model as tm
from mlpace.workloads.textgen_engine import Engine, Generation


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(1)
    H, E = 24, 8
    w = {"embed": rng.normal(size=(tm.VOCAB, E)), "pos": rng.normal(size=(tm.MAX_POS, E)),
         "w_ih": rng.normal(size=(3 * H, E)), "w_hh": rng.normal(size=(3 * H, H)) * 0.5,
         "b_ih": rng.normal(size=3 * H), "b_hh": rng.normal(size=3 * H),
         "w_out": rng.normal(size=(tm.VOCAB, H)), "b_out": rng.normal(size=tm.VOCAB)}
    w["b_out"][tm.EOS] += 3.0  # make EOS likely so min_tokens matters
    return tm.GRU(w)


def reference_greedy(model, prompt, max_tokens, min_tokens=0):
    """Plain one-sequence greedy decoding, written independently of the engine."""
    feed = [tm.BOS] + list(prompt)
    h = model.zero_state(1)
    for pos, t in enumerate(feed):
        logits, h = model.step(np.array([t]), np.array([pos]), h)
    out = []
    pos = len(feed)
    while True:
        row = logits[0].copy()
        if len(out) < min_tokens:
            row[tm.EOS] = -np.inf
        t = int(row.argmax())
        out.append(t)
        if t == tm.EOS or len(out) >= max_tokens:
            return out
        logits, h = model.step(np.array([t]), np.array([pos]), h)
        pos += 1


def test_batched_outputs_equal_one_at_a_time(model):
    prompts = [tm.encode(f"prompt number {i} " * (1 + i % 3)) for i in range(40)]
    eng = Engine(model, max_batch=8)
    try:
        gens = [eng.submit(Generation(p, 30, 2)) for p in prompts]
        outs = [g.wait(60) for g in gens]
    finally:
        eng.close()
    assert eng.steps < sum(len(p) + 1 + len(o) for p, o in zip(prompts, outs))  # sequences shared steps
    for p, o, g in zip(prompts, outs, gens):
        assert o == reference_greedy(model, p, 30, 2)
        assert g.finish_reason == ("stop" if o[-1] == tm.EOS else "length")
        assert len(o) >= 2 and tm.EOS not in o[:2]


def test_ignore_eos_and_cancel(model):
    eng = Engine(model, max_batch=4)
    try:
        out = eng.generate(tm.encode("abc"), 25, ignore_eos=True)
        assert len(out) == 25 and tm.EOS not in out
        seen = []
        g = Generation(tm.encode("abc"), 10_000, ignore_eos=True, on_token=lambda g, t: seen.append(t))
        eng.submit(g)
        deadline = time.monotonic() + 30
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert len(seen) >= 3
        eng.cancel(g)
        g.wait(10)
        assert g.finish_reason == "cancelled" and len(g.tokens) < 10_000
    finally:
        eng.close()
    with pytest.raises(ValueError):
        Engine(model, max_batch=0)


def test_idle_engine_leaves_blas_threads_as_they_were(model):
    """The one-thread BLAS limit is process-wide: held while generating, released when idle
    (a leaked limit made another workload's training differ from its cached model)."""
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    during = []
    eng = Engine(model, max_batch=4)
    try:
        eng.generate(tm.encode("abc"), 5)
        g = Generation(tm.encode("abc"), 40, on_token=lambda g, t: during.append(blas_threads()))
        eng.submit(g).wait(30)
        deadline = time.monotonic() + 10
        while blas_threads() != before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert blas_threads() == before
        assert during  # tokens were generated while the engine held the limit
    finally:
        eng.close()


def test_blas_limit_is_counted_across_engines():
    """Two busy engines: the first to go idle must not lift the limit the other relies on."""
    from threadpoolctl import threadpool_info

    from mlpace.workloads.textgen_engine import _ONE_BLAS_THREAD

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    _ONE_BLAS_THREAD.acquire()
    _ONE_BLAS_THREAD.acquire()
    try:
        _ONE_BLAS_THREAD.release()
        assert _ONE_BLAS_THREAD._limiter is not None  # still held for the busy engine
    finally:
        _ONE_BLAS_THREAD.release()
    assert _ONE_BLAS_THREAD._limiter is None
    assert blas_threads() == before

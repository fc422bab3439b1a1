"""TTFT/TPOT through the LoadGen's first-token path match the server's own timing.

The test server injects TTFT 30 ms and 4 ms between tokens and measures what it really
did (request arrival -> first token written; mean gap between tokens), on the same
monotonic clock. Tolerances, on the run's medians (a single scheduling stall of an
overloaded box moves a mean of ~10 samples by more than the client's error): the LoadGen
TTFT is never below the server's (it counts from the issue, before the request left) and
at most TTFT_TOL above it (send + loopback + parsing: 2-4 ms measured on this box, which
is 2 cores shared by several jobs with load average above 10, hence 15 ms); TPOT within
TPOT_TOL of the server's (chunk arrival jitter on both sides).
"""

from __future__ import annotations

import numpy as np
import pytest

from mlpace.endpoints.testing import ServerProcess

from .conftest import run_once

TTFT_MS, TPOT_MS, TOKENS = 30.0, 4.0, 8
TTFT_TOL_NS = 15_000_000
TPOT_TOL_NS = 2_000_000


@pytest.fixture(scope="module")
def timed_server():
    with ServerProcess(ttft_ms=TTFT_MS, tpot_ms=TPOT_MS, tokens=TOKENS) as srv:
        yield srv


def truth(srv) -> tuple[float, float]:
    """Server-side (median TTFT, median TPOT) in ns, LoadGen's percentile rule."""
    t = np.array(srv.stats()["truth"], dtype=np.int64)
    ttft = np.sort(t[:, 1] - t[:, 0])
    tpot = np.sort((t[:, 2] - t[:, 1]) // (t[:, 3] - 1))
    return float(ttft[len(ttft) // 2]), float(tpot[len(tpot) // 2])


@pytest.mark.parametrize("scenario,api", [("SingleStream", "openai-chat"), ("Server", "openai-chat"),
                                          ("SingleStream", "openai-completions")])
def test_streamed_ttft_tpot_match_server_truth(tmp_path, timed_server, scenario, api):
    timed_server.control(fail="none")
    result, sut = run_once(tmp_path, timed_server.url, scenario, api=api, min_duration_ms=500,
                           server_target_qps=15)
    m = result.metrics
    true_ttft, true_tpot = truth(timed_server)
    assert true_ttft >= TTFT_MS * 1e6 and true_tpot >= TPOT_MS * 0.9e6  # the server slept at least that
    st = sut.history[-1]
    assert st.failed == 0 and st.ok == m["sample_count"] >= 8
    assert m["token_count"] == TOKENS * m["sample_count"]  # usage.completion_tokens, per sample
    assert 0 <= m["p50_ttft_ns"] - true_ttft <= TTFT_TOL_NS, (m["p50_ttft_ns"], true_ttft)
    assert abs(m["p50_tpot_ns"] - true_tpot) <= TPOT_TOL_NS, (m["p50_tpot_ns"], true_tpot)
    summary = result.summary_path.read_text()
    assert "Mean First Token latency (ns)" in summary and "Mean Time per Output Token (ns)" in summary


def test_not_streamed_first_token_is_the_answer(tmp_path, timed_server):
    timed_server.control(fail="none")
    result, sut = run_once(tmp_path, timed_server.url, "SingleStream", stream=False, min_duration_ms=400)
    m = result.metrics
    assert sut.history[-1].failed == 0
    # one JSON answer: the first token is seen with the last, so TTFT = latency, TPOT ~ 0
    assert m["mean_tpot_ns"] < 100_000
    assert m["mean_ttft_ns"] >= (TTFT_MS + (TOKENS - 1) * TPOT_MS) * 1e6
    assert abs(m["mean_ttft_ns"] - m["mean_latency_ns"]) < 2_000_000  # up to the client's bookkeeping


def test_two_endpoints_share_the_load(tmp_path, timed_server):
    timed_server.control(fail="none")
    with ServerProcess(ttft_ms=5, tpot_ms=1, tokens=4) as other:
        result, sut = run_once(tmp_path, [timed_server.url, other.url], "Server", min_duration_ms=400,
                               server_target_qps=30)
        a, b = timed_server.stats()["requests"], other.stats()["requests"]
    assert sut.history[-1].failed == 0
    assert a + b == sut.history[-1].requests and abs(a - b) <= 1  # round robin
    # per node: the counts each server saw, and a request time no shorter than its injected one
    nodes = sut.history[-1].per_endpoint
    assert [n["requests"] for n in nodes] == [a, b] and all(n["ok"] == n["requests"] for n in nodes)
    assert nodes[1]["p50_ns"] >= (5 + 3 * 1) * 1e6
    detail = (tmp_path / "mlperf_log_detail.txt").read_text() if (tmp_path / "mlperf_log_detail.txt").exists() \
        else next(tmp_path.rglob("mlperf_log_detail.txt")).read_text()
    assert '"mlpace_endpoint_per_node"' in detail and other.url in detail

"""Seeded query generation: loadable sets, sample order and arrival times, as arrays.

Everything a run will issue is decided here, before the clock starts, from the
three seeds (``qsl_rng_seed``: which samples are loaded; ``sample_index_rng_seed``:
which loaded sample each query uses; ``schedule_rng_seed``: Server arrival times).
The same seeds always give the same arrays. Each seed drives its own numpy
``Generator`` (PCG64), so the sequences are reproducible across platforms but are
not the ones the C++ LoadGen draws from ``std::mt19937``.

The query-count rule is the official one: queries are generated while the
previous query's timestamp is below the generation duration (``min_duration``
for Server, twice that for the others) or fewer than ``min_query_count`` exist,
capped by ``max_query_count``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlpace.loadgen.effective import EffectiveSettings
from mlpace.loadgen.settings import TestScenario


@dataclass(frozen=True)
class QueryPlan:
    """What one phase of a run will issue.

    ``sample_index[i]`` is the QSL index of sample ``i`` (its response id is
    ``i``); query ``q`` holds samples ``q*spq .. q*spq+spq-1``.
    ``scheduled_ns[q]`` is the query's offset from the start of the phase
    (Server arrivals; the nominal timeline for the others).
    """

    sample_index: np.ndarray  # int64, one per sample
    samples_per_query: int
    scheduled_ns: np.ndarray  # int64, one per query
    duration_ns: int  # the generated timeline's length (``generated_query_duration``)

    @property
    def query_count(self) -> int:
        return len(self.scheduled_ns)

    @property
    def sample_count(self) -> int:
        return len(self.sample_index)


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(int(seed)))


def loadable_sets(total: int, set_size: int, qsl_rng_seed: int) -> list[np.ndarray]:
    """Shuffle all QSL indices with ``qsl_rng_seed`` and cut them into sets of ``set_size``."""
    order = _rng(qsl_rng_seed).permutation(total).astype(np.int64)
    set_size = max(1, min(set_size, total))
    return [order[i : i + set_size] for i in range(0, total, set_size)]


def performance_set(eff: EffectiveSettings, total: int) -> np.ndarray:
    """The one set loaded in performance mode: the first ``performance_sample_count``
    indices of the seeded shuffle (repeated if the override asks for more than exist)."""
    order = _rng(eff.qsl_rng_seed).permutation(total).astype(np.int64)
    n = eff.performance_sample_count
    if n <= total:
        return order[:n]
    return np.resize(order, n)


def _query_count(eff: EffectiveSettings, gen_duration_ns: float, period_ns: float) -> int:
    """Official count for a constant period: q_k exists iff q_{k-1}'s timestamp < duration."""
    # count of k >= 0 with (k-1)*period < duration
    n = int(np.ceil(gen_duration_ns / period_ns)) + 1 if gen_duration_ns > 0 else 1
    n = max(n, eff.min_query_count, 1)
    if eff.max_query_count:
        n = min(n, eff.max_query_count)
    return n


def _server_timeline(eff: EffectiveSettings, rng: np.random.Generator, gen_duration_ns: float):
    """Poisson arrivals at ``target_qps``: exponential gaps, cumulative, drawn in chunks."""
    mean_gap = 1e9 / eff.target_qps
    chunks: list[np.ndarray] = []
    last = 0.0
    count = 0
    cap = eff.max_query_count or None
    while True:
        expected = int((gen_duration_ns - last) / mean_gap) if gen_duration_ns > last else 0
        size = max(1024, int(expected * 1.05) + 64, eff.min_query_count - count)
        ts = last + np.cumsum(rng.exponential(mean_gap, size))
        chunks.append(ts)
        count += size
        last = float(ts[-1])
        if last >= gen_duration_ns and count >= eff.min_query_count:
            break
    ts = np.concatenate(chunks)
    # q_k exists iff q_{k-1} < gen_duration (or fewer than min_query_count exist)
    below = int(np.searchsorted(ts, gen_duration_ns, side="left"))  # ts[:below] < duration
    n = max(below + 1, eff.min_query_count, 1)
    if cap:
        n = min(n, cap)
    ts = ts[:n]
    return ts.astype(np.int64), int(ts[-1]) if n else 0


def _pick_samples(eff: EffectiveSettings, loaded: np.ndarray, count: int, rng, equal_issue: bool):
    if eff.performance_issue_same:
        same = loaded[eff.performance_issue_same_index % len(loaded)]
        return np.full(count, same, dtype=np.int64)
    if eff.performance_issue_unique or equal_issue or eff.sample_concatenate_permutation:
        reps = -(-count // len(loaded))
        perms = [loaded[rng.permutation(len(loaded))] for _ in range(reps)]
        return np.concatenate(perms)[:count].astype(np.int64)
    return loaded[rng.integers(0, len(loaded), size=count)].astype(np.int64)


def performance_plan(eff: EffectiveSettings, loaded: np.ndarray) -> QueryPlan:
    """Generate the performance-mode queries of a run."""
    sample_rng = _rng(eff.sample_index_rng_seed)
    spq = eff.samples_per_query
    min_ns = eff.min_duration_ms * 1_000_000
    if eff.scenario is TestScenario.Offline:
        idx = _pick_samples(eff, loaded, spq, sample_rng, equal_issue=True)
        return QueryPlan(idx, spq, np.zeros(1, dtype=np.int64), 1_000_000)
    if eff.scenario is TestScenario.Server:
        ts, dur = _server_timeline(eff, _rng(eff.schedule_rng_seed), float(min_ns))
        idx = _pick_samples(eff, loaded, len(ts), sample_rng, equal_issue=False)
        return QueryPlan(idx, 1, ts, dur)
    period = 1e9 / eff.target_qps
    n = _query_count(eff, 2.0 * min_ns, period)
    ts = (np.arange(n, dtype=np.float64) * period).astype(np.int64)
    idx = _pick_samples(eff, loaded, n * spq, sample_rng, equal_issue=False)
    return QueryPlan(idx, spq, ts, int(round(n * period)))


def accuracy_plan(eff: EffectiveSettings, loaded: np.ndarray) -> QueryPlan:
    """Accuracy mode: every sample of the loaded set exactly once, in the scenario's
    query shape (Offline: one query; MultiStream: groups, the last one padded by
    repeating samples so every query is full)."""
    spq = eff.samples_per_query
    n = len(loaded)
    if eff.scenario is TestScenario.Offline:
        return QueryPlan(loaded.astype(np.int64), n, np.zeros(1, dtype=np.int64), 1_000_000)
    if eff.scenario is TestScenario.MultiStream:
        nq = -(-n // spq)
        idx = np.resize(loaded.astype(np.int64), nq * spq)
    else:
        nq = n
        idx = loaded.astype(np.int64)
    if eff.scenario is TestScenario.Server:
        gaps = _rng(eff.schedule_rng_seed).exponential(1e9 / eff.target_qps, nq)
        ts = np.cumsum(gaps).astype(np.int64)
    else:
        ts = (np.arange(nq) * (1e9 / eff.target_qps)).astype(np.int64)
    return QueryPlan(idx, spq if eff.scenario is TestScenario.MultiStream else 1, ts, int(ts[-1]) if nq else 0)


def accuracy_log_mask(eff: EffectiveSettings, sample_count: int, expected_count: float) -> np.ndarray | None:
    """Which samples of a performance run have their responses logged (TEST01 sampling).

    ``accuracy_log_probability`` gives the chance per sample; a non-zero
    ``accuracy_log_sampling_target`` sets it to target / expected sample count.
    Returns None when nothing is logged.
    """
    prob = eff.accuracy_log_probability
    if eff.accuracy_log_sampling_target:
        prob = min(1.0, eff.accuracy_log_sampling_target / max(expected_count, 1.0))
    if prob <= 0:
        return None
    return _rng(eff.accuracy_log_rng_seed).random(sample_count) < prob

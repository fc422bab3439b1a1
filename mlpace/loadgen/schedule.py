"""Seeded query generation: loadable sets, sample order and arrival times, as arrays.

Everything a run will issue is decided here, before the clock starts, from the
seeds, exactly as the official LoadGen 6.0.17 decides it (``GenerateLoadableSets``
and ``GenerateQueries`` in ``loadgen.cc``), with the C++ random engines and
distributions reproduced bit for bit by ``stdrandom``:

* ``qsl_rng_seed`` shuffles the candidate QSL indices (performance mode: the first
  ``performance_sample_count``; accuracy mode: the first ``accuracy_sample_count``),
  cut into sets of ``performance_sample_count``; MultiStream sets are padded with
  their own first ``samples_per_query - 1`` indices.
* ``sample_index_rng_seed`` drives, in this order, the accuracy-mode shuffle of
  the set, the ``performance_issue_unique`` shuffle, the equal-issue shuffles, and
  then one uniform draw per sample (per query in MultiStream: the start of a run
  of contiguous samples).
* ``schedule_rng_seed`` draws the Server's exponential gaps (truncated to whole
  nanoseconds); the other scenarios use a constant period of ``1 / target_qps``.
* every generated sample takes one ``uniform_real`` draw from a ``std::mt19937``
  with its default seed (5489) that runs across all phases of a test; a
  performance-mode response is logged when that draw plus an offset drawn from
  ``accuracy_log_rng_seed`` (mod 1) is at most the logging probability.

The query count is the official one: queries are generated while the previous
query's timestamp is below the generation duration (``min_duration`` for Server,
twice that for the others; 0 in accuracy mode and with ``performance_issue_unique``)
or fewer than the minimum query count exist. ``max_query_count`` does not cap
the plan; the issue loop stops there, as officially.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlpace.errors import ConfigError
from mlpace.loadgen import stdrandom
from mlpace.loadgen.effective import EffectiveSettings
from mlpace.loadgen.settings import TestScenario

# std::mt19937's default seed: the official SequenceGen never reseeds its
# accuracy-log engine, so every test draws from this one.
ACCURACY_LOG_SEQUENCE_SEED = 5489


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


# --------------------------------------------------------------------------- loadable sets
def _padding(eff: EffectiveSettings) -> int:
    return eff.samples_per_query - 1 if eff.scenario is TestScenario.MultiStream else 0


def loadable_sets(count: int, set_size: int, qsl_rng_seed: int, padding: int = 0) -> list[np.ndarray]:
    """Shuffle QSL indices ``0 .. count-1`` with ``qsl_rng_seed`` and cut them into
    sets of ``set_size``; each set is then padded with its own first ``padding`` indices."""
    order = stdrandom.shuffle(stdrandom.Stream(qsl_rng_seed), np.arange(count, dtype=np.int64))
    set_size = max(1, set_size)
    sets = [order[i : i + set_size] for i in range(0, count, set_size)]
    if padding:
        sets = [np.concatenate([s, s[np.arange(padding) % len(s)]]) for s in sets]
    return sets


def accuracy_sets(eff: EffectiveSettings, total: int) -> list[np.ndarray]:
    """The sets accuracy mode loads one after the other (they cover
    ``min(accuracy_sample_count, total)`` indices)."""
    return loadable_sets(min(eff.accuracy_sample_count, total), eff.performance_sample_count,
                         eff.qsl_rng_seed, _padding(eff))


def performance_set(eff: EffectiveSettings, total: int) -> np.ndarray:
    """The one set loaded in performance mode: a seeded shuffle of the first
    ``min(performance_sample_count, total)`` QSL indices (MultiStream: padded)."""
    count = min(eff.performance_sample_count, total)
    return loadable_sets(count, count, eff.qsl_rng_seed, _padding(eff))[0]


# --------------------------------------------------------------------------- queries
def _query_count(timestamps_below: int, gen_duration_ns: int, min_queries: int) -> int:
    """Official loop count: ``timestamps_below`` queries are scheduled before ``gen_duration_ns``."""
    if gen_duration_ns <= 0:
        return min_queries
    return max(timestamps_below + 1, min_queries)


def _equal_issue_count(timestamps_below: int, min_queries: int, set_len: int) -> int:
    """Count when equal issue bumps the minimum by a whole set each time it is reached early."""
    if min_queries > timestamps_below:
        return min_queries
    return min_queries + set_len * ((timestamps_below - min_queries) // set_len + 1)


def _server_timeline(eff: EffectiveSettings, gen_duration_ns: int, min_queries: int,
                     equal_issue_set: int) -> tuple[np.ndarray, int]:
    """Exponential arrivals; returns (timestamps of the generated queries, duration)."""
    stream = stdrandom.Stream(eff.schedule_rng_seed)
    mean_ns = 1e9 / eff.target_qps
    ts = np.zeros(1, dtype=np.int64)  # ts[k]: query k; ts[n] is the generated duration
    n = 0
    while True:
        if gen_duration_ns <= 0 or ts[-1] >= gen_duration_ns:
            below = int(np.searchsorted(ts, gen_duration_ns, side="left")) if gen_duration_ns > 0 else 0
            if equal_issue_set and gen_duration_ns > 0:
                n = _equal_issue_count(below, min_queries, equal_issue_set)
            else:
                n = _query_count(below, gen_duration_ns, min_queries)
            if len(ts) > n:
                break
        want = max(n + 1, int(gen_duration_ns / mean_ns * 1.02) + 64)
        gaps = stdrandom.seconds_to_ns(stdrandom.exponential(stream, max(want - len(ts), 64),
                                                             eff.target_qps))
        ts = np.concatenate([ts, ts[-1] + np.cumsum(gaps)])
    return ts[:n], int(ts[n])


def _constant_timeline(eff: EffectiveSettings, gen_duration_ns: int, min_queries: int,
                       equal_issue_set: int) -> tuple[np.ndarray, int]:
    period = int(stdrandom.seconds_to_ns(np.array([1.0 / eff.target_qps]))[0])
    if period <= 0 and gen_duration_ns > 0:
        raise ConfigError(f"target_qps {eff.target_qps} gives a zero query period")
    if gen_duration_ns > 0:
        below = -(-gen_duration_ns // period)  # how many k have k*period < duration
    else:
        below = 0
    if equal_issue_set and gen_duration_ns > 0:
        n = _equal_issue_count(below, min_queries, equal_issue_set)
    else:
        n = _query_count(below, gen_duration_ns, min_queries)
    return np.arange(n, dtype=np.int64) * period, n * period


def _generate(eff: EffectiveSettings, loaded: np.ndarray, accuracy: bool) -> QueryPlan:
    """``GenerateQueries`` for one loaded set (``loaded`` includes MultiStream padding)."""
    scen = eff.scenario
    multistream = scen is TestScenario.MultiStream
    offline = scen is TestScenario.Offline
    set_len = len(loaded)
    end = set_len - _padding(eff)  # sample_distribution_end
    spq = end if (accuracy and offline) else eff.samples_per_query
    gen_ns = (1 if scen is TestScenario.Server else 2) * eff.target_duration_ms * 1_000_000
    min_q = eff.min_query_count
    if accuracy or eff.performance_issue_unique:
        gen_ns = 0
        min_q = set_len // spq

    sample_rng = stdrandom.Stream(eff.sample_index_rng_seed)
    stride = spq if multistream else 1
    candidates = np.arange(0, end, stride, dtype=np.int64)
    in_order = stdrandom.shuffle(sample_rng, candidates) if accuracy else None
    unique = stdrandom.shuffle(sample_rng, candidates)
    equal_issue = eff.sample_concatenate_permutation and not accuracy
    # the equal-issue order: successive shuffles of one index vector, drawn whether used or not
    swaps = stdrandom.shuffle_swaps(sample_rng, set_len, len(range(0, min_q, set_len)))
    equal = []
    if equal_issue and not offline:
        perm = np.arange(set_len, dtype=np.int64)
        for row in swaps:
            perm = stdrandom.apply_swaps(perm, row)
            equal.append(perm)
    bump = 0
    if equal_issue:
        if offline and spq % set_len:
            spq += set_len - spq % set_len
        elif not offline:
            if min_q % set_len:
                min_q += set_len - min_q % set_len
            bump = set_len

    if scen is TestScenario.Server:
        ts, duration = _server_timeline(eff, gen_ns, min_q, bump)
    else:
        ts, duration = _constant_timeline(eff, gen_ns, min_q, bump)
    n = len(ts)
    if n == 0:
        raise ConfigError(f"no queries to generate: a set of {set_len} samples holds no whole query of "
                          f"{spq} samples (performance_sample_count={eff.performance_sample_count}, "
                          f"QSL of {set_len - _padding(eff)} loaded samples)")

    same = eff.performance_issue_same_index
    if multistream:
        if eff.performance_issue_unique or accuracy:
            starts = (unique if eff.performance_issue_unique else in_order)[:n]
            if len(starts) < n:
                raise ConfigError("more MultiStream queries than distinct starts in the loaded set"
                                  " (the official LoadGen aborts)")
        elif eff.performance_issue_same:
            starts = np.full(n, same, dtype=np.int64)
        else:
            starts = stdrandom.uniform_below(sample_rng, (n, end))
        pos = (starts[:, None] + np.arange(spq, dtype=np.int64)[None, :]).reshape(-1)
        idx = loaded[pos]
    elif offline:
        if eff.performance_issue_same and not accuracy:
            row = np.full(spq, loaded[same], dtype=np.int64)
        else:
            reps, rem = divmod(spq, set_len)
            parts = []
            for _ in range(reps):
                parts.append(stdrandom.shuffle(sample_rng, loaded) if eff.sample_concatenate_permutation
                             and not accuracy else loaded)
            parts.append(loaded[:rem])
            row = np.concatenate(parts).astype(np.int64)
        idx = np.tile(row, n)
    else:
        count = n * spq
        if accuracy:
            pos = in_order[:count]
        elif eff.performance_issue_unique:
            pos = unique[:count]
        elif eff.performance_issue_same:
            pos = np.full(count, same, dtype=np.int64)
        elif equal_issue:
            cycle = np.concatenate(equal) if equal else np.empty(0, np.int64)
            if len(cycle) == 0:
                raise ConfigError("sample_concatenate_permutation with min_query_count 0 has no"
                                  " samples to cycle through (the official LoadGen aborts)")
            pos = cycle[np.arange(count) % len(cycle)]
        else:
            pos = stdrandom.uniform_below(sample_rng, (count, end))
        if len(pos) < count:
            raise ConfigError("more queries than distinct samples in the loaded set"
                              " (the official LoadGen aborts)")
        idx = loaded[pos]
    return QueryPlan(np.ascontiguousarray(idx, dtype=np.int64), int(spq), ts, int(duration))


def performance_plan(eff: EffectiveSettings, loaded: np.ndarray) -> QueryPlan:
    """Generate the performance-mode queries of a run."""
    return _generate(eff, np.asarray(loaded, dtype=np.int64), accuracy=False)


def accuracy_plan(eff: EffectiveSettings, loaded: np.ndarray) -> QueryPlan:
    """Accuracy mode for one loaded set: every sample once in a seeded order
    (Offline: one query in set order; MultiStream: contiguous runs of the padded set)."""
    return _generate(eff, np.asarray(loaded, dtype=np.int64), accuracy=True)


# --------------------------------------------------------------------------- accuracy log
def expected_sample_count(eff: EffectiveSettings) -> int:
    """The official ``expected_queries`` that ``accuracy_log_sampling_target`` divides."""
    expected = int(eff.target_qps * eff.min_duration_ms / 1000)
    minimum = eff.min_query_count * eff.samples_per_query
    if eff.scenario is TestScenario.Offline:
        minimum = eff.min_sample_count
    else:
        expected *= eff.samples_per_query
    return max(expected, minimum)


def accuracy_log_probability(eff: EffectiveSettings) -> float:
    """The chance per sample that a performance-mode response is logged."""
    if eff.accuracy_log_sampling_target > 0:
        return eff.accuracy_log_sampling_target / expected_sample_count(eff)
    return float(eff.accuracy_log_probability)


def accuracy_log_mask(eff: EffectiveSettings, sample_count: int,
                      first_sequence_id: int = 0) -> np.ndarray | None:
    """Which samples of a performance phase have their responses logged (TEST01 sampling).

    ``first_sequence_id`` is the number of samples generated earlier in the same
    test (accuracy sets, earlier FindPeakPerformance runs): each generated sample
    took its draw from the test-wide engine. Returns None when nothing is logged.
    """
    prob = accuracy_log_probability(eff)
    if prob <= 0:
        return None
    offset = float(stdrandom.canonical(stdrandom.Stream(eff.accuracy_log_rng_seed), 1)[0])
    seq = stdrandom.Stream(ACCURACY_LOG_SEQUENCE_SEED)
    skip = 2 * int(first_sequence_id)
    while skip:
        step = min(skip, 1 << 22)
        seq.peek(step)
        seq.skip(step)
        skip -= step
    vals = stdrandom.canonical(seq, sample_count) + offset
    vals = np.where(vals < 1.0, vals, vals - 1.0)
    return vals <= prob

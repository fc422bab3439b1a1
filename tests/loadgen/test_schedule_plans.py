"""Seeded schedules: query shapes per scenario, Server arrivals, and reproducibility from seeds.

Everything here is decided before a run starts, so the checks are exact: the
same seeds must give the same arrays, other seeds different ones, and the
Server timeline must be a Poisson process at the target rate.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlpace.loadgen import schedule
from mlpace.loadgen.effective import derive
from mlpace.loadgen.settings import TestSettings as Settings

# The seeds mlperf.conf sets for every model and scenario.
QSL_SEED = 2085463073848966840
SAMPLE_SEED = 2747215439041700203
SCHEDULE_SEED = 16159082839903944936


def eff_of(total: int = 1000, perf: int = 256, **values):
    values.setdefault("qsl_rng_seed", QSL_SEED)
    values.setdefault("sample_index_rng_seed", SAMPLE_SEED)
    values.setdefault("schedule_rng_seed", SCHEDULE_SEED)
    return derive(Settings.make(**values), total, perf)


def plan_of(total: int = 1000, perf: int = 256, **values):
    eff = eff_of(total, perf, **values)
    loaded = schedule.performance_set(eff, total)
    return eff, loaded, schedule.performance_plan(eff, loaded)


# ---------------------------------------------------------------- query shapes per scenario

def test_single_stream_plan_has_one_sample_per_query_and_official_count():
    # 2 x min_duration / expected latency = 2 * 50 ms / 1 ms = 100 periods -> 101 queries
    eff, loaded, plan = plan_of(scenario="SingleStream", min_duration_ms=50, min_query_count=10,
                                single_stream_expected_latency_ns=1_000_000)
    assert plan.samples_per_query == 1
    assert plan.query_count == 101
    assert plan.sample_count == 101
    assert set(plan.sample_index.tolist()) <= set(loaded.tolist())
    # min_query_count wins when it asks for more
    _, _, plan = plan_of(scenario="SingleStream", min_duration_ms=50, min_query_count=500)
    assert plan.query_count == 500


def test_multistream_plan_groups_samples_per_query():
    eff, loaded, plan = plan_of(scenario="MultiStream", min_duration_ms=80, min_query_count=5,
                                multi_stream_expected_latency_ns=8_000_000,
                                multi_stream_samples_per_query=6)
    assert eff.samples_per_query == 6
    assert plan.samples_per_query == 6
    assert plan.query_count == 21  # 2 * 80 / 8 = 20 periods -> 21 queries
    assert plan.sample_count == 21 * 6
    assert set(plan.sample_index.tolist()) <= set(loaded.tolist())


def test_offline_plan_is_one_query_holding_every_sample():
    # samples_per_query = max(min_query_count, 1.1 * min_duration_s * expected_qps)
    eff, loaded, plan = plan_of(scenario="Offline", min_duration_ms=2000, offline_expected_qps=700,
                                min_query_count=100)
    assert plan.query_count == 1
    assert plan.samples_per_query == plan.sample_count == 1540
    assert eff.min_query_count == 1 and eff.target_duration_ms == 0
    # each loaded sample is used equally often (whole shuffled passes over the set)
    counts = np.bincount(np.searchsorted(np.sort(loaded), plan.sample_index), minlength=len(loaded))
    assert counts.max() - counts.min() <= 1
    _, _, plan = plan_of(scenario="Offline", min_duration_ms=2000, offline_expected_qps=700,
                         min_query_count=5000)
    assert plan.sample_count == 5000


@pytest.mark.parametrize("duration_ms, qps, expected", [
    (1000, 333, 366),     # 366.3 truncates (values from the official LoadGen 6.0.17)
    (3000, 123.4, 407),   # 407.22
    (1500, 77, 127),      # 127.05
    (1000, 1000, 1100),
])
def test_offline_sample_count_truncates_like_the_official(duration_ms, qps, expected):
    eff = eff_of(scenario="Offline", min_duration_ms=duration_ms, offline_expected_qps=qps,
                 min_query_count=100)
    assert eff.samples_per_query == expected


def test_offline_audit_modes_match_the_official_query_size():
    """LoadGen 6.0.17: performance_issue_unique issues the loaded set once; performance_issue_same
    keeps the full-size query, every sample the same index (TEST04)."""
    kw = dict(total=1000, perf=256, scenario="Offline", min_duration_ms=1000, offline_expected_qps=5000)
    eff = eff_of(performance_issue_unique=True, **kw)
    loaded = schedule.performance_set(eff, 1000)
    plan = schedule.performance_plan(eff, loaded)
    assert eff.samples_per_query == plan.sample_count == 256
    assert sorted(plan.sample_index.tolist()) == sorted(loaded.tolist())
    eff = eff_of(performance_issue_same=True, performance_issue_same_index=3, **kw)
    plan = schedule.performance_plan(eff, loaded)
    assert eff.samples_per_query == plan.sample_count == 5500
    assert set(plan.sample_index.tolist()) == {int(loaded[3])}


def test_accuracy_plan_covers_each_sample_once():
    eff = eff_of(total=50, perf=20, scenario="SingleStream")
    sets = schedule.loadable_sets(50, 20, eff.qsl_rng_seed)
    assert [len(s) for s in sets] == [20, 20, 10]
    assert sorted(np.concatenate(sets).tolist()) == list(range(50))
    for loaded in sets:
        plan = schedule.accuracy_plan(eff, loaded)
        assert plan.samples_per_query == 1
        assert sorted(plan.sample_index.tolist()) == sorted(loaded.tolist())
    off = eff_of(total=50, perf=20, scenario="Offline")
    plan = schedule.accuracy_plan(off, sets[0])
    assert plan.query_count == 1 and plan.sample_count == 20


# ---------------------------------------------------------------- Server arrivals

def test_server_plan_gaps_are_exponential_at_the_target_rate():
    qps = 500.0
    eff, _, plan = plan_of(scenario="Server", server_target_qps=qps, min_duration_ms=40_000,
                           min_query_count=100)
    ts = plan.scheduled_ns.astype(np.float64) / 1e9
    gaps = np.diff(np.concatenate([[0.0], ts]))
    assert len(gaps) > 19_000
    assert np.all(gaps >= 0)
    ks = stats.kstest(gaps, "expon", args=(0, 1 / qps))
    assert ks.pvalue > 0.01, ks
    rate = (len(ts) - 1) / (ts[-1] - ts[0])
    assert rate == pytest.approx(qps, rel=0.03)
    # the official count rule: the last query is the first one at or after min_duration
    min_s = 40.0
    assert ts[-2] < min_s <= ts[-1] or len(ts) == eff.min_query_count


def test_server_plan_is_not_merely_evenly_spaced():
    """A constant-period schedule must fail the same goodness-of-fit test (the test can fail)."""
    qps = 500.0
    gaps = np.full(5000, 1 / qps)
    assert stats.kstest(gaps, "expon", args=(0, 1 / qps)).pvalue < 1e-6


# ---------------------------------------------------------------- reproducibility

@pytest.mark.parametrize("scenario", ["SingleStream", "MultiStream", "Server", "Offline"])
def test_same_seeds_give_identical_plans(scenario):
    kw = dict(scenario=scenario, min_duration_ms=500, min_query_count=50, server_target_qps=300,
              offline_expected_qps=300)
    _, loaded_a, a = plan_of(**kw)
    _, loaded_b, b = plan_of(**kw)
    np.testing.assert_array_equal(loaded_a, loaded_b)
    np.testing.assert_array_equal(a.sample_index, b.sample_index)
    np.testing.assert_array_equal(a.scheduled_ns, b.scheduled_ns)
    assert a.duration_ns == b.duration_ns


def test_each_seed_drives_its_own_choice():
    kw = dict(scenario="Server", server_target_qps=300, min_duration_ms=1000, min_query_count=50)
    _, loaded, base = plan_of(**kw)

    _, loaded_q, by_qsl = plan_of(qsl_rng_seed=QSL_SEED + 1, **kw)
    assert not np.array_equal(loaded, loaded_q)

    _, loaded_s, by_sample = plan_of(sample_index_rng_seed=SAMPLE_SEED + 1, **kw)
    np.testing.assert_array_equal(loaded, loaded_s)
    np.testing.assert_array_equal(base.scheduled_ns, by_sample.scheduled_ns)
    assert not np.array_equal(base.sample_index, by_sample.sample_index)

    _, _, by_schedule = plan_of(schedule_rng_seed=SCHEDULE_SEED + 1, **kw)
    n = min(base.query_count, by_schedule.query_count)
    assert not np.array_equal(base.scheduled_ns[:n], by_schedule.scheduled_ns[:n])


def test_loaded_set_is_a_seeded_shuffle_of_the_first_performance_indices():
    """LoadGen 6.0.17 (change #2414): performance mode loads the first performance_sample_count
    QSL indices, in an order drawn from qsl_rng_seed."""
    eff = eff_of(total=1000, perf=100, scenario="SingleStream")
    loaded = schedule.performance_set(eff, 1000)
    np.testing.assert_array_equal(np.sort(loaded), np.arange(100))
    assert not np.array_equal(loaded, np.arange(100))  # shuffled
    np.testing.assert_array_equal(schedule.loadable_sets(100, 100, QSL_SEED)[0], loaded)
    other = schedule.loadable_sets(100, 100, QSL_SEED + 7)
    assert not np.array_equal(other[0], loaded)
    # MultiStream pads the set with its own first samples_per_query - 1 indices
    ms = eff_of(total=1000, perf=100, scenario="MultiStream", multi_stream_samples_per_query=4)
    padded = schedule.performance_set(ms, 1000)
    np.testing.assert_array_equal(padded, np.concatenate([loaded, loaded[:3]]))

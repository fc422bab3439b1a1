"""Verdicts: figures, validity, reasons and summary text from records with known latencies.

Unit part: synthetic ``PhaseRecord``s with exact latencies go through
``results.evaluate`` and ``render_summary``; every expected number is computed
here, independently (official percentile indexing ``sorted[int(n * p)]``, early
stopping from the binomial formula via ``scipy.special.betainc`` and
``scipy.stats.binom``; nothing from ``mlpace.loadgen.early_stopping``).
Integration part: a sleeping SUT through ``start_test``.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache

import numpy as np
import pytest
from scipy.special import betainc
from scipy.stats import binom

from mlpace.loadgen import LogSettings, SimpleQSL, complete, start_test
from mlpace.loadgen.effective import derive
from mlpace.loadgen.issue import PhaseRecord
from mlpace.loadgen.logs.summary import render_summary
from mlpace.loadgen.results import evaluate
from mlpace.loadgen.schedule import QueryPlan
from mlpace.loadgen.settings import TestSettings as Settings
from mlpace.report.from_logs import trace_latencies

START = 5_000_000_000_000
CONFIDENCE = 0.99


# ---------------------------------------------------------------- independent early stopping

@lru_cache(maxsize=None)
def h_needed(t: int, p: float) -> int:
    """Smallest h with P(at most t of h + t queries over latency) < 1 - c, each over w.p. 1 - p."""
    def passes(h):
        return betainc(h, t + 1, p) < 1 - CONFIDENCE

    hi = 1
    while not passes(hi):
        hi *= 2
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if passes(mid):
            hi = mid
        else:
            lo = mid + 1
    # the same number from the binomial CDF directly
    assert binom.cdf(t, lo + t, 1 - p) < 1 - CONFIDENCE <= binom.cdf(t, lo - 1 + t, 1 - p)
    return lo


def stream_expectation(n: int, p: float):
    """(ok, min_queries, t) for a stream run of n queries: t = largest t >= 1 with n >= h(t) + t."""
    min_queries = h_needed(1, p) + 1
    if n < min_queries:
        return False, min_queries, 0
    t = 1
    while n >= h_needed(t + 1, p) + t + 1:
        t += 1
    return True, min_queries, t


def test_independent_formula_knows_the_published_minimums():
    assert stream_expectation(10, 0.90)[1] == 64  # "at least 64 queries" (p90)
    assert stream_expectation(10, 0.99)[1] == 662  # = MultiStream min_query_count
    assert h_needed(0, 0.99) == 459  # Server: 459 queries with none over latency


# ---------------------------------------------------------------- synthetic records

def settings_eff(**values):
    values.setdefault("mode", "PerformanceOnly")
    return derive(Settings.make(**values), 1000, 1000)


def stream_record(eff, latencies, period_ns=2_000_000, spq=1, missing=()):
    """Queries issued every ``period_ns``; sample s of query q done at issue + latencies[q*spq+s]."""
    lat = np.asarray(latencies, dtype=np.int64)
    nq = len(lat) // spq
    issue = START + np.arange(nq, dtype=np.int64) * period_ns
    complete_ns = np.repeat(issue, spq) + lat
    complete_ns[list(missing)] = 0
    plan = QueryPlan(np.zeros(nq * spq, dtype=np.int64), spq,
                     np.arange(nq, dtype=np.int64) * period_ns, nq * period_ns)
    return PhaseRecord(plan=plan, start_ns=START, issued_queries=nq, issue_ns=issue,
                       complete_ns=complete_ns, end_message="")


def server_record(latencies, gap_ns=1_000_000, issue_lag_ns=0):
    lat = np.asarray(latencies, dtype=np.int64)
    n = len(lat)
    sched = np.arange(1, n + 1, dtype=np.int64) * gap_ns
    plan = QueryPlan(np.zeros(n, dtype=np.int64), 1, sched, int(sched[-1]))
    issue = START + sched + issue_lag_ns
    return PhaseRecord(plan=plan, start_ns=START, issued_queries=n, issue_ns=issue,
                       complete_ns=START + sched + lat, end_message="")


def official_pct(values, p):
    s = np.sort(np.asarray(values))
    return int(s[int(len(s) * p)])


def summary_of(result) -> list[str]:
    return render_summary("TestSUT", "PerformanceOnly", result, 0, 0).splitlines()


# ---------------------------------------------------------------- percentiles

@pytest.mark.parametrize("n", [7, 100, 1000, 1234])
def test_percentiles_use_official_indexing(n):
    rng = np.random.default_rng(n)
    lat = rng.permutation(np.arange(1, n + 1) * 1000 + rng.integers(0, 999, n))
    eff = settings_eff(scenario="SingleStream", min_duration_ms=0, min_query_count=1)
    r = evaluate(eff, stream_record(eff, lat))
    s = np.sort(lat)
    assert r.latency.min == s[0] and r.latency.max == s[-1]
    assert r.latency.mean == int(s.mean())
    for p in (0.5, 0.9, 0.95, 0.97, 0.99, 0.999):
        assert r.latency.percentiles[p] == s[int(n * p)], p
    assert r.target_percentile_latency == s[int(n * 0.9)]
    lines = summary_of(r)
    assert f"90.0th percentile latency (ns) : {s[int(n * 0.9)]}" in lines
    assert f"{'99.90 percentile latency (ns)':<32}: {s[int(n * 0.999)]}" in lines


def test_multistream_latency_is_the_slowest_sample_of_each_query():
    spq = 4
    rng = np.random.default_rng(3)
    lat = rng.integers(1_000_000, 9_000_000, size=700 * spq)
    eff = settings_eff(scenario="MultiStream", multi_stream_samples_per_query=spq,
                       min_duration_ms=0, min_query_count=1)
    r = evaluate(eff, stream_record(eff, lat, period_ns=10_000_000, spq=spq))
    per_query = lat.reshape(-1, spq).max(axis=1)
    assert r.query_count == 700 and r.sample_count == 2800
    assert r.latency.max == per_query.max() and r.latency.min == per_query.min()
    assert r.target_percentile_latency == official_pct(per_query, 0.99)
    ok, _, t = stream_expectation(700, 0.99)
    assert ok
    assert r.es_latency_ms == np.sort(per_query)[700 - t]


def test_offline_throughput_is_samples_over_the_slowest_latency():
    lat = np.linspace(1e6, 2e9, 1000).astype(np.int64)
    eff = settings_eff(scenario="Offline", min_duration_ms=1000, min_query_count=1000,
                       offline_expected_qps=10)
    assert eff.samples_per_query == 1000
    plan = QueryPlan(np.zeros(1000, dtype=np.int64), 1000, np.zeros(1, dtype=np.int64), 1_000_000)
    rec = PhaseRecord(plan=plan, start_ns=START, issued_queries=1, issue_ns=np.array([START]),
                      complete_ns=START + lat, end_message="")
    r = evaluate(eff, rec)
    assert r.samples_per_second == pytest.approx(1000 / 2.0)
    assert r.valid and r.min_duration_met
    assert "Samples per second: 500" in summary_of(r)
    short = settings_eff(scenario="Offline", min_duration_ms=3000, min_query_count=1000)
    r = evaluate(short, rec)
    assert not r.valid and not r.min_duration_met
    assert r.recommendations == ["Increase expected QPS so the loadgen pre-generates a larger (coalesced) query."]


# ---------------------------------------------------------------- validity and reasons

def test_valid_single_stream_run():
    lat = np.full(200, 1_500_000)
    eff = settings_eff(scenario="SingleStream", min_duration_ms=300, min_query_count=100)
    r = evaluate(eff, stream_record(eff, lat, period_ns=2_000_000))  # last issue at 398 ms
    assert r.valid and r.reasons() == [] and r.recommendations == []
    lines = summary_of(r)
    assert "Result is : VALID" in lines
    assert "  Min duration satisfied : Yes" in lines and "Recommendations:" not in lines


def test_min_duration_not_met():
    eff = settings_eff(scenario="SingleStream", min_duration_ms=500, min_query_count=100)
    r = evaluate(eff, stream_record(eff, np.full(200, 1_000_000), period_ns=2_000_000))
    assert not r.valid and not r.min_duration_met and r.min_queries_met
    assert r.recommendations == ["Decrease the expected latency so the loadgen pre-generates more queries."]
    assert r.reasons() == ["min duration not met: 398.0 ms < min_duration_ms=500"]
    lines = summary_of(r)
    i = lines.index("Result is : INVALID")
    assert lines[i + 1 : i + 6] == [
        "  Min duration satisfied : NO",
        "  Min queries satisfied : Yes",
        "  Early stopping satisfied: Yes",
        "Recommendations:",
        " * Decrease the expected latency so the loadgen pre-generates more queries.",
    ]


def test_min_queries_not_met():
    eff = settings_eff(scenario="SingleStream", min_duration_ms=100, min_query_count=300)
    r = evaluate(eff, stream_record(eff, np.full(200, 1_000_000)))
    assert not r.valid and r.min_duration_met and not r.min_queries_met
    assert r.recommendations == ["The test exited early, before enough queries were issued."]
    assert r.reasons() == ["min queries not met: 200 < min_query_count=300"]
    assert " * The test exited early, before enough queries were issued." in summary_of(r)


def test_server_latency_constraint_and_early_stopping():
    target = 10_000_000
    n = 1000
    lat = np.full(n, 2_000_000)
    lat[:30] = 50_000_000  # 3% over the bound: p99 misses it
    eff = settings_eff(scenario="Server", server_target_qps=1000, server_target_latency_ns=target,
                       min_duration_ms=500, min_query_count=100)
    r = evaluate(eff, server_record(np.random.default_rng(1).permutation(lat)))
    assert r.perf_constraints_met is False and not r.valid
    assert r.overlatency_count == 30
    assert r.target_percentile_latency == official_pct(lat, 0.99) == 50_000_000
    assert "Reduce target QPS to improve latency." in r.recommendations
    assert ("latency constraint not met: 99.0th percentile 50000000 ns > target_latency_ns=10000000"
            in r.reasons())
    need = h_needed(30, 0.99) + 30
    assert n < need
    assert not r.early_stopping_met
    lines = summary_of(r)
    assert "  Performance constraints satisfied : NO" in lines
    i = lines.index("Early Stopping Result:")
    assert lines[i + 1 : i + 6] == [
        " * Run unsuccessful.",
        f" * Processed {n} queries.",
        f" * Would need to run at least {need - n} more queries,",
        " with the run being successful if every additional",
        " query were under latency.",
    ]
    assert lines.index("Recommendations:") < i


def test_server_valid_run_and_throughput():
    n = 600
    eff = settings_eff(scenario="Server", server_target_qps=1000, min_duration_ms=500,
                       min_query_count=100)
    r = evaluate(eff, server_record(np.full(n, 3_000_000), gap_ns=1_000_000, issue_lag_ns=40_000))
    assert n >= h_needed(0, 0.99)
    assert r.valid and r.early_stopping_lines == [" * Run successful."]
    # (samples - 1) / time of the last completion; scheduled rate from the last arrival
    assert r.completed_samples_per_sec == pytest.approx((n - 1) / ((n * 1e6 + 3e6) / 1e9))
    assert r.scheduled_samples_per_sec == pytest.approx((n - 1) / (n * 1e6 / 1e9))
    assert r.issue_lag_p50_ns == 40_000
    lines = summary_of(r)
    assert f"{'Completed samples per second':<32}: {r.completed_samples_per_sec:.2f}" in lines


def test_server_min_duration_uses_the_scheduled_time():
    eff = settings_eff(scenario="Server", server_target_qps=1000, min_duration_ms=700,
                       min_query_count=100)
    r = evaluate(eff, server_record(np.full(600, 1_000_000)))  # last arrival at 600 ms
    assert not r.min_duration_met
    assert r.recommendations == ["Increase the target QPS so the loadgen pre-generates more queries."]


def test_early_stopping_not_met_stream():
    eff = settings_eff(scenario="SingleStream", min_duration_ms=0, min_query_count=10)
    r = evaluate(eff, stream_record(eff, np.full(50, 1_000_000)))
    assert not r.early_stopping_met and not r.valid
    assert r.early_stopping_lines == [" * Only processed 50 queries.",
                                      " * Need to process at least 64 queries for early stopping."]
    assert r.reasons() == ["early stopping not satisfied: Only processed 50 queries. "
                           "Need to process at least 64 queries for early stopping."]
    lines = summary_of(r)
    assert "  Early stopping satisfied: NO" in lines and "Recommendations:" in lines


@pytest.mark.parametrize("n", [64, 100, 333, 1000, 2500])
def test_stream_early_stopping_figures_match_the_formula(n):
    rng = np.random.default_rng(n)
    lat = rng.permutation(np.arange(n) * 1000 + 1_000_000)
    eff = settings_eff(scenario="SingleStream", min_duration_ms=0, min_query_count=1)
    r = evaluate(eff, stream_record(eff, lat))
    ok, min_q, t = stream_expectation(n, 0.90)
    s = np.sort(lat)
    assert ok and r.early_stopping_met
    expected = [
        f" * Processed at least {min_q} queries ({n}).",
        f" * Would discard {t - 1} highest latency queries.",
        f" * Early stopping 90.0th percentile estimate: {s[n - t]}",
    ]
    ok99, min99, t99 = stream_expectation(n, 0.99)
    if ok99:
        expected.append(f" * Early stopping 99.0th percentile estimate: {s[n - t99]}")
    else:
        expected.append(" * Not enough queries processed for 99.0th percentile\n"
                        " early stopping estimate (would need to process at\n"
                        f" least {min99} total queries).")
    assert r.early_stopping_lines == expected
    assert r.es_latency_ss == s[n - t]
    text = "\n".join(summary_of(r))
    assert "\n".join(expected) in text


def test_unanswered_samples_make_the_run_invalid():
    eff = settings_eff(scenario="SingleStream", min_duration_ms=0, min_query_count=1)
    r = evaluate(eff, stream_record(eff, np.full(100, 1_000_000), missing=(3, 7)))
    assert not r.valid
    assert "2 samples were never completed" in r.reasons()
    assert " * Run failed: 2 samples were never completed" in summary_of(r)


# ---------------------------------------------------------------- integration: a sleeping SUT

class SleepingSUT:
    """Answers each query after ``delay_s`` on a fresh thread; records its own view of latency."""

    name = "SleepingSUT"

    def __init__(self, delay_s: float) -> None:
        self.delay = delay_s
        self.latencies: list[int] = []

    def issue_queries(self, ids, indices) -> None:
        t0 = time.perf_counter_ns()
        ids = ids.copy()

        def answer():
            time.sleep(self.delay)
            self.latencies.append(time.perf_counter_ns() - t0)
            complete(ids)

        threading.Thread(target=answer).start()

    def flush_queries(self) -> None:
        pass


def test_sleeping_sut_percentiles_within_noise(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    delay = 0.002
    sut = SleepingSUT(delay)
    settings = Settings.make(scenario="SingleStream", mode="PerformanceOnly", min_duration_ms=300,
                             min_query_count=100, single_stream_expected_latency_ns=2_000_000)
    result = start_test(sut, SimpleQSL("q", 64, 64), settings, LogSettings(outdir=tmp_path, enable_trace=True))
    perf = result.performance
    n = perf.query_count
    assert n == len(sut.latencies) >= 100
    own = np.sort(sut.latencies)
    engine = trace_latencies(tmp_path / "mlperf_log_trace.json")  # the engine's own per-sample latencies
    assert len(engine) == n
    assert perf.latency.min == engine[0] >= delay * 1e9
    # the engine issues before the SUT starts its clock and stamps completion after the SUT stops
    # it, so every order statistic of the engine's latencies is at least the SUT's
    assert (engine >= own).all(), int(np.min(engine - own))
    for p in (0.5, 0.9):
        ours = perf.latency.percentiles[p]
        assert ours == engine[int(n * p)], p  # the official rule, exactly, on the engine's latencies
        theirs = int(own[int(n * p)])
        assert theirs <= ours <= theirs + 1_500_000, (p, ours, theirs)
    assert perf.latency.percentiles[0.5] < delay * 1e9 + 3_000_000
    # the summary's early-stopping lines carry the independent counts
    ok, min_q, t = stream_expectation(n, 0.90)
    text = result.summary_path.read_text()
    assert f" * Processed at least {min_q} queries ({n})." in text
    assert f" * Would discard {t - 1} highest latency queries." in text
    assert result.valid == (perf.min_duration_met and ok)


def test_server_with_no_answers_does_not_meet_the_latency_constraint():
    lat = np.full(20, 1_000_000)
    eff = settings_eff(scenario="Server", server_target_qps=1000, min_duration_ms=0, min_query_count=1)
    rec = server_record(lat)
    rec.complete_ns[:] = 0  # the SUT answered nothing
    rec.errors.append("SUT went silent")
    r = evaluate(eff, rec)
    assert r.perf_constraints_met is False and not r.valid
    assert "  Performance constraints satisfied : NO" in summary_of(r)

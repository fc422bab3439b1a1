"""Early stopping: figures against an independent binomial computation and the official LoadGen."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest
from scipy.stats import binom

from mlpace.loadgen.early_stopping import (
    find_min_passing,
    server_early_stopping,
    stream_early_stopping,
)

C = 0.99


@lru_cache(maxsize=None)
def brute_min_passing(t: int, p: float) -> int:
    """Smallest h with P(at most t over-latency among h + t, each over with prob 1-p) < 1-c."""
    h = np.arange(1, int((t + 10) * p / (1 - p) * 3) + 1000)
    passing = binom.cdf(t, h + t, 1.0 - p) < 1.0 - C
    assert passing.any()
    return int(h[np.argmax(passing)])


def brute_stream_t(n: int, p: float) -> int:
    """Largest t >= 1 with n >= h(t) + t (stream rule), by direct scan."""
    t = 1
    while n >= brute_min_passing(t + 1, p) + t + 1:
        t += 1
    return t


@pytest.mark.parametrize("p", [0.90, 0.95, 0.99])
@pytest.mark.parametrize("t", [0, 1, 2, 5, 17, 40])
def test_find_min_passing_matches_binomial(t, p):
    assert find_min_passing(t, p) == brute_min_passing(t, p)


def test_known_minimums():
    assert stream_early_stopping(10, 0.90).min_queries == 64  # spec: p90 needs 64 queries
    assert stream_early_stopping(10, 0.99).min_queries == 662  # = MultiStream min_query_count
    assert find_min_passing(0, 0.99) == 459


@pytest.mark.parametrize("p", [0.90, 0.99])
def test_stream_rule_matches_independent_scan(p):
    start = stream_early_stopping(0, p).min_queries
    for n in list(range(start, start + 40)) + [start + 250, start + 777]:
        es = stream_early_stopping(n, p)
        t = brute_stream_t(n, p)
        assert es.ok
        assert es.discarded == t - 1, n
        assert es.estimate_index == n - t, n


def test_stream_too_few_queries():
    es = stream_early_stopping(63, 0.90)
    assert not es.ok and es.min_queries == 64 and es.estimate_index == -1
    assert stream_early_stopping(64, 0.90).ok


def test_stream_monotonic_and_spec_reference():
    discards = [stream_early_stopping(n, 0.90).discarded for n in range(64, 5000, 37)]
    assert discards == sorted(discards)
    assert discards[-1] > discards[0]
    # Spec reference run (official summary): 3268972 queries -> would discard 325634.
    assert stream_early_stopping(3268972, 0.90).discarded == 325634


def test_server_verdict():
    h = brute_min_passing(5, 0.99)
    fail = server_early_stopping(h + 4, 5, 0.99)
    assert not fail.ok and fail.min_queries == h + 5 and fail.more_needed == 1
    ok = server_early_stopping(h + 5, 5, 0.99)
    assert ok.ok and ok.more_needed == 0
    needs = [server_early_stopping(10**6, t, 0.99).min_queries for t in range(0, 200, 7)]
    assert all(b > a for a, b in zip(needs, needs[1:]))


def test_bad_arguments():
    with pytest.raises(ValueError):
        server_early_stopping(10, 11, 0.99)
    with pytest.raises(ValueError):
        stream_early_stopping(10, 1.5)


# --------------------------------------------------------------------------- official LoadGen
_OFFICIAL_RUN = r"""
import json, sys, mlperf_loadgen as lg
scenario, n, target_ns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def issue(qs):
    lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in qs])
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(1024, 1024, lambda x: None, lambda x: None)
s = lg.TestSettings()
s.scenario = getattr(lg.TestScenario, scenario)
s.mode = lg.TestMode.PerformanceOnly
s.min_duration_ms = 0
s.min_query_count = n
s.max_query_count = n
s.single_stream_expected_latency_ns = 1000
s.multi_stream_expected_latency_ns = 1000
s.server_target_qps = 100000
s.server_target_latency_ns = max(target_ns, 1)
log = lg.LogSettings()
log.log_output.outdir = "."
log.enable_trace = scenario != "Server"
lg.StartTestWithLogSettings(sut, qsl, s, log)
lg.DestroyQSL(qsl)
lg.DestroySUT(sut)
"""


def _official(tmp_path, scenario, n, target_ns=0):
    subprocess.run([sys.executable, "-c", _OFFICIAL_RUN, scenario, str(n), str(target_ns)],
                   cwd=tmp_path, check=True, capture_output=True, timeout=60)
    summary = (tmp_path / "mlperf_log_summary.txt").read_text()
    detail = {}
    for line in (tmp_path / "mlperf_log_detail.txt").read_text().splitlines():
        rec = json.loads(line.split(":::MLLOG ", 1)[1])
        detail[rec["key"]] = rec["value"]
    return summary, detail


def _trace_latencies(tmp_path, per_query: bool) -> np.ndarray:
    """Latencies from the official trace (sample complete - issue), max per query for MS."""
    text = (tmp_path / "mlperf_log_trace.json").read_text()
    samples: list[int] = []
    by_query: dict[int, int] = {}
    for m in re.finditer(r'"query_seq":(\d+),"sample_idx":\d+,"issue_start_ns":(\d+),'
                         r'"complete_ns":(\d+)', text):
        q, start, done = (int(x) for x in m.groups())
        samples.append(done - start)
        by_query[q] = max(by_query.get(q, 0), done - start)
    return np.sort(np.array(list(by_query.values()) if per_query else samples, dtype=np.int64))


def _summary_int(summary: str, pattern: str) -> int:
    m = re.search(pattern, summary)
    assert m, pattern
    return int(m.group(1))


def test_single_stream_matches_official(tmp_path):
    summary, detail = _official(tmp_path, "SingleStream", 700)
    lat = _trace_latencies(tmp_path, per_query=False)
    assert len(lat) == 700
    # The trace reproduces the official latency statistics exactly.
    assert lat[-1] == _summary_int(summary, r"Max latency \(ns\)\s*: (\d+)")
    assert lat[int(700 * 0.9)] == _summary_int(summary, r"90.00 percentile latency \(ns\)\s*: (\d+)")
    es90, es99 = stream_early_stopping(700, 0.90), stream_early_stopping(700, 0.99)
    assert f" * Processed at least {es90.min_queries} queries (700)." in summary
    assert f" * Would discard {es90.discarded} highest latency queries." in summary
    assert detail["early_stopping_latency_ss"] == lat[es90.estimate_index]
    assert detail["early_stopping_latency_ms"] == lat[es99.estimate_index]
    assert f"99.0th percentile estimate: {lat[es99.estimate_index]}" in summary


def test_single_stream_too_few_matches_official(tmp_path):
    summary, detail = _official(tmp_path, "SingleStream", 50)
    es = stream_early_stopping(50, 0.90)
    assert not es.ok and detail["early_stopping_met"] is False
    assert f" * Need to process at least {es.min_queries} queries for early stopping." in summary


def test_multi_stream_matches_official(tmp_path):
    summary, detail = _official(tmp_path, "MultiStream", 700)
    lat = _trace_latencies(tmp_path, per_query=True)
    assert len(lat) == 700
    es = stream_early_stopping(700, 0.99)
    assert f" * Processed at least {es.min_queries} queries (700)." in summary
    assert f" * Would discard {es.discarded} highest latency queries." in summary
    assert detail["early_stopping_latency_ms"] == lat[es.estimate_index]


@pytest.mark.parametrize("target_ns", [40_000, 10**9])
def test_server_matches_official(tmp_path, target_ns):
    summary, detail = _official(tmp_path, "Server", 1000, target_ns)
    n, t = detail["result_query_count"], detail["result_overlatency_query_count"]
    es = server_early_stopping(n, t, 0.99)
    assert detail["early_stopping_met"] is es.ok
    if es.ok:
        assert " * Run successful." in summary
    else:
        assert f" * Would need to run at least {es.more_needed} more queries," in summary

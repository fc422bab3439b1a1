"""Log files of real runs, read the way MLPerf's tools read them.

MLPerf's submission checker reads ``mlperf_log_detail.txt`` with its
``log_parser.MLPerfLog`` (mlcommons/inference ``tools/submission``), which is not
packaged on PyPI, so it is not importable here. ``CheckerStyleLog`` below parses
the way that class does: the first line must begin with the ``:::MLLOG`` marker;
every marker line must be valid JSON (strict mode raises on a bad one); records
are indexed by ``key``, the first record of a key wins; ``num_errors`` comes
from the ``num_errors`` record when there is one, else from ``metadata.is_error``.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from mlpace.loadgen import LogSettings, SimpleQSL, complete, start_test
from mlpace.loadgen.settings import TestSettings as Settings

MARKER = ":::MLLOG"
RECORD_KEYS = {"key", "value", "time_ms", "namespace", "event_type", "metadata"}
METADATA_KEYS = {"is_error", "is_warning", "file", "line_no", "pid", "tid"}


class CheckerStyleLog:
    def __init__(self, path) -> None:
        self.messages: list[dict] = []
        with open(path, encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                line = line.rstrip()
                if i == 0 and not line.startswith(MARKER):
                    raise RuntimeError(f"Marker not found in first line: {line}")
                if line.startswith(MARKER):
                    self.messages.append(json.loads(line[len(MARKER):]))  # strict: raises
        self.keys = {m["key"] for m in self.messages}

    def __getitem__(self, key):
        for m in self.messages:
            if m["key"] == key:
                return m["value"]
        return None

    def num_errors(self) -> int:
        if "num_errors" in self.keys:
            return self["num_errors"]
        return sum(1 for m in self.messages if m["metadata"]["is_error"])

    def num_warnings(self) -> int:
        return sum(1 for m in self.messages if m["metadata"]["is_warning"])


class InlineSUT:
    name = "InlineSUT"

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay = delay_s

    def issue_queries(self, ids, indices):
        if self.delay:
            time.sleep(self.delay)
        complete(ids, [bytes([int(i) % 256, 0xAB]) for i in indices])

    def flush_queries(self):
        pass


SETTINGS = {
    "SingleStream": dict(min_duration_ms=100, min_query_count=100, single_stream_expected_latency_ns=1_000),
    "MultiStream": dict(min_duration_ms=100, min_query_count=700, multi_stream_expected_latency_ns=1_000,
                        multi_stream_samples_per_query=2),
    "Server": dict(min_duration_ms=300, min_query_count=100, server_target_qps=2000),
    "Offline": dict(min_duration_ms=0, min_query_count=500),
}

METRIC_KEYS = {
    "SingleStream": {"result_90.00_percentile_latency_ns", "early_stopping_latency_ss",
                     "result_qps_with_loadgen_overhead"},
    "MultiStream": {"result_99.00_percentile_per_query_latency_ns", "early_stopping_latency_ms"},
    "Server": {"result_completed_samples_per_sec", "result_scheduled_samples_per_sec",
               "result_99.00_percentile_latency_ns", "result_overlatency_query_count",
               "result_perf_constraints_met"},
    "Offline": {"result_samples_per_second"},
}


def run(tmp_path, scenario, mode="PerformanceOnly", trace=False, sut=None, **extra):
    values = dict(scenario=scenario, mode=mode, **SETTINGS[scenario])
    values.update(extra)
    return start_test(sut or InlineSUT(), SimpleQSL("q", 40, 20), Settings.make(**values),
                      LogSettings(outdir=tmp_path, enable_trace=trace), audit_config=None)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("scenario", list(SETTINGS))
def test_detail_log_loads_like_the_submission_checker_reads_it(tmp_path, scenario):
    result = run(tmp_path, scenario)
    path = result.detail_path
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and all(l.startswith(MARKER + " {") for l in lines)
    log = CheckerStyleLog(path)
    for m in log.messages:
        assert set(m) == RECORD_KEYS, m
        assert set(m["metadata"]) == METADATA_KEYS, m
        assert m["namespace"] == "mlperf::logging" and m["event_type"] == "POINT_IN_TIME"
        assert isinstance(m["metadata"]["is_error"], bool) and isinstance(m["metadata"]["is_warning"], bool)
        assert isinstance(m["time_ms"], float) and m["time_ms"] >= 0
    assert log["effective_scenario"] == scenario
    assert log["effective_test_mode"] == "PerformanceOnly"
    assert log["result_validity"] == result.verdict == "VALID", result.reasons
    for key in ("result_min_duration_met", "result_min_queries_met", "early_stopping_met",
                "effective_min_duration_ms", "effective_samples_per_query", "effective_target_qps",
                "effective_performance_sample_count", "qsl_reported_total_count",
                "result_query_count", "result_min_latency_ns", "result_max_latency_ns",
                "result_mean_latency_ns", "result_50.00_percentile_latency_ns"):
        assert key in log.keys, key
    assert METRIC_KEYS[scenario] <= log.keys, METRIC_KEYS[scenario] - log.keys
    assert log["qsl_reported_total_count"] == 40
    assert log["effective_performance_sample_count"] == 20
    assert log.num_errors() == 0
    # figures agree with the summary the same run wrote
    summary = result.summary_path.read_text()
    perf = result.performance
    assert f"Result is : {log['result_validity']}" in summary
    assert log["result_query_count"] == perf.query_count
    assert f"{'Max latency (ns)':<32}: {log['result_max_latency_ns']}" in summary


def test_warnings_and_errors_are_flagged_and_counted(tmp_path):
    class Raises(InlineSUT):
        def issue_queries(self, ids, indices):
            raise ValueError("no")

    result = run(tmp_path, "Offline", sut=Raises())
    log = CheckerStyleLog(result.detail_path)
    errors = [m for m in log.messages if m["metadata"]["is_error"]]
    assert errors and all(m["key"].startswith("error_") for m in errors)
    assert log.num_errors() == len(errors)
    assert log["result_validity"] == "INVALID"


def test_stream_runs_always_log_early_stopping_latencies(tmp_path):
    """Official: SS logs early_stopping_latency_ss and _ms, MS logs _ms, 0 when no estimate."""
    ss = run(tmp_path / "ss", "SingleStream", min_duration_ms=0)  # 100 queries: p90 estimate, no p99
    log = CheckerStyleLog(ss.detail_path)
    assert log["early_stopping_latency_ss"] > 0
    assert log["early_stopping_latency_ms"] == 0
    ms = run(tmp_path / "ms", "MultiStream", min_duration_ms=0, min_query_count=50)  # too few for p99
    log = CheckerStyleLog(ms.detail_path)
    assert log["early_stopping_met"] is False
    assert log["early_stopping_latency_ms"] == 0


def test_accuracy_log_records_every_sample_in_the_official_layout(tmp_path):
    result = run(tmp_path, "Offline", mode="AccuracyOnly")
    text = result.accuracy_path.read_text()
    lines = text.splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    pattern = re.compile(r'^\{ "seq_id" : (\d+), "qsl_idx" : (\d+), "data" : "([0-9A-F]*)" \},?$')
    body = lines[1:-1]
    assert len(body) == 40
    assert all(l.endswith(",") for l in body[:-1]) and not body[-1].endswith(",")
    seen = {}
    for l in body:
        m = pattern.match(l)
        assert m, l
        seen[int(m.group(2))] = m.group(3)
    assert sorted(seen) == list(range(40))
    assert all(v == f"{i % 256:02X}AB" for i, v in seen.items())
    assert json.loads(text)[0].keys() == {"seq_id", "qsl_idx", "data"}
    assert result.summary_path.read_text().endswith("No errors encountered during test.\n")


def test_performance_run_accuracy_log_is_empty(tmp_path):
    result = run(tmp_path, "Offline")
    assert result.accuracy_path.read_text() == "[\n]\n"


def test_trace_has_a_begin_and_end_per_sample(tmp_path):
    result = run(tmp_path, "SingleStream", trace=True, min_duration_ms=0, min_query_count=30,
                 single_stream_expected_latency_ns=1_000_000)
    trace = json.loads((tmp_path / "mlperf_log_trace.json").read_text())
    events = trace["traceEvents"]
    names = {e["name"] for e in events if e["ph"] == "X"}
    assert {"GenerateLoadableSets", "LoadSamples", "GenerateQueries"} <= names
    begins = [e for e in events if e["name"] == "Sample" and e["ph"] == "b"]
    ends = [e for e in events if e["name"] == "Sample" and e["ph"] == "e"]
    n = result.performance.sample_count
    assert len(begins) == len(ends) == n
    for b, e in zip(begins, ends):
        assert b["id"] == e["id"] and e["ts"] >= b["ts"]
        assert b["args"]["complete_ns"] >= b["args"]["issue_start_ns"]

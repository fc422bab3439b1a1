"""SUT faults: each ends the run INVALID with its cause named in both log files, files on disk.

A SUT that raises, answers an id that was never issued, answers an id twice,
goes silent (``sut_timeout_ms``), or is interrupted by Ctrl-C.
"""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from mlpace.loadgen import LogSettings, SimpleQSL, complete, start_test
from mlpace.loadgen.settings import TestSettings as Settings


class FaultySUT:
    """Answers inline; on query number ``at`` does ``fault`` instead."""

    name = "FaultySUT"

    def __init__(self, fault: str, at: int = 5) -> None:
        self.fault = fault
        self.at = at
        self.calls = 0

    def issue_queries(self, ids, indices) -> None:
        self.calls += 1
        if self.calls < self.at or self.fault == "none":
            complete(ids)
            return
        if self.fault == "raise":
            raise RuntimeError("model exploded")
        if self.fault == "unknown_id":
            complete(np.array([10**9], dtype=np.uint64))
        elif self.fault == "twice":
            complete(ids)
            complete(ids)
        elif self.fault == "silent":
            pass
        elif self.fault == "ctrl_c":
            raise KeyboardInterrupt

    def flush_queries(self) -> None:
        pass


def run(tmp_path, sut, scenario="SingleStream", **values):
    values = dict(dict(scenario=scenario, mode="PerformanceOnly", min_duration_ms=200,
                       min_query_count=50, server_target_qps=500, offline_expected_qps=100),
                  **values)
    return start_test(sut, SimpleQSL("q", 64, 64), Settings.make(**values),
                      LogSettings(outdir=tmp_path), audit_config=None)


def detail_records(path):
    return [json.loads(line[len(":::MLLOG "):]) for line in path.read_text().splitlines()
            if line.startswith(":::MLLOG ")]


def assert_fault_logged(result, needle: str):
    assert not result.valid
    assert result.summary_path.is_file() and result.detail_path.is_file()
    assert result.accuracy_path.is_file()
    summary = result.summary_path.read_text()
    assert "Result is : INVALID" in summary
    assert needle in summary
    assert "ERROR encountered. See detailed log." in summary or "ERRORS encountered" in summary
    records = detail_records(result.detail_path)
    errors = [r for r in records if r["metadata"]["is_error"]]
    assert any(r["key"] == "error_runtime" and needle in str(r["value"]) for r in errors), errors
    # one fault, one error record (the footer's count must not double it)
    assert sum(needle in str(r["value"]) for r in errors) == 1, errors
    assert {r["key"]: r["value"] for r in records}["result_validity"] == "INVALID"
    num_errors = [r["value"] for r in records if r["key"] == "num_errors"]
    assert num_errors == [len(errors)]
    assert any(needle in reason for reason in result.reasons)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_clean_sut_is_valid(tmp_path):
    """The control: the same SUT and settings without a fault give a VALID run and no errors."""
    result = run(tmp_path, FaultySUT("none"), min_duration_ms=50, min_query_count=100,
                 single_stream_expected_latency_ns=1_000)
    assert result.valid, result.reasons
    assert "No errors encountered during test." in result.summary_path.read_text()


@pytest.mark.parametrize("scenario", ["SingleStream", "Server", "Offline"])
def test_sut_raising_in_issue_queries(tmp_path, scenario):
    result = run(tmp_path, FaultySUT("raise", at=1 if scenario == "Offline" else 5), scenario)
    assert_fault_logged(result, "SUT raised RuntimeError in issue_queries: model exploded")


@pytest.mark.parametrize("scenario", ["SingleStream", "Server"])
def test_sut_completing_an_unknown_id(tmp_path, scenario):
    result = run(tmp_path, FaultySUT("unknown_id"), scenario)
    assert_fault_logged(result, "SUT completed unknown response id 1000000000")


def test_sut_completing_an_id_twice(tmp_path):
    result = run(tmp_path, FaultySUT("twice"))
    assert_fault_logged(result, "more than once")


@pytest.mark.parametrize("scenario", ["SingleStream", "Offline"])
def test_silent_sut_times_out(tmp_path, scenario):
    t0 = time.monotonic()
    result = run(tmp_path, FaultySUT("silent", at=1 if scenario == "Offline" else 5), scenario,
                 sut_timeout_ms=300)
    assert time.monotonic() - t0 < 10
    assert_fault_logged(result, "sut_timeout_ms=300")


def test_ctrl_c_mid_run_gives_an_interrupted_result_and_keeps_logs(tmp_path):
    result = run(tmp_path, FaultySUT("ctrl_c", at=20), min_duration_ms=5_000, min_query_count=1000)
    assert result.interrupted and not result.valid
    # the 20th query was handed to the SUT (issued) when Ctrl-C hit; 19 were answered
    assert result.performance is not None and result.performance.query_count == 20
    assert result.performance.latency.percentiles[0.5] > 0
    assert any("interrupted" in r.lower() for r in result.reasons)
    summary = result.summary_path.read_text()
    assert "Result is : INVALID" in summary and "Interrupted by the user" in summary
    records = detail_records(result.detail_path)
    assert any(r["key"] == "error_runtime" and "interrupted" in str(r["value"]).lower()
               and r["metadata"]["is_error"] for r in records)


def test_ctrl_c_from_a_worker_wait(tmp_path):
    """Ctrl-C while the engine waits for a slow answer (the main thread is blocked, not the SUT)."""
    main = threading.main_thread().ident

    class Slow:
        name = "Slow"

        def issue_queries(self, ids, indices):
            ids = ids.copy()

            def later():
                time.sleep(0.2)
                import _thread

                _thread.interrupt_main()  # what a terminal's Ctrl-C does: KeyboardInterrupt in main

            threading.Thread(target=later, daemon=True).start()

        def flush_queries(self):
            pass

    assert threading.current_thread().ident == main
    result = run(tmp_path, Slow(), min_duration_ms=5_000)
    assert result.interrupted and not result.valid
    assert result.detail_path.is_file() and result.summary_path.is_file()


class SlowWorkerSUT:
    """Answers each query from one worker thread after ``delay_s``."""

    name = "SlowWorkerSUT"

    def __init__(self, delay_s: float) -> None:
        import queue

        self.delay_s = delay_s
        self.work: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while (ids := self.work.get()) is not None:
            time.sleep(self.delay_s)
            complete(ids)

    def issue_queries(self, ids, indices) -> None:
        self.work.put(ids)

    def flush_queries(self) -> None:
        pass

    def close(self) -> None:
        self.work.put(None)
        self.thread.join(5)


def test_server_too_many_outstanding_queries_stops_issuing_and_waits_for_the_rest(tmp_path):
    """The official stop: the query that makes more than server_max_async_queries outstanding
    is issued, issuing ends with the official error, and the queries in flight are waited for
    (their latencies count; no sut_timeout is needed)."""
    sut = SlowWorkerSUT(0.01)
    try:
        result = run(tmp_path, sut, "Server", server_target_qps=2000, server_max_async_queries=5,
                     min_duration_ms=1000, min_query_count=100)
    finally:
        sut.close()
    perf = result.performance
    assert not result.valid and not result.errors
    assert perf.query_count == 6  # the sixth issue left six outstanding (> 5)
    records = detail_records(result.detail_path)
    errors = [r["value"] for r in records if r["metadata"]["is_error"]]
    assert errors == ["IssueQueryThread 0 Ending early: Too many outstanding queries. issued 6 outstanding 6"]
    assert perf.latency.min >= 10_000_000  # every issued query was answered and timed
    assert perf.perf_constraints_met is True
    summary = result.summary_path.read_text()
    assert "Reduce target QPS" not in summary and "Run failed" not in summary
    assert "   See the detailed log for why this may have occurred." in summary


def test_worker_thread_fault_ends_the_run_at_once_via_fail(tmp_path, monkeypatch):
    """A SUT whose worker thread reports a fault with lg.fail() ends INVALID without any
    timeout (sut_timeout_ms stays 0 = wait forever), with the message in both logs."""
    import threading

    from mlpace import loadgen as lg

    monkeypatch.chdir(tmp_path)

    class CrashingWorkerSUT:
        name = "CrashingWorkerSUT"

        def issue_queries(self, ids, indices):
            threading.Thread(target=lambda: lg.fail("worker crashed: CUDA out of memory"),
                             daemon=True).start()

        def flush_queries(self):
            pass

    settings = lg.TestSettings.make(scenario="SingleStream", min_duration_ms=100, min_query_count=10)
    result = lg.start_test(CrashingWorkerSUT(), lg.SimpleQSL("q", 8, 8), settings,
                           lg.LogSettings(outdir=tmp_path / "logs"), audit_config=None)
    assert not result.valid
    assert any("CUDA out of memory" in r for r in result.reasons)
    assert "CUDA out of memory" in (tmp_path / "logs" / "mlperf_log_summary.txt").read_text()
    assert "CUDA out of memory" in (tmp_path / "logs" / "mlperf_log_detail.txt").read_text()


@pytest.mark.parametrize("key,value,scenario", [
    ("server_num_issue_query_threads", 2, "Server"),
    ("print_timestamps", True, "SingleStream"),
])
def test_unsupported_settings_are_refused_not_ignored(tmp_path, key, value, scenario):
    """Settings of the official struct mlpace does not implement stop the run before it starts,
    with a message naming the setting."""
    from mlpace.errors import ConfigError

    with pytest.raises(ConfigError, match=f"{key}=.* is not supported by mlpace"):
        run(tmp_path, FaultySUT("none"), scenario, **{key: value})

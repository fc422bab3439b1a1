"""Confirmed peak (opt-in): the highest QPS whose full run is VALID, with the search path.

The SUT: one worker, 2 ms per query (capacity 500 queries/s). FindPeakPerformance judges
tries by the latency bound alone; the confirmed peak by the whole verdict.
"""

from __future__ import annotations

import json
import queue
import threading
import time

import pytest

from mlpace.errors import ConfigError
from mlpace.loadgen import LogSettings, SimpleQSL, complete, start_test
from mlpace.loadgen.settings import TestSettings as Settings

SERVICE_S = 0.002


class QueueSUT:
    name = "QueueSUT"

    def __init__(self) -> None:
        self.work: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while (ids := self.work.get()) is not None:
            time.sleep(SERVICE_S)
            complete(ids)

    def issue_queries(self, ids, indices) -> None:
        self.work.put(ids.copy())

    def flush_queries(self) -> None:
        pass

    def close(self) -> None:
        self.work.put(None)
        self.thread.join(5)


def _settings(**extra):
    return Settings.make(
        # a lower bound far below capacity and a loose bound: a busy machine still passes it
        scenario="Server", mode="FindPeakPerformance", server_target_qps=100,
        server_target_latency_ns=60_000_000, server_target_latency_percentile=0.9,
        server_find_peak_qps_boundary_step_size=1.0, server_find_peak_qps_decimals_of_precision=0,
        min_duration_ms=400, min_query_count=100, **extra)


def test_confirmed_peak_is_a_valid_run_at_or_below_the_find_peak_result(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sut = QueueSUT()
    try:
        result = start_test(sut, SimpleQSL("q", 64, 64), _settings(), LogSettings(outdir=tmp_path),
                            confirm_peak=True)
    finally:
        sut.close()
    found, confirmed = result.peak_qps, result.confirmed_peak
    assert found is not None and confirmed is not None
    assert confirmed.start_qps == found and confirmed.tries
    assert confirmed.tries[0].target_qps == found  # the search starts at the FindPeak result
    assert confirmed.qps is not None and confirmed.qps <= found
    assert confirmed.qps <= 1.15 / SERVICE_S  # never above what the SUT can serve
    valid = [t.target_qps for t in confirmed.tries if t.valid]
    invalid = [t.target_qps for t in confirmed.tries if not t.valid]
    assert confirmed.qps == max(valid)
    assert all(q > confirmed.qps for q in invalid)  # every INVALID try lies above it
    assert all(t.reasons for t in confirmed.tries if not t.valid)  # each with its reasons
    assert all(t.completed_qps >= 0.9 * t.scheduled_qps for t in confirmed.tries if t.valid)  # kept up
    assert result.metrics["confirmed_peak_qps"] == confirmed.qps
    # the path, in the detail log and in a file beside it
    saved = json.loads((tmp_path / "mlpace_confirmed_peak.json").read_text())
    assert saved["qps"] == confirmed.qps
    assert [t["target_qps"] for t in saved["tries"]] == [t.target_qps for t in confirmed.tries]
    records = [json.loads(l[len(":::MLLOG "):]) for l in result.detail_path.read_text().splitlines()]
    keys = {r["key"]: r["value"] for r in records}
    # the detail log prints a double as the official does: 6 significant digits
    assert keys["mlpace_confirmed_peak_qps"] == float(f"{confirmed.qps:.6g}")
    assert [q for q, _ in keys["mlpace_confirmed_peak_tries"]] == [t.target_qps for t in confirmed.tries]
    # the official outputs still describe the FindPeakPerformance result
    assert result.performance.eff.target_qps == pytest.approx(found)
    from mlpace.report import write_run_report

    report = write_run_report(tmp_path, "queue", result).read_text()
    assert f"Confirmed peak (highest VALID run): {confirmed.qps:g} QPS" in report
    assert sum(line.startswith(f"| {t.target_qps:,.1f} |") for t in confirmed.tries for line in report.splitlines()) \
        >= len(confirmed.tries)


def test_confirm_peak_needs_find_peak_mode(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.make(scenario="Server", mode="PerformanceOnly", server_target_qps=100,
                             min_duration_ms=10, min_query_count=5)
    with pytest.raises(ConfigError, match="confirm_peak needs mode FindPeakPerformance"):
        start_test(QueueSUT(), SimpleQSL("q", 8, 8), settings, LogSettings(outdir=tmp_path),
                   confirm_peak=True)

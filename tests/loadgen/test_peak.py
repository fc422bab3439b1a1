"""FindPeakPerformance on a SUT whose capacity is known: one worker, 2 ms per query (~500 QPS)."""

from __future__ import annotations

import math
import queue
import re
import threading
import time

import pytest

from mlpace.errors import ConfigError
from mlpace.loadgen import LogSettings, SimpleQSL, complete, start_test
from mlpace.loadgen.settings import TestSettings as Settings

SERVICE_S = 0.002  # one query at a time, 2 ms each: capacity 500 queries/s


class QueueSUT:
    name = "QueueSUT"

    def __init__(self) -> None:
        self.work: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            ids = self.work.get()
            if ids is None:
                return
            time.sleep(SERVICE_S)
            complete(ids)

    def issue_queries(self, ids, indices) -> None:
        self.work.put(ids.copy())

    def flush_queries(self) -> None:
        pass

    def close(self) -> None:
        self.work.put(None)
        self.thread.join(5)


def test_find_peak_converges_below_capacity(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.make(
        scenario="Server", mode="FindPeakPerformance", server_target_qps=150,
        server_target_latency_ns=20_000_000, server_find_peak_qps_boundary_step_size=1.0,
        server_find_peak_qps_decimals_of_precision=0, min_duration_ms=300, min_query_count=50,
    )
    sut = QueueSUT()
    try:
        result = start_test(sut, SimpleQSL("q", 64, 64), settings, LogSettings(outdir=tmp_path))
    finally:
        sut.close()
    capacity = 1 / SERVICE_S
    assert result.peak_qps is not None
    # a queue with 2 ms service meets a 20 ms p99 bound below 500/s (about 0.8 of it), never well above
    assert 0.5 * capacity <= result.peak_qps <= 1.05 * capacity, result.peak_qps
    assert result.metrics["peak_qps"] == result.peak_qps
    assert result.performance.perf_constraints_met
    assert result.performance.eff.target_qps == pytest.approx(result.peak_qps)
    messages = [line for line in result.detail_path.read_text().splitlines() if "FindPeakPerformance" in line]
    tried = [line for line in messages if "trying target_qps" in line]
    assert len(tried) >= 4  # lower bound, doubling until a miss, then bisection
    outcomes = [re.search(r"target_qps=([\d.e+]+) (meets|misses) the latency bound", line) for line in messages]
    meets = [float(m.group(1)) for m in outcomes if m and m.group(2) == "meets"]
    misses = [float(m.group(1)) for m in outcomes if m and m.group(2) == "misses"]
    assert len(meets) + len(misses) == len(tried)
    # converged: the peak is the best run that met the bound, every miss lies above every meet,
    # and the bracket [peak, lowest miss] has closed to the precision (0 decimals: within 1 QPS)
    assert misses and max(meets) < min(misses)
    assert f"{result.peak_qps:g}" == f"{max(meets):g}"  # the log prints 6 significant digits
    assert math.floor(result.peak_qps) + 1 >= math.floor(min(misses))
    assert any(f"peak target_qps={result.peak_qps:g}" in line for line in messages)


def test_find_peak_needs_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.make(scenario="Offline", mode="FindPeakPerformance", min_duration_ms=0)
    with pytest.raises(ConfigError, match="FindPeakPerformance needs scenario Server"):
        start_test(QueueSUT(), SimpleQSL("q", 8, 8), settings, LogSettings(outdir=tmp_path))

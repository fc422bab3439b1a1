"""FindPeakPerformance on a SUT whose capacity is known: one worker, 2 ms per query (~500 QPS)."""

from __future__ import annotations

import math
import queue
import threading
import time

import pytest

from mlpace.errors import ConfigError
from mlpace.loadgen import LogSettings, SimpleQSL, complete, start_test
from mlpace.loadgen.logs.detail import read_detail_log
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
    # the official progress messages, target_qps as std::to_string prints it
    messages = [r["value"] for r in read_detail_log(result.detail_path) if r["key"] == "generic_message"]
    search = [m for m in messages if m.startswith(("FindPeakPerformance", "FindBoundaries", "Starting Find"))]
    assert search[:2] == ["Starting FindPeakPerformance mode",
                          "FindPeakPerformance: Check validity of the base settings field: 150.000000"]
    assert search[2] == "FindBoundaries: Checking fields [150.000000, 300.000000)"
    found = next(m for m in search if m.startswith("FindPeakPerformance: Found boundaries: ["))
    lower, upper = (float(x) for x in found.split("[")[1].rstrip(")").split(", "))
    assert upper == 2 * lower
    mids = [m for m in search if m.startswith("FindPeakPerformanceBinarySearch: Testing the mid value "
                                                "of bounds [")]
    assert mids and mids[0] == (f"FindPeakPerformanceBinarySearch: Testing the mid value of bounds "
                                f"[{lower:f}, {upper:f}): {lower + (upper - lower) / 2:f}")
    assert search[-1] == f"FindPeakPerformance: Found peak performance field: {result.peak_qps:f}"
    # converged: every tested bracket lies inside the previous one, and the search stopped only
    # when the bracket had closed to the precision (0 decimals: floor(lower) + 1 >= floor(upper))
    brackets = [tuple(float(x) for x in m.split("[")[1].split(")")[0].split(", ")) for m in mids]
    assert all(lo2 >= lo1 and hi2 <= hi1 for (lo1, hi1), (lo2, hi2) in zip(brackets, brackets[1:]))
    lo, hi = brackets[-1]
    mid = lo + (hi - lo) / 2
    final = (mid, hi) if result.peak_qps == pytest.approx(mid) else (lo, mid)
    assert math.floor(final[0]) + 1 >= math.floor(final[1])


def test_find_peak_needs_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.make(scenario="Offline", mode="FindPeakPerformance", min_duration_ms=0)
    with pytest.raises(ConfigError, match="FindPeakPerformance needs scenario Server"):
        start_test(QueueSUT(), SimpleQSL("q", 8, 8), settings, LogSettings(outdir=tmp_path))


def test_find_peak_messages_match_the_official(tmp_path):
    """Side by side: a lower bound that misses the latency bound gives the official texts."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import mlperf_loadgen  # noqa: F401  the official LoadGen must be installed: fail, never skip

    harness = Path(__file__).parent / "harnesses" / "peak_lower_bound.py"
    texts = {}
    for module in ("mlperf_loadgen", "mlpace.compat"):
        out = tmp_path / module
        out.mkdir()
        subprocess.run([sys.executable, str(harness), str(out)], cwd=out, check=True, timeout=120,
                       env={**os.environ, "HARNESS_LOADGEN": module}, capture_output=True)
        records = [json.loads(line[len(":::MLLOG "):]) for line in
                   (out / "mlperf_log_detail.txt").read_text().splitlines() if line.startswith(":::MLLOG ")]
        texts[module] = [(r["key"], r["value"]) for r in records if r["key"] in ("generic_message", "error_runtime")
                         and ("FindPeak" in r["value"] or "FindBoundaries" in r["value"])]
    assert texts["mlperf_loadgen"] == [
        ("generic_message", "Starting FindPeakPerformance mode"),
        ("generic_message", "FindPeakPerformance: Check validity of the base settings field: 100.000000"),
        ("error_runtime", "FindPeakPerformance: Initial lower bound does not satisfy performance "
                          "constraints, msg: Reduce target QPS to improve latency."),
    ]
    assert texts["mlpace.compat"] == texts["mlperf_loadgen"]

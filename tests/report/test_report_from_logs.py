"""``mlpace report DIR`` on run folders of the official LoadGen (read from files only)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mlpace.errors import DataError
from mlpace.report import report_from_folder
from mlpace.report.from_logs import trace_latencies

OFFICIAL_SERVER = textwrap.dedent("""
    import sys, time
    import mlperf_loadgen as lg
    def issue(qs):
        time.sleep(0.0003)
        lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in qs])
    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(32, 32, lambda s: None, lambda s: None)
    s = lg.TestSettings()
    s.scenario = lg.TestScenario.Server
    s.mode = lg.TestMode.PerformanceOnly
    s.server_target_qps = 500
    s.min_duration_ms = 300
    s.min_query_count = 50
    ls = lg.LogSettings()
    ls.log_output.outdir = sys.argv[1]
    ls.enable_trace = sys.argv[2] == "trace"
    lg.StartTestWithLogSettings(sut, qsl, s, ls)
""")


def _official(tmp_path, trace: bool):
    out = tmp_path / ("trace" if trace else "plain")
    out.mkdir()
    subprocess.run([sys.executable, "-c", OFFICIAL_SERVER, str(out), "trace" if trace else "no"],
                   check=True, cwd=out, capture_output=True, timeout=60)
    return out


def test_report_of_an_official_run_with_trace_uses_every_sample(tmp_path):
    folder = _official(tmp_path, trace=True)
    lat = trace_latencies(folder / "mlperf_log_trace.json")
    detail = (folder / "mlperf_log_detail.txt").read_text()
    # one latency per sample; measured from the actual issue, so never above the logged
    # maximum, which Server measures from the (earlier or equal) scheduled time
    assert f'"key": "result_query_count", "value": {len(lat)},' in detail
    logged_max = int(detail.split('"key": "result_max_latency_ns", "value": ')[1].split(",")[0])
    assert 0 < lat.max() <= logged_max
    text = report_from_folder(folder).read_text()
    verdict = "VALID" if "Result is : VALID" in (folder / "mlperf_log_summary.txt").read_text() else "INVALID"
    assert f"**Result: {verdict}**" in text and "| Completed samples per second |" in text
    assert "![latency](latency.png)" in text
    assert (folder / "latency.png").read_bytes()[:4] == b"\x89PNG"


def test_report_without_trace_plots_the_logged_percentiles(tmp_path):
    folder = _official(tmp_path, trace=False)
    text = report_from_folder(folder).read_text()
    assert "![latency percentiles](latency.png)" in text
    p99 = next(l for l in (folder / "mlperf_log_summary.txt").read_text().splitlines()
               if l.startswith("99.00 percentile latency (ns)"))
    value_ms = int(p99.split(":")[1]) / 1e6
    assert f"| p99 latency | {value_ms:.3f} ms |" in text
    assert np.isfinite(value_ms)


def test_a_folder_without_logs_is_one_clear_error(tmp_path):
    with pytest.raises(DataError, match="mlperf_log_summary.txt: not found"):
        report_from_folder(tmp_path)

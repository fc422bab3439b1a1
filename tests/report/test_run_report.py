"""Run reports: Markdown page with the verdict, the figures and a latency plot."""

from __future__ import annotations

import numpy as np

from mlpace import loadgen as lg
from mlpace.report import metric_text, write_run_report, write_session_report


class _Null:
    name = "Null"

    def issue_queries(self, ids, indices):
        lg.complete(ids)

    def flush_queries(self):
        pass


def _run(tmp_path, **kw):
    settings = lg.TestSettings.make(**{"scenario": "SingleStream", "min_duration_ms": 50,
                                       "min_query_count": 200, **kw})
    return lg.start_test(_Null(), lg.SimpleQSL("q", 16, 16), settings,
                         lg.LogSettings(outdir=tmp_path / "run"), audit_config=None)


def test_run_report_has_verdict_figures_and_plot(tmp_path):
    result = _run(tmp_path)
    path = write_run_report(tmp_path / "run", "null", result)
    text = path.read_text()
    assert f"**Result: {result.verdict}**" in text
    p50_ms = result.metrics["p50_latency_ns"] / 1e6
    assert f"| p50 latency | {p50_ms:.3f} ms |" in text
    assert f"{result.performance.query_count:,}" in text
    png = (tmp_path / "run" / "latency.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert "![latency](latency.png)" in text


def test_invalid_run_report_lists_the_reasons(tmp_path):
    result = _run(tmp_path, min_duration_ms=60_000, max_query_count=300)  # stops far too early
    assert not result.valid
    text = write_run_report(tmp_path / "run", "null", result).read_text()
    assert "**Result: INVALID**" in text
    for reason in result.reasons:
        assert f"- {reason}" in text


def test_session_report_links_each_run_with_its_metric(tmp_path):
    result = _run(tmp_path)
    write_run_report(tmp_path / "run", "null", result)
    path = write_session_report(tmp_path, "null", [("SingleStream", result, None, tmp_path / "run")])
    text = path.read_text()
    assert f"| SingleStream | {result.verdict} | {metric_text(result)} | - | [run/report.md](run/report.md) |" in text
    assert metric_text(result).startswith("p90 ") and metric_text(result).endswith(" ms")
    assert np.isclose(float(metric_text(result).split()[1]), result.metrics["result_metric"] / 1e6, atol=1e-3)

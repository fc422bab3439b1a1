"""HTML reports rendered in a real headless Chromium: the page loads with no console error and
no network request, every plot is drawn, and the JSON document rebuilds the same page."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import pytest

from mlpace import loadgen as lg
from mlpace.cli import main
from mlpace.report.build import build_report
from mlpace.report.html import render_html, write_html

HERE = Path(__file__).parent


def _module(name: str, path: Path):
    """A helper module by path (pytest runs with --import-mode=importlib: no sys.path entry)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


load_page = _module("report_browser", HERE / "report_browser.py").load_page


class _Sleepy:
    name = "sleepy-sut"

    def issue_queries(self, ids, indices):
        time.sleep(0.0005)
        lg.complete(ids)

    def flush_queries(self):
        pass


@pytest.fixture(scope="module")
def server_run(tmp_path_factory):
    """A real Server run of mlpace's LoadGen with the trace on."""
    out = tmp_path_factory.mktemp("html") / "server"
    settings = lg.TestSettings.make(scenario="Server", mode="PerformanceOnly", server_target_qps=400,
                                    min_duration_ms=500, min_query_count=100)
    lg.start_test(_Sleepy(), lg.SimpleQSL("q", 64, 64), settings, lg.LogSettings(outdir=out, enable_trace=True),
                  audit_config=None)
    return out


def test_run_report_page_loads_clean_in_chromium_with_every_plot_drawn(server_run, tmp_path):
    assert main(["report", str(server_run), "--html", "--json"]) == 0
    page = server_run / "report.html"
    text = page.read_text()
    assert len(text) < 2_000_000 and "<script" not in text
    shot = tmp_path / "report.png"
    result = load_page(page, shot)
    assert result.errors == [] and result.requests == []
    summary = (server_run / "mlperf_log_summary.txt").read_text()
    assert result.verdict == ("VALID" if "Result is : VALID" in summary else "INVALID")
    doc = json.loads((server_run / "report.json").read_text())
    ids = [b["id"] for s in doc["sections"] for b in s["blocks"] if b["type"] == "figure"]
    assert {"latency-histogram", "latency-cdf", "latency-over-time", "throughput-over-time"} <= set(ids)
    assert len(result.figures) == len(ids)
    for fig in result.figures:  # drawn: laid out with a real size and holding marks
        assert fig["w"] > 300 and fig["h"] > 150 and fig["paths"] > 10
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_report_json_rebuilds_the_same_page_offline(server_run, tmp_path):
    assert main(["report", str(server_run), "--json"]) == 0
    doc = json.loads((server_run / "report.json").read_text())
    assert doc["schema"] == "mlpace.report/1" and doc["kind"] == "inference"
    hist = next(b for s in doc["sections"] for b in s["blocks"] if b.get("id") == "latency-histogram")
    queries = int(next(l for l in (server_run / "mlperf_log_detail.txt").read_text().splitlines()
                       if '"result_query_count"' in l).split('"value": ')[1].split(",")[0])
    assert sum(hist["series"][0]["y"]) == queries  # every sample of the performance run is binned
    copy = tmp_path / "copy" / "report.json"
    copy.parent.mkdir()
    copy.write_text(json.dumps(doc))
    assert main(["report", str(copy), "--html"]) == 0
    assert (copy.parent / "report.html").read_text() == render_html(build_report(server_run))


def test_training_results_page_has_runs_convergence_and_rcp(tmp_path):
    handmade = _module("handmade", HERE.parent / "training" / "handmade.py")
    folder = tmp_path / "org" / "results" / "cpu" / "digits_cnn"
    for i in range(5):
        handmade.write_log(folder / f"result_{i}.txt", seed=i + 1, ttt_ms=50_000 + 5_000 * i, conv_epoch=8 + i % 3)
    doc = build_report(folder)
    assert doc.kind == "training" and doc.verdict == "PASS"
    figs = {f.id: f for f in doc.figures()}
    assert figs["time-to-train"].series[0].y == pytest.approx([(50 + 5 * i) / 60 for i in range(5)], abs=1e-3)
    assert len(figs["convergence"].series) == 5 and figs["convergence"].series[2].x[-1] == 10
    text = render_html(doc)
    assert "RCP" in text and "PASS" in text
    page = write_html(doc, tmp_path / "train.html")
    result = load_page(page)
    assert result.errors == [] and result.requests == [] and len(result.figures) == 2


def test_tiny_results_page_shows_windows_and_energy(tmp_path):
    from mlpace.tiny.results import PerfWindow, TinyResult, write_results

    windows = [PerfWindow(i, f"f{i}.bin", 200, 10.0 + i * 0.5, energy_uj=1000.0 + 10 * i, start_s=20.0 * i)
               for i in range(1, 6)]
    folder = tmp_path / "sys" / "ic" / "energy"
    write_results(TinyResult("ic", "ic01", "energy", "sys", windows=windows), folder, 1.0)
    doc = build_report(folder)
    thr = next(f for f in doc.figures() if f.id.startswith("tiny-throughput"))
    assert thr.series[0].y == pytest.approx([200 / (10.0 + i * 0.5) for i in range(1, 6)], rel=1e-3)
    energy = next(f for f in doc.figures() if f.id.startswith("tiny-energy"))
    assert energy.series[0].y == pytest.approx([(1000.0 + 10 * i) / 200 for i in range(1, 6)], rel=1e-3)
    tree = tmp_path / "sys"  # a results tree: the page covers every results.txt below it
    assert main(["report", str(tree)]) == 0 and "Throughput per window" in (tree / "report.html").read_text()


def test_report_of_an_output_folder_reports_every_run_below_it(server_run, tmp_path, capsys):
    (server_run / "report.html").unlink(missing_ok=True)
    assert main(["report", str(server_run.parent), "--html"]) == 0
    assert (server_run / "report.html").is_file() and (server_run / "report.md").is_file()
    assert main(["report", str(tmp_path)]) == 2
    assert "no mlperf_log_summary.txt in it or below it" in capsys.readouterr().err


OFFICIAL_SUBMISSION_SERVER = """
import sys, time
import mlperf_loadgen as lg
def issue(qs):
    time.sleep(0.0003)
    lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in qs])
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(32, 32, lambda s: None, lambda s: None)
s = lg.TestSettings()
s.scenario = lg.TestScenario.Server
s.mode = lg.TestMode.SubmissionRun
s.server_target_qps = 500
s.min_duration_ms = 300
s.min_query_count = 50
ls = lg.LogSettings()
ls.log_output.outdir = sys.argv[1]
ls.enable_trace = True
lg.StartTestWithLogSettings(sut, qsl, s, ls)
"""


def test_official_submission_run_trace_keeps_the_performance_run_and_its_issue_lag(tmp_path):
    import subprocess

    from mlpace.report.records import read_trace

    subprocess.run([sys.executable, "-c", OFFICIAL_SUBMISSION_SERVER, str(tmp_path)], check=True, cwd=tmp_path,
                   capture_output=True, timeout=60)
    detail = (tmp_path / "mlperf_log_detail.txt").read_text()
    queries = int(detail.split('"key": "result_query_count", "value": ')[1].split(",")[0])
    everything = read_trace(tmp_path / "mlperf_log_trace.json")
    assert len(everything) == queries + 32  # the accuracy phase (32 samples) is in the trace too
    doc = build_report(tmp_path)
    hist = next(f for f in doc.figures() if f.id == "latency-histogram")
    assert sum(hist.series[0].y) == queries  # only the performance run is plotted
    lag = next(f for f in doc.figures() if f.id == "issue-lag-over-time")
    tail = everything.issue_start_ns[-queries:] / 1e3
    assert max(lag.series[1].y) <= tail.max() and min(lag.series[0].y) >= tail.min()

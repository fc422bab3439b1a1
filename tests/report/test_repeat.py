"""``mlpace run --repeat N``: N real runs into repeat_K/, then mean and t-interval per metric."""

from __future__ import annotations

import json

import pytest
from scipy import stats

from mlpace.cli import main
from mlpace.loadgen.logs.read import read_summary


def test_repeat_runs_n_times_and_summarises_each_metric(tmp_path, capsys):
    out = tmp_path / "rep"
    code = main(["run", "digits", "-s", "Offline", "--mode", "PerformanceOnly", "--set", "min_duration_ms=100",
                 "--set", "offline_expected_qps=20000", "--repeat", "2", "-o", str(out)])
    assert code in (0, 1)  # a run may be INVALID on a loaded machine; the summary is written anyway
    runs = [out / f"repeat_{k}" / "digits" / "Offline" for k in (1, 2)]
    values = [read_summary(r / "mlperf_log_summary.txt").metric_value for r in runs]
    assert all((r / "report.html").is_file() for r in runs)
    doc = json.loads((out / "repeat_summary.json").read_text())
    assert doc["schema"] == "mlpace.report/1" and doc["kind"] == "repeat"
    (section,) = [s for s in doc["sections"] if s["title"] == "digits/Offline"]
    table = next(b for b in section["blocks"] if b["type"] == "table")
    row = next(r for r in table["rows"] if r[0] == "throughput")
    mean = sum(values) / 2
    assert row[2] == pytest.approx(mean, rel=1e-5)  # the summary rounds to 2 decimals
    half = stats.t.ppf(0.975, 1) * abs(values[0] - values[1]) / 2 ** 0.5 / 2 ** 0.5
    lo, hi = (float(x) for x in row[3].strip("[]").split(","))
    assert lo == pytest.approx(mean - half, rel=1e-3) and hi == pytest.approx(mean + half, rel=1e-3)
    printed = " ".join(capsys.readouterr().out.split())
    assert "digits/Offline: 2 runs" in printed and "throughput" in printed
    assert (out / "repeat_summary.html").is_file()
    # a repeat folder against itself: intervals from the per-run values, and no difference
    assert main(["compare", str(out), str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "Welch t-interval over 2 vs 2 per-run values" in printed and "no significant difference" in printed
    assert "noise floor ±2%" in printed


def test_repeat_must_be_positive(tmp_path):
    assert main(["run", "digits", "--repeat", "0", "-o", str(tmp_path / "x")]) == 2

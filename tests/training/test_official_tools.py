"""The official result_summarizer and rcp_checker give mlpace's numbers on the same folders."""

import csv
import shutil

import pytest

from mlpace.training import official
from mlpace.training.check import check_benchmark_folder
from mlpace.training.benchmarks import get_benchmark


def _registry():
    b = get_benchmark("digits_cnn")
    return {"benchmarks": {"digits_cnn": {"runs": b.config.required_runs, "rcp": str(b.rcp_file)}}}


def test_summarizer_score_equals_mlpace_score(digits_set, tmp_path):
    layout, _ = digits_set
    org = tmp_path / "mlpace_org"
    shutil.copytree(layout.org_dir, org)
    folder = org / "results" / "cpu_test" / "digits_cnn"
    report = check_benchmark_folder(folder)  # compliance + RCP (+ scaling.json) + olympic score
    assert report.score_minutes is not None
    from mlpace.training.compliance import materialise_rules

    reg = _registry()
    reg["rules"] = str(materialise_rules([get_benchmark("digits_cnn").config], tmp_path / "rules",
                                         [get_benchmark("digits_cnn").rules_dir]))
    proc = official.run("result_summarizer", [str(org), "training", "6.0.0", "-csv", str(tmp_path / "s.csv")],
                        reg, tmp_path / "work")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = list(csv.DictReader(open(tmp_path / "s.csv")))
    assert len(rows) == 1 and rows[0]["submitter"] == "mlpace_org"
    assert float(rows[0]["digits_cnn"]) == pytest.approx(report.score_minutes, rel=1e-9)
    detailed = list(csv.DictReader(open(tmp_path / "s_detailed.csv")))
    assert detailed[0]["digits_cnn:RCP"] == ("Pass" if report.rcp.passed else "Fail")


def test_rcp_checker_cli_agrees(digits_set, tmp_path):
    layout, _ = digits_set
    report = check_benchmark_folder(layout.benchmark_dir, update_scaling=False)
    proc = official.run("rcp_checker", ["--rcp_usage", "training", "--rcp_version", "6.0.0", "--custom_rcps",
                                        str(get_benchmark("digits_cnn").rcp_file), str(layout.benchmark_dir)],
                        _registry(), tmp_path / "work")
    out = proc.stdout + proc.stderr
    assert ("RCP test PASSED" in out) == report.rcp.passed, out
    assert f"Submission mean epochs: {report.rcp.subm_mean:.4f}" in out


def test_plain_summarizer_refuses_custom_names(digits_set, tmp_path):
    # why the launcher exists: the unmodified summarizer cannot score an mlpace benchmark
    import subprocess
    import sys

    layout, _ = digits_set
    proc = subprocess.run([sys.executable, "-m", "mlperf_logging.result_summarizer", str(layout.org_dir), "training",
                           "6.0.0", "-csv", str(tmp_path / "plain.csv")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode != 0
    assert "closed_digits_cnn.yaml" in proc.stderr
    assert not (tmp_path / "plain.csv").exists()

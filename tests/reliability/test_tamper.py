"""``mlpace check`` re-derives instead of trusting: forged summaries, a detail log that says
INVALID, wrong answers behind a PASS, and forged figures fail with the file, the field and both
values; logs written by the official LoadGen pass the same re-derivation."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlpace.cli import main
from mlpace.submission import scenario_dir
from mlpace.submission.checker import check_tree
from mlpace.loadgen.logs.read import read_detail
from mlpace.submission.rederive import recompute_verdict, summary_vs_detail

HARNESSES = Path(__file__).parent.parent / "compat" / "harnesses"


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "tree"
    shutil.copytree(src, dst)
    return dst


def _scen(root: Path) -> Path:
    return scenario_dir(root, "open", "mlpace", "box", "digits", "Offline")


def _bad(root: Path) -> dict[str, str]:
    return {f.check: f.why for f in check_tree(root) if not f.passed}


def _edit_detail(path: Path, key: str, value) -> None:
    lines = []
    for line in path.read_text().splitlines():
        rec = json.loads(line[len(":::MLLOG "):])
        if rec["key"] == key:
            rec["value"] = value
        lines.append(":::MLLOG " + json.dumps(rec))
    path.write_text("\n".join(lines) + "\n")


def test_untouched_tree_passes(offline_tree):
    assert _bad(offline_tree) == {}


def test_forged_summary_rate_fails_naming_both_values(offline_tree, tmp_path):
    root = _copy(offline_tree, tmp_path)
    summary = _scen(root) / "performance" / "run_1" / "mlperf_log_summary.txt"
    summary.write_text(re.sub(r"Samples per second: \S+", "Samples per second: 123456789", summary.read_text()))
    why = _bad(root)["VALID"]
    held = read_detail(summary.parent)["result_samples_per_second"][-1]
    assert f"mlperf_log_summary.txt 'Samples per second' is 123456789 but mlperf_log_detail.txt " \
           f"'result_samples_per_second' is {held}" in why
    assert main(["check", str(root)]) == 1


def test_forged_rate_in_both_files_fails_against_the_latencies(offline_tree, tmp_path):
    root = _copy(offline_tree, tmp_path)
    run = _scen(root) / "performance" / "run_1"
    summary = run / "mlperf_log_summary.txt"
    summary.write_text(re.sub(r"Samples per second: \S+", "Samples per second: 123456789", summary.read_text()))
    _edit_detail(run / "mlperf_log_detail.txt", "result_samples_per_second", 123456789.0)
    why = _bad(root)["VALID"]
    assert "result_samples_per_second is 1.23457e+08 but" in why and "samples / max latency gives" in why


def test_detail_that_says_invalid_fails(offline_tree, tmp_path):
    root = _copy(offline_tree, tmp_path)
    _edit_detail(_scen(root) / "performance" / "run_1" / "mlperf_log_detail.txt", "result_validity", "INVALID")
    why = _bad(root)["VALID"]
    assert "mlperf_log_summary.txt 'Result is' is VALID but mlperf_log_detail.txt 'result_validity' is INVALID" in why


def test_valid_claims_over_too_short_a_run_fail(offline_tree, tmp_path):
    """Both files say VALID; the detail log's own max latency is below min_duration."""
    root = _copy(offline_tree, tmp_path)
    _edit_detail(_scen(root) / "performance" / "run_1" / "mlperf_log_detail.txt", "effective_min_duration_ms",
                 600_000)
    summary = _scen(root) / "performance" / "run_1" / "mlperf_log_summary.txt"
    summary.write_text(summary.read_text().replace("min_duration (ms): 200", "min_duration (ms): 600000"))
    why = _bad(root)["VALID"]
    assert "recomputed from mlperf_log_detail.txt is INVALID: min duration not met" in why


def test_wrong_answers_behind_a_pass_fail(offline_tree, tmp_path):
    root = _copy(offline_tree, tmp_path)
    log = _scen(root) / "accuracy" / "mlperf_log_accuracy.json"
    records = json.loads(log.read_text())
    for r in records:  # every answer becomes "class 0" (int64 payloads): about one in ten right
        r["data"] = "00" * (len(r["data"]) // 2)
    log.write_text(json.dumps(records))
    why = _bad(root)["accuracy"]
    assert "accuracy.txt 'value' is 0.9" in why and "re-scoring mlperf_log_accuracy.json with the digits scorer" in why
    assert "accuracy.txt 'result' is PASS but the re-scored result is FAIL" in why


@pytest.mark.parametrize("name", ["offline", "server", "single_stream", "multi_stream"])
def test_official_loadgen_logs_rederive_clean(name, tmp_path):
    """Logs of the official C++ LoadGen (mlcommons-loadgen) agree with themselves under the
    same re-derivation; one forged figure in them is caught."""
    env = dict(os.environ, HARNESS_LOADGEN="mlperf_loadgen")
    proc = subprocess.run([sys.executable, str(HARNESSES / f"{name}.py"), str(tmp_path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary, detail_path = tmp_path / "mlperf_log_summary.txt", tmp_path / "mlperf_log_detail.txt"
    detail = read_detail(detail_path)
    assert detail["loadgen_version"][0].split()[0] != "mlpace"
    assert summary_vs_detail(summary, detail, detail_path) == []
    again = recompute_verdict(detail, detail_path)
    # the same verdict as the official's own (a loaded machine can make its Server run INVALID)
    assert again.valid == (detail["result_validity"][-1] == "VALID"), (again, detail["result_validity"])
    assert again.mismatches == []
    text = summary.read_text()
    forged = re.sub(r"(Max latency \(ns\)\s*: )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) * 3), text)
    assert forged != text
    summary.write_text(forged)
    assert any("'Max latency (ns)'" in m for m in summary_vs_detail(summary, detail, detail_path))

"""Results tree layout and ``mlpace check``: a complete VALID tree passes; each defect fails
with a reason that names the file."""

import json
import re
import shutil

import pytest

from mlpace import loadgen as lg
from mlpace import workloads
from mlpace.cli import main
from mlpace.errors import DataError
from mlpace.submission import scenario_dir, system, write_audits, write_run
from mlpace.submission.checker import check_tree

SS = {"single_stream_expected_latency_ns": 20_000, "min_duration_ms": 200, "min_query_count": 100}


def run(tmp, mode, scenario="SingleStream", **overrides):
    wl = workloads.get("digits")
    qsl = wl.make_qsl()
    sut = wl.make_sut(qsl)
    values = {**wl.default_settings(scenario), **(SS if scenario == "SingleStream" else {}), **overrides}
    settings = lg.TestSettings.make(**values, mode=mode)
    result = lg.start_test(sut, qsl, settings, lg.LogSettings(outdir=tmp), audit_config=None)
    acc = wl.score_accuracy_log(result.accuracy_path, out_dir=tmp) if mode != "PerformanceOnly" else None
    return result, acc


@pytest.fixture(scope="module")
def good_tree(tmp_path_factory):
    """open/mlpace tree for digits SingleStream: submission run plus a passing TEST04."""
    base = tmp_path_factory.mktemp("good")
    result, acc = run(base / "run", "SubmissionRun")
    assert result.valid, result.reasons
    root = base / "tree"
    write_run(root, workloads.get("digits"), "SingleStream", result, acc, system="box")
    audit = base / "audit" / "TEST04"
    (audit / "performance" / "run_1").mkdir(parents=True)
    for name in ("mlperf_log_summary.txt", "mlperf_log_detail.txt"):
        shutil.copy(result.log_dir / name, audit / "performance" / "run_1" / name)
    (audit / "verify_performance.txt").write_text("Verifying performance.\nTEST PASS\n")
    write_audits(base / "audit", root, "digits", "SingleStream", system="box")
    return root


def copy_tree(src, tmp_path):
    dst = tmp_path / "tree"
    shutil.copytree(src, dst)
    return dst


def scen(root):
    return scenario_dir(root, "open", "mlpace", "box", "digits", "SingleStream")


def failures(root):
    return [f for f in check_tree(root) if not f.passed]


def test_layout_matches_mlperf_submissions(good_tree):
    d = scen(good_tree)
    for rel in (
        "performance/run_1/mlperf_log_summary.txt",
        "performance/run_1/mlperf_log_detail.txt",
        "accuracy/mlperf_log_accuracy.json",
        "accuracy/accuracy.txt",
        "TEST04/verify_performance.txt",
    ):
        assert (d / rel).is_file(), rel
    conf = good_tree / "open/mlpace/measurements/box/digits/SingleStream/user.conf"
    assert "digits.SingleStream.min_duration = 200" in conf.read_text()
    desc = json.loads((good_tree / "open/mlpace/systems/box.json").read_text())
    assert set(system.REQUIRED_FIELDS) <= set(desc)
    assert desc["system_name"] == "box" and desc["host_processor_vcpu_count"].isdigit()


def test_complete_valid_tree_passes(good_tree, capsys):
    found = check_tree(good_tree)
    assert {f.check for f in found} >= {"system", "layout", "files", "VALID", "settings", "accuracy", "audit TEST04"}
    assert all(f.passed for f in found), [f for f in found if not f.passed]
    assert main(["check", str(good_tree)]) == 0
    assert "all" in capsys.readouterr().out


def test_invalid_run_fails_with_its_reason(good_tree, tmp_path):
    root = copy_tree(good_tree, tmp_path)
    # expected latency far above the real one: too few queries are generated for the duration
    result, _ = run(tmp_path / "bad", "PerformanceOnly", single_stream_expected_latency_ns=50_000_000)
    assert not result.valid
    write_run(root, "digits", "SingleStream", result, system="box")
    bad = failures(root)
    assert [f.check for f in bad] == ["VALID"]
    assert "INVALID" in bad[0].why and "Decrease the expected latency" in bad[0].why


def test_corrupt_accuracy_log_names_the_file(good_tree, tmp_path, capsys):
    root = copy_tree(good_tree, tmp_path)
    log = scen(root) / "accuracy" / "mlperf_log_accuracy.json"
    log.write_text(log.read_text()[:200])
    bad = failures(root)
    assert len(bad) == 1 and str(log) in bad[0].why and "not a valid accuracy log" in bad[0].why
    assert main(["check", str(root)]) == 1
    assert f"{log}: not a valid accuracy log" in capsys.readouterr().out


def test_missing_files_are_named(good_tree, tmp_path):
    root = copy_tree(good_tree, tmp_path)
    (scen(root) / "performance" / "run_1" / "mlperf_log_detail.txt").unlink()
    (scen(root) / "accuracy" / "accuracy.txt").unlink()
    (root / "open/mlpace/systems/box.json").unlink()
    whys = {f.check: f.why for f in failures(root)}
    assert whys["files"].endswith("mlperf_log_detail.txt: missing")
    assert whys["accuracy"].endswith("accuracy.txt: missing")
    assert "box.json: system description missing" in whys["system"]


def test_accuracy_txt_that_disagrees_with_the_log_fails(good_tree, tmp_path):
    root = copy_tree(good_tree, tmp_path)
    txt = scen(root) / "accuracy" / "accuracy.txt"
    txt.write_text(re.sub(r"value: [0-9.]+", "value: 0.500000", txt.read_text()))
    bad = failures(root)
    assert [f.check for f in bad] == ["accuracy"]
    assert "accuracy.txt 'value' is 0.500000 but re-scoring mlperf_log_accuracy.json" in bad[0].why


def test_failed_audit_and_changed_seed_fail(good_tree, tmp_path):
    root = copy_tree(good_tree, tmp_path)
    (scen(root) / "TEST04" / "verify_performance.txt").write_text("Verifying performance.\nTEST FAIL: Test score invalid\n")
    detail = scen(root) / "performance" / "run_1" / "mlperf_log_detail.txt"
    detail.write_text(detail.read_text().replace(
        '"key": "effective_qsl_rng_seed", "value": 2085463073848966840',
        '"key": "effective_qsl_rng_seed", "value": 1'))
    whys = {f.check: f.why for f in failures(root)}
    assert "TEST FAIL: Test score invalid" in whys["audit TEST04"]
    assert "qsl_rng_seed = 1" in whys["settings"]


def test_closed_division_needs_audits_and_long_runs(good_tree, tmp_path):
    root = tmp_path / "tree"
    shutil.copytree(good_tree / "open", root / "closed")
    shutil.rmtree(scenario_dir(root, "closed", "mlpace", "box", "digits", "SingleStream") / "TEST04")
    whys = {f.check: f.why for f in failures(root)}
    assert "min_duration_ms = 200 < 600000" in whys["settings"]
    assert "required in the closed division" in whys["audit TEST01"]
    assert "required in the closed division" in whys["audit TEST04"]


def test_wrong_layouts(good_tree, tmp_path, capsys):
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "mlperf_log_summary.txt").write_text("x")
    with pytest.raises(DataError, match="not a submission tree.*found mlperf_log_summary.txt"):
        check_tree(flat)
    assert main(["check", str(flat)]) == 2
    err = capsys.readouterr().err
    assert str(flat) in err and "Traceback" not in err
    assert main(["check", str(tmp_path / "nope")]) == 2
    root = copy_tree(good_tree, tmp_path)
    scen(root).rename(scen(root).parent / "Streaming")
    bad = failures(root)
    assert len(bad) == 1 and "'Streaming' is not a scenario" in bad[0].why


def test_reads_a_run_folder_written_by_the_official_loadgen(good_tree, tmp_path):
    import subprocess
    import sys

    import mlperf_loadgen  # noqa: F401 - a test dependency: missing means a failure, not a skip

    user_conf = tmp_path / "user.conf"
    user_conf.write_text("digits.SingleStream.target_latency = 1\ndigits.SingleStream.min_duration = 200\n")
    # in a process of its own: the official LoadGen keeps global state between tests of one process
    code = f"""
import mlperf_loadgen as mlg
from mlpace import workloads
from mlpace.workloads.official import run_official
settings = mlg.TestSettings()
settings.FromConfig({str(user_conf)!r}, "digits", "SingleStream")  # loads the built-in mlperf.conf first
settings.scenario = mlg.TestScenario.SingleStream
settings.mode = mlg.TestMode.PerformanceOnly
settings.single_stream_expected_latency_ns = 20_000
run_official(workloads.get("digits"), settings, {str(tmp_path)!r})
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    root = copy_tree(good_tree, tmp_path)
    run_dir = scen(root) / "performance" / "run_1"
    for name in ("mlperf_log_summary.txt", "mlperf_log_detail.txt"):
        shutil.copy(tmp_path / name, run_dir / name)
    found = {f.check: f for f in check_tree(root)}
    assert found["settings"].passed, found["settings"].why  # official seeds from mlperf.conf
    assert found["VALID"].passed, found["VALID"].why


def test_corrupt_detail_and_summary_are_reported_with_their_path(good_tree, tmp_path):
    root = copy_tree(good_tree, tmp_path)
    run_dir = scen(root) / "performance" / "run_1"
    (run_dir / "mlperf_log_detail.txt").write_text(':::MLLOG {"key": "sut_name", "val\n')
    (run_dir / "mlperf_log_summary.txt").write_text("garbage\n")
    whys = [f.why for f in failures(root) if f.check == "logs parse"]
    assert any(str(run_dir / "mlperf_log_detail.txt") in w and "corrupt :::MLLOG" in w for w in whys)
    assert any(str(run_dir / "mlperf_log_summary.txt") in w and "not a LoadGen summary" in w for w in whys)

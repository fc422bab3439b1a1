"""AccuracyOnly run -> mlperf_log_accuracy.json -> accuracy script -> accuracy.txt.

Runs through mlpace's LoadGen and, for one workload, through the official C++ LoadGen
(``mlperf_loadgen``), whose accuracy log the same script must read.
"""

import json

import numpy as np
import pytest

from mlpace import loadgen as lg
from mlpace import workloads
from mlpace.cli import main
from mlpace.errors import DataError
from mlpace.workloads import report as report_mod


def accuracy_run(wl, outdir, complete=None, scenario="Offline"):
    qsl = wl.make_qsl()
    sut = wl.make_sut(qsl, complete=complete)
    settings = lg.TestSettings.make(**wl.default_settings(scenario), mode="AccuracyOnly")
    result = lg.start_test(sut, qsl, settings, lg.LogSettings(outdir=outdir), audit_config=None)
    assert result.valid, result.reasons
    return result.log_dir / "mlperf_log_accuracy.json"


@pytest.mark.parametrize("name", ["digits", "vww", "anomaly"])
def test_each_workload_meets_its_target_through_the_loadgen(name, tmp_path):
    wl = workloads.get(name)
    log = accuracy_run(wl, tmp_path)
    rep = wl.score_accuracy_log(log, out_dir=tmp_path)
    assert rep.count == rep.total == wl.make_qsl().total_sample_count
    assert rep.passed, rep.why()
    assert rep.value >= wl.target
    fields = report_mod.parse(tmp_path / "accuracy.txt")
    assert fields["result"] == "PASS"
    assert float(fields["value"]) == pytest.approx(rep.value, abs=1e-6)
    assert float(fields["target"].split()[0]) == pytest.approx(wl.target)


def test_single_stream_accuracy_run_gives_the_same_answers(tmp_path):
    wl = workloads.get("digits")
    a = wl.score_accuracy_log(accuracy_run(wl, tmp_path / "off"))
    b = wl.score_accuracy_log(accuracy_run(wl, tmp_path / "ss", scenario="SingleStream"))
    assert a.value == b.value and a.good == b.good


def test_a_sut_with_wrong_answers_fails_the_target(tmp_path):
    wl = workloads.get("digits")

    def off_by_one(ids, data):
        lg.complete(ids, [((np.frombuffer(bytes(d), "<i8") + 1) % 10).astype("<i8") for d in data])

    rep = wl.score_accuracy_log(accuracy_run(wl, tmp_path, complete=off_by_one), out_dir=tmp_path)
    assert not rep.passed and rep.value < 0.05
    assert "result: FAIL" in (tmp_path / "accuracy.txt").read_text()


def test_a_partial_log_cannot_pass(tmp_path):
    wl = workloads.get("digits")
    full = json.loads(accuracy_run(wl, tmp_path).read_text())
    part = tmp_path / "part.json"
    part.write_text(json.dumps(full[:100]))
    rep = wl.score_accuracy_log(part)
    assert rep.value > 0.9 and not rep.passed
    assert "covers 100 of 540" in rep.why()


def test_corrupt_and_missing_logs_name_the_file(tmp_path):
    wl = workloads.get("digits")
    bad = tmp_path / "mlperf_log_accuracy.json"
    bad.write_text('[\n{ "seq_id" : 0, "qsl_idx" : 1, "data" : "0100000000000000" },\n{ "seq_id" : 1, "qsl')
    with pytest.raises(DataError, match=r"mlperf_log_accuracy\.json: not a valid accuracy log.*line 3"):
        wl.score_accuracy_log(bad)
    bad.write_text('[{ "seq_id" : 0, "qsl_idx" : 1, "data" : "zz" }]')
    with pytest.raises(DataError, match="record 0"):
        wl.score_accuracy_log(bad)
    with pytest.raises(DataError, match="nothere.json: accuracy log not found"):
        wl.score_accuracy_log(tmp_path / "nothere.json")


def test_cli_scores_a_log_and_reports_a_corrupt_one(tmp_path, capsys):
    wl = workloads.get("vww")
    log = accuracy_run(wl, tmp_path)
    assert main(["accuracy", "vww", str(log)]) == 0
    assert "PASS" in capsys.readouterr().out
    assert (tmp_path / "accuracy.txt").exists()
    log.write_text("[\n{ broken")
    assert main(["accuracy", "vww", str(log)]) != 0
    err = capsys.readouterr().err
    assert "error:" in err and str(log) in err and "Traceback" not in err


def test_reads_an_accuracy_log_written_by_the_official_loadgen(tmp_path):
    import mlperf_loadgen as mlg  # a test dependency: missing means a failure, not a skip
    from mlpace.workloads.official import run_official

    wl = workloads.get("digits")
    settings = mlg.TestSettings()
    settings.scenario = mlg.TestScenario.Offline
    settings.mode = mlg.TestMode.AccuracyOnly
    run_official(wl, settings, tmp_path)
    rep = wl.score_accuracy_log(tmp_path / "mlperf_log_accuracy.json", out_dir=tmp_path)
    assert rep.count == 540 and rep.passed, rep.why()
    ours = wl.score_accuracy_log(accuracy_run(wl, tmp_path / "ours"))
    assert rep.good == ours.good

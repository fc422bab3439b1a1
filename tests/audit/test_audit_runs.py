"""Audit runs end to end through the LoadGen with SUTs whose cost is simulated.

Each SUT runs the real digits model, and sleeps a fixed time per sample it computes,
so throughput is set by the sleep and not by a noisy shared machine:

* honest   - every sample costs the same: all three tests pass;
* caching  - keeps the last 8 answers by sample index and answers hits for free:
             TEST04 (same sample every query) catches it;
* drifting - answers honestly for as many samples as the accuracy run needs, then
             returns label 0 without running the model: TEST01 catches it.
"""

import re
import shutil
import time
from collections import OrderedDict

import numpy as np
import pytest

from mlpace import loadgen as lg
from mlpace import workloads
from mlpace.audit import run_audits
from mlpace.cli import main
from mlpace.loadgen.logs.read import read_summary

PER_SAMPLE_S = 400e-6
# Offline: one long sleep per query, so scheduler jitter on a busy machine is ~1% of a run
SCENARIO = "Offline"
SETTINGS = {"offline_expected_qps": 2500, "min_duration_ms": 200}


class Honest:
    def __init__(self, qsl):
        self.inner = workloads.get("digits").make_sut(qsl, complete=self._complete)
        self.name = "honest-digits"

    def _complete(self, ids, data):
        lg.complete(ids, data)

    def cost(self, indices):
        return len(indices)

    def issue_queries(self, ids, indices):
        for start in range(0, len(ids), 4096):
            chunk = indices[start:start + 4096]
            time.sleep(self.cost(chunk) * PER_SAMPLE_S)
            self.inner.issue_queries(ids[start:start + 4096], chunk)

    def flush_queries(self):
        pass


class Caching(Honest):
    def __init__(self, qsl):
        super().__init__(qsl)
        self.cache = OrderedDict()

    def cost(self, indices):
        misses = 0
        for i in indices.tolist():
            if i in self.cache:
                self.cache.move_to_end(i)
            else:
                misses += 1
                self.cache[i] = True
                if len(self.cache) > 8:
                    self.cache.popitem(last=False)
        return misses


class Drifting(Honest):
    def __init__(self, qsl):
        super().__init__(qsl)
        self.budget = qsl.total_sample_count

    def _complete(self, ids, data):
        if self.budget >= len(ids):
            self.budget -= len(ids)
            lg.complete(ids, data)
        else:
            lg.complete(ids, [np.zeros(1, "<i8")] * len(ids))


def audit(tmp_path, sut_cls):
    return {o.test: o for o in run_audits("digits", SCENARIO, tmp_path, sut_factory=sut_cls, settings_overrides=SETTINGS)}


def test_honest_sut_passes_all_three(tmp_path):
    out = audit(tmp_path, Honest)
    assert all(o.passed for o in out.values()), {t: o.why for t, o in out.items()}
    assert (tmp_path / "TEST01" / "verify_accuracy.txt").read_text().splitlines()[-1] == "TEST PASS"
    for t in ("TEST01", "TEST04", "TEST05"):
        assert (tmp_path / t / "verify_performance.txt").read_text().splitlines()[-1] == "TEST PASS"
        assert (tmp_path / t / "audit.config").is_file()
        assert (tmp_path / t / "performance" / "run_1" / "mlperf_log_summary.txt").is_file()
    assert "result: PASS" in (tmp_path / "accuracy" / "accuracy.txt").read_text()
    assert "TEST01" in str(out["TEST01"].folder)


def test_test04_catches_a_sut_that_caches_by_sample_index(tmp_path):
    out = audit(tmp_path, Caching)
    assert not out["TEST04"].passed
    # caught either by its score or, when so fast that it misses min duration, as invalid
    assert out["TEST04"].performance.reason in ("TEST FAIL: Test score invalid", "TEST FAIL: Test results are invalid")
    ref = read_summary(tmp_path / "performance" / "run_1")
    same = read_summary(tmp_path / "TEST04" / "performance" / "run_1")
    assert same.metric_value > 2 * ref.metric_value  # the repeated sample came from the cache
    assert out["TEST01"].passed  # its answers are right; only its speed is borrowed
    assert (tmp_path / "TEST04" / "verify_performance.txt").read_text().splitlines()[-1].startswith("TEST FAIL")


def test_test01_catches_answers_that_differ_from_the_accuracy_run(tmp_path):
    out = audit(tmp_path, Drifting)
    assert out["TEST01"].accuracy is not None and not out["TEST01"].accuracy.passed
    assert not out["TEST01"].passed
    lines = (tmp_path / "TEST01" / "verify_accuracy.txt").read_text().splitlines()
    mismatches = int(next(line for line in lines if line.startswith("num_perf_log_data_mismatch")).split("=")[1])
    assert mismatches > 0 and lines[-1].startswith("TEST FAIL")
    assert out["TEST04"].passed


def last_line(path):
    return path.read_text().splitlines()[-1]


def test_cli_runs_one_test_and_reports_a_bad_reference(tmp_path, capsys):
    fast = ["--set", "min_duration_ms=100", "--set", "offline_expected_qps=5000000"]  # a claim no machine beats: runs never too short
    code = main(["audit", "vww", "Offline", "--out", str(tmp_path / "a"), "--test", "TEST01", *fast])
    out = capsys.readouterr().out
    assert last_line(tmp_path / "a" / "TEST01" / "verify_accuracy.txt") == "TEST PASS"  # same answers: always
    perf = last_line(tmp_path / "a" / "TEST01" / "verify_performance.txt")
    assert code == (0 if perf == "TEST PASS" else 1), (code, perf)  # the exit code is the files' verdict
    assert "TEST01" in out and ("PASS" if code == 0 else "FAIL") in out

    # a reference that claims 3x the throughput: the audit run cannot be within 10% of it
    ref = tmp_path / "ref"
    shutil.copytree(tmp_path / "a" / "accuracy", ref / "accuracy")
    shutil.copytree(tmp_path / "a" / "performance", ref / "performance")
    summary = ref / "performance" / "run_1" / "mlperf_log_summary.txt"
    claimed = read_summary(summary).metric_value * 3
    text = re.sub(r"(?m)^(Samples per second\s*:\s*).*$", rf"\g<1>{claimed:.2f}", summary.read_text())
    summary.write_text(re.sub(r"(?m)^Result is : .*$", "Result is : VALID", text))
    code = main(["audit", "vww", "Offline", "--out", str(tmp_path / "b"), "--test", "TEST01", "--reference", str(ref), *fast])
    out = capsys.readouterr().out
    assert code == 1 and "FAIL" in out
    lines = (tmp_path / "b" / "TEST01" / "verify_performance.txt").read_text().splitlines()
    assert f"reference score = {claimed:g} (samples/s)" in lines and lines[-1] == "TEST FAIL: Test score invalid"
    assert any(line.startswith("rule: test score within +/-10% of the reference") for line in lines)
    assert last_line(tmp_path / "b" / "TEST01" / "verify_accuracy.txt") == "TEST PASS"

    code = main(["audit", "vww", "Offline", "--out", str(tmp_path / "c"), "--reference", str(tmp_path / "nothing"), *fast])
    err = capsys.readouterr().err
    assert code != 0 and "nothing" in err and "reference run file not found" in err


def test_unknown_test_name_or_setting_is_a_config_error(tmp_path, capsys):
    assert main(["audit", "digits", "Offline", "--out", str(tmp_path), "--test", "TEST02"]) == 2
    assert "allowed: TEST01, TEST04, TEST05" in capsys.readouterr().err
    assert main(["audit", "digits", "Offline", "--out", str(tmp_path), "--set", "min_duration=5"]) == 2
    assert "unknown setting 'min_duration'" in capsys.readouterr().err


@pytest.mark.parametrize("scenario", ["SingleStream"])
def test_latency_scenario_audit_writes_every_verdict(tmp_path, scenario):
    outs = run_audits("digits", scenario, tmp_path, settings_overrides={"min_duration_ms": 300})
    ref = read_summary(tmp_path / "performance" / "run_1")
    assert {o.test for o in outs} == {"TEST01", "TEST04", "TEST05"}
    for o in outs:
        lines = (o.folder / "verify_performance.txt").read_text().splitlines()
        got = read_summary(o.folder / "performance" / "run_1")
        # latency scenarios compare the early-stopping percentile estimates, in ns
        assert f"reference score = {ref.early_stopping[90.0]:g} (ns)" in lines
        assert f"test score = {got.early_stopping[90.0]:g} (ns)" in lines
        assert lines[-1] == ("TEST PASS" if o.performance.passed else "TEST FAIL: Test score invalid") or \
            (not got.valid and lines[-1] == "TEST FAIL: Test results are invalid")
        assert o.passed == (o.performance.passed and (o.accuracy is None or o.accuracy.passed))
    assert last_line(tmp_path / "TEST01" / "verify_accuracy.txt") == "TEST PASS"

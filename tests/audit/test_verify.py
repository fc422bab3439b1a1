"""File-only audit verification: accuracy comparison and the performance rules."""

import json

import numpy as np
import pytest

from mlpace.audit import configs, verify
from mlpace.errors import DataError

SUMMARY = """================================================
MLPerf Results Summary
================================================
SUT name : PySUT
Scenario : {scenario}
Mode     : PerformanceOnly
{metric}
Result is : {result}
  Min duration satisfied : Yes
  Min queries satisfied : Yes
  Early stopping satisfied: Yes
{es}
================================================
Test Parameters Used
================================================
samples_per_query : 1
target_latency (ns): {target_latency}

No warnings encountered during test.

No errors encountered during test.
"""


def summary(tmp_path, name, scenario, value, result="VALID", target_latency=0):
    if scenario == "Offline":
        metric, es = f"Samples per second: {value}", ""
    elif scenario == "Server":
        metric, es = f"Completed samples per second    : {value}", ""
    else:
        p = "90.0" if scenario == "SingleStream" else "99.0"
        metric = f"{p}th percentile latency (ns) : {value - 5}"
        es = f"Early Stopping Result:\n * Early stopping {p}th percentile estimate: {value}\n"
    path = tmp_path / f"{name}.txt"
    path.write_text(SUMMARY.format(scenario=scenario, metric=metric, result=result, es=es,
                                   target_latency=target_latency))
    return path


def log(tmp_path, name, records, dtype="<i8"):
    path = tmp_path / f"{name}.json"
    rows = [{"seq_id": i, "qsl_idx": idx, "data": np.array([v], dtype).tobytes().hex().upper()}
            for i, (idx, v) in enumerate(records)]
    path.write_text(json.dumps(rows))
    return path


def test_accuracy_pass_mismatch_and_no_overlap(tmp_path):
    ref = log(tmp_path, "ref", [(0, 5), (1, 7), (2, 9)])
    same = log(tmp_path, "same", [(1, 7), (1, 7), (2, 9)])
    diff = log(tmp_path, "diff", [(1, 7), (2, 3)])
    none = log(tmp_path, "none", [(8, 1)])
    ok = verify.verify_accuracy(ref, same, "int64")
    assert ok.passed and "num_perf_log_qsl_idx_match = 3" in ok.lines and ok.lines[-1] == "TEST PASS"
    bad = verify.verify_accuracy(ref, diff, "int64")
    assert not bad.passed and "num_perf_log_data_mismatch = 1" in bad.lines
    assert bad.lines[-1].startswith("TEST FAIL")
    assert not verify.verify_accuracy(ref, none, "int64").passed


def test_accuracy_compares_only_the_first_element_in_the_given_dtype(tmp_path):
    ref = log(tmp_path, "ref", [(0, 1.5)], "<f4")
    test = log(tmp_path, "test", [(0, 1.5)], "<f4")
    assert verify.verify_accuracy(ref, test, "float32").passed
    with pytest.raises(DataError, match="dtype"):
        verify.verify_accuracy(ref, test, "float16")


@pytest.mark.parametrize(
    "test,scenario,ref,got,passed",
    [
        ("TEST01", "Offline", 1000, 1090, True),
        ("TEST01", "Offline", 1000, 1110, False),
        ("TEST01", "Offline", 1000, 880, False),
        ("TEST04", "Offline", 1000, 1500, False),   # same sample much faster: caching
        ("TEST04", "Offline", 1000, 500, True),
        ("TEST04", "Server", 1000, 1050, True),
        ("TEST04", "SingleStream", 1_000_000, 850_000, False),  # latency 15% lower
        ("TEST04", "SingleStream", 1_000_000, 1_300_000, True),
        ("TEST04", "SingleStream", 150_000, 125_000, True),  # <= 200 us: 20% threshold
        ("TEST05", "Offline", 1000, 960, True),
        ("TEST05", "Offline", 1000, 940, False),
        ("TEST05", "MultiStream", 2_000_000, 2_080_000, True),
        ("TEST05", "MultiStream", 2_000_000, 2_200_000, False),
    ],
)
def test_performance_rules(tmp_path, test, scenario, ref, got, passed):
    v = verify.verify_performance(test, summary(tmp_path, "r", scenario, ref), summary(tmp_path, "t", scenario, got))
    assert v.passed is passed, v.lines
    assert v.lines[-1] == ("TEST PASS" if passed else "TEST FAIL: Test score invalid")


def test_invalid_runs_and_server_latency_mismatch_fail(tmp_path):
    ok = summary(tmp_path, "ok", "Server", 100, target_latency=10_000_000)
    bad = summary(tmp_path, "bad", "Server", 100, result="INVALID", target_latency=10_000_000)
    other = summary(tmp_path, "other", "Server", 100, target_latency=20_000_000)
    assert verify.verify_performance("TEST04", bad, ok).reason == "TEST FAIL: Reference results are invalid"
    assert verify.verify_performance("TEST04", ok, bad).reason == "TEST FAIL: Test results are invalid"
    assert "target latency mismatch" in verify.verify_performance("TEST04", ok, other).reason
    offline = summary(tmp_path, "off", "Offline", 100)
    assert "scenarios do not match" in verify.verify_performance("TEST04", ok, offline).reason


def test_corrupt_summary_names_the_file(tmp_path):
    ok = summary(tmp_path, "ok", "Offline", 100)
    broken = tmp_path / "broken.txt"
    broken.write_text("=====\nMLPerf Results Summary\nSUT name : x\n")
    with pytest.raises(DataError, match="broken.txt: not a LoadGen summary"):
        verify.verify_performance("TEST01", ok, broken)
    with pytest.raises(DataError, match="missing.txt: summary log not found"):
        verify.verify_performance("TEST01", ok, tmp_path / "missing.txt")


def test_audit_configs_carry_the_official_keys():
    t01 = configs.audit_config_text("TEST01", sampling_target=256)
    assert "*.*.mode = 2" in t01 and "*.*.accuracy_log_rng_seed = 720381539243781796" in t01
    assert "*.*.accuracy_log_sampling_target = 256" in t01
    t04 = configs.audit_config_text("TEST04")
    for s in ("SingleStream", "MultiStream", "Server", "Offline"):
        assert f"*.{s}.performance_issue_same = 1" in t04
        assert f"*.{s}.performance_issue_same_index = 3" in t04
    t05 = configs.audit_config_text("TEST05")
    assert "*.*.qsl_rng_seed = 313588358309856706" in t05
    with pytest.raises(ValueError):
        configs.audit_config_text("TEST99")


def test_read_verdict_accepts_official_output(tmp_path):
    p = tmp_path / "verify_performance.txt"
    p.write_text("Verifying performance.\nreference score = 1\ntest score = 1\nTEST PASS\n")
    assert verify.read_verdict(p).passed
    p.write_text("Verifying performance.\nTEST FAIL: Test score invalid\n")
    assert not verify.read_verdict(p).passed

"""TEST06/TEST09 checks on hand-made accuracy logs (the official rules, quirks included)."""

import json

import numpy as np
import pytest

from mlpace.audit import llm


def write_log(path, samples):
    """samples: (data ids, first-token ids or None, token_count)."""
    recs = []
    for i, (data, first, count) in enumerate(samples):
        rec = {"seq_id": i, "qsl_idx": i, "data": np.asarray(data, dtype="<i4").tobytes().hex().upper()}
        if first is not None:
            rec["token_data"] = np.asarray(first, dtype="<i4").tobytes().hex().upper()
        rec["token_count"] = count
        recs.append(rec)
    path.write_text(json.dumps(recs))
    return path


def test_test06_passes_consistent_outputs(tmp_path):
    log = write_log(tmp_path / "a.json", [([5, 6, 2], [5], 3), ([7, 8, 9], [7, 8], 3), ([2, 2], [2], 2)])
    v = llm.verify_test06(log, "Server")
    assert v.passed and v.lines == ["First token check pass: True", "EOS check pass: True",
                                    "Sample length check pass: True", "TEST06 verification complete"]


@pytest.mark.parametrize("samples,scenario,bad_line", [
    ([([5, 6, 2], [6], 3)], "Server", "First token check pass: False"),
    ([([5, 6, 2, 2], [5], 4)], "Server", "EOS check pass: False"),
    ([([5, 2, 2, 2], [5], 4)], "Offline", "EOS check pass: False"),
    ([([5, 6, 2], [5], 4)], "Server", "Sample length check pass: False"),
    ([([5, 6, 2], None, 3)], "Server", "First token check pass: False"),  # no token_data logged
])
def test_test06_catches_each_cheat(tmp_path, samples, scenario, bad_line):
    v = llm.verify_test06(write_log(tmp_path / "a.json", samples), scenario)
    assert not v.passed and bad_line in v.lines and v.lines[-1] == "TEST06 verification failed"


def test_test06_offline_skips_the_first_token_check(tmp_path):
    v = llm.verify_test06(write_log(tmp_path / "a.json", [([5, 6, 2], None, 3)]), "Offline")
    assert v.passed and v.lines[0] == "First token check pass: Skipped"


def test_test09_bounds_are_inclusive_and_config_round_trips(tmp_path):
    cfg = tmp_path / "audit.config"
    cfg.write_text(llm.test09_config_text(300, 50.0))
    assert llm.read_test09_bounds(cfg) == (45.0, 55.0)
    log = write_log(tmp_path / "a.json", [([1] * 40, None, 40), ([1] * 50, None, 50)])  # mean 45
    assert llm.verify_test09(log, 45.0, 55.0).passed
    v = llm.verify_test09(log, 45.01, 55.0)
    assert not v.passed and "Min check pass: False" in v.lines and v.lines[-1] == "TEST FAIL"
    assert "Mean output tokens: 45.00" in v.lines


def test_audit_configs_parse_with_the_strict_conf_reader(tmp_path):
    from mlpace import loadgen as lg

    for text in (llm.test06_config_text(), llm.test09_config_text(300, 49.6)):
        path = tmp_path / "audit.config"
        path.write_text(text)
        s = lg.TestSettings.make(scenario="Server")
        s.FromConfig(str(path), "textgen", "Server", 1)
        assert int(s.mode) == 2 and s.accuracy_log_rng_seed == 720381539243781796


def test_read_test06_verdict_follows_the_official_checker(tmp_path):
    path = tmp_path / "verify_accuracy.txt"
    path.write_text("First token check pass: Skipped\nEOS check pass: True\nSample length check pass: True\n"
                    "TEST06 verification complete\n")
    assert llm.read_test06_verdict(path).passed
    path.write_text("First token check pass: True\nEOS check pass: False\nSample length check pass: True\n"
                    "TEST06 verification failed\n")
    v = llm.read_test06_verdict(path)
    assert not v.passed and v.reason == "TEST06 verification failed: EOS"

"""TEST06 / TEST09 on textgen: PASS on the reference SUT, FAIL on SUTs that cheat."""

import numpy as np
import pytest

from mlpace import loadgen as lg
from mlpace import workloads
from mlpace.audit import run_audits
from mlpace.workloads.textgen import TextgenSUT


class CheatingLoadGen:
    """Forwards the SUT's reports to the LoadGen, altered the way a cheating SUT would."""

    def __init__(self, cheat: str):
        self.cheat = cheat

    def first_token_complete(self, ids, data):
        if self.cheat == "first_token":
            data = np.asarray(data) + 1
        lg.first_token_complete(ids, data)

    def complete(self, ids, payloads, n_tokens):
        out = payloads[0]
        if self.cheat == "double_eos":
            out = np.concatenate([out, [2, 2]]).astype("<i4")
            n_tokens = [len(out)]
        elif self.cheat == "token_count":
            n_tokens = [len(out) + 1]
        elif self.cheat == "truncate":
            out = out[:2]
            n_tokens = [2]
        lg.complete(ids, [out], n_tokens=n_tokens)

    def fail(self, message):
        lg.fail(message)


@pytest.fixture(scope="module")
def wl():
    return workloads.get("textgen")


def cheating_factory(wl, cheat, engines):
    def factory(qsl):
        eng = wl.make_engine(16)
        engines.append(eng)
        return TextgenSUT(qsl, eng, wl.max_output_tokens, wl.min_output_tokens, lg=CheatingLoadGen(cheat))
    return factory


@pytest.fixture
def engines():
    made = []
    yield made
    for eng in made:
        eng.close()


def test_cli_audit_textgen_offline_runs_test06_and_test09(tmp_path):
    from mlpace.cli import main

    out = tmp_path / "audit"
    assert main(["audit", "textgen", "Offline", "--out", str(out)]) == 0
    v06 = (out / "TEST06" / "verify_accuracy.txt").read_text().splitlines()
    assert v06 == ["First token check pass: Skipped", "EOS check pass: True", "Sample length check pass: True",
                   "TEST06 verification complete"]
    assert (out / "TEST06" / "accuracy" / "mlperf_log_accuracy.json").is_file()
    assert "*.*.accuracy_log_sampling_target = 100" in (out / "TEST06" / "audit.config").read_text()
    v09 = (out / "TEST09" / "verify_output_len.txt").read_text().splitlines()
    assert v09[-1] == "TEST PASS" and "Total samples: 300" in v09
    assert (out / "TEST09" / "performance" / "run_1" / "mlperf_log_summary.txt").is_file()
    assert not (out / "TEST01").exists()


def test_reference_sut_passes_test06_in_server(wl, tmp_path, engines):
    [o] = run_audits("textgen", "Server", tmp_path, ("TEST06",), sut_factory=cheating_factory(wl, "none", engines),
                     settings_overrides={"server_target_qps": 100})
    assert o.passed, o.accuracy.lines
    assert (tmp_path / "TEST06" / "verify_accuracy.txt").read_text().splitlines()[0] == "First token check pass: True"


@pytest.mark.parametrize("cheat,scenario,test,line", [
    ("first_token", "Server", "TEST06", "First token check pass: False"),
    ("double_eos", "Offline", "TEST06", "EOS check pass: False"),
    ("token_count", "Offline", "TEST06", "Sample length check pass: False"),
    ("truncate", "Offline", "TEST09", "Min check pass: False"),
])
def test_cheating_suts_fail(wl, tmp_path, engines, cheat, scenario, test, line):
    [o] = run_audits("textgen", scenario, tmp_path, (test,), sut_factory=cheating_factory(wl, cheat, engines),
                     settings_overrides={"server_target_qps": 100})
    assert not o.passed
    name = "verify_accuracy.txt" if test == "TEST06" else "verify_output_len.txt"
    lines = (tmp_path / test / name).read_text().splitlines()
    assert line in lines
    assert lines[-1] == ("TEST06 verification failed" if test == "TEST06" else "TEST FAIL")

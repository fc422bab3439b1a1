"""The workload registry: names, lookup errors, targets and per-scenario settings."""

import numpy as np
import pytest

from mlpace import loadgen as lg
from mlpace import workloads
from mlpace.errors import ConfigError
from mlpace.loadgen.logs.accuracy import write_accuracy_log


def test_names_start_with_the_run_default():
    assert workloads.names()[0] == "digits"
    assert {"digits", "vww", "anomaly"} <= set(workloads.names())


def test_unknown_workload_lists_the_names():
    with pytest.raises(ConfigError) as err:
        workloads.get("resnet")
    for name in workloads.names():
        assert name in str(err.value)


def fresh_outputs(wl):
    """The seeded model's payload value for every evaluation sample (the session's cache is new, so
    the model is trained from its seed in this test session)."""
    qsl = wl.make_qsl()
    sut = wl.make_sut(qsl, backend="onnxruntime")
    everything = np.arange(qsl.total_sample_count, dtype=np.int64)
    qsl.load_samples(everything)
    return sut.infer(everything)[:, 0]


def score_log(wl, outputs, path):
    write_accuracy_log(path, ((i, i, np.asarray(v, dtype=wl.payload_dtype).tobytes()) for i, v in enumerate(outputs)))
    return wl.score_accuracy_log(path)


@pytest.mark.parametrize("name", ["digits", "vww", "anomaly"])
def test_documented_reference_is_what_a_fresh_training_scores(name, tmp_path):
    wl = workloads.get(name)
    outputs = fresh_outputs(wl)
    report = score_log(wl, outputs, tmp_path / "fresh.json")
    # the constant is the figure printed to 4 decimals; one eval sample moves top-1 by 0.2%
    assert report.value == pytest.approx(wl.reference, abs=6e-4), f"{name}: reference {wl.reference}, fresh {report.value:.4f}"
    assert report.passed and report.count == report.total == len(outputs)
    assert wl.target == pytest.approx(0.99 * report.value, abs=1e-3)  # MLPerf: 99% of what the reference scores
    assert wl.proxy_note and "proxy" in wl.proxy_note


@pytest.mark.parametrize("name", ["digits", "vww"])
def test_target_is_the_exact_pass_line(name, tmp_path):
    wl = workloads.get(name)
    outputs = fresh_outputs(wl)
    labels = wl.eval_set[1]
    right = np.flatnonzero(outputs == labels)
    n = len(labels)
    spare = int(np.floor((len(right) / n - wl.target) * n + 1e-9))  # right answers that may be lost

    def with_wrong(k):  # break k right answers
        out = outputs.copy()
        out[right[:k]] = (labels[right[:k]] + 1) % (labels.max() + 1)
        return out

    last_pass = score_log(wl, with_wrong(spare), tmp_path / "last_pass.json")
    assert last_pass.passed and last_pass.value >= wl.target, last_pass.why()
    first_fail = score_log(wl, with_wrong(spare + 1), tmp_path / "first_fail.json")
    assert not first_fail.passed and first_fail.value < wl.target and first_fail.verdict == "FAIL"
    assert first_fail.good == len(right) - spare - 1


def test_anomaly_target_fails_scores_that_no_longer_rank(tmp_path):
    wl = workloads.get("anomaly")
    outputs = fresh_outputs(wl).astype(np.float64)
    labels = wl.eval_set[1]
    shuffled = outputs.copy()
    rng = np.random.default_rng(0)
    part = rng.choice(len(outputs), size=len(outputs) // 5, replace=False)
    shuffled[part] = rng.permutation(shuffled[part])  # a fifth of the scores lose their ranking
    report = score_log(wl, shuffled.astype(np.float32), tmp_path / "shuffled.json")
    assert report.value < wl.target and not report.passed
    assert set(np.unique(labels)) == {0, 1}


@pytest.mark.parametrize("name", ["digits", "vww", "anomaly"])
@pytest.mark.parametrize("scenario", ["SingleStream", "multistream", lg.TestScenario.Server, "Offline"])
def test_default_settings_build_valid_test_settings(name, scenario):
    values = workloads.get(name).default_settings(scenario)
    settings = lg.TestSettings.make(**values)
    assert settings.scenario.name.lower() == getattr(scenario, "name", scenario).lower()
    assert settings.min_duration_ms <= 2000  # laptop-sized


def test_unknown_scenario_names_the_allowed_ones():
    with pytest.raises(ConfigError, match="SingleStream, MultiStream, Server, Offline"):
        workloads.get("digits").default_settings("Streaming")


def test_cli_lists_each_workload_with_target_and_proxy_note(capsys):
    from mlpace.cli import main

    assert main(["workloads"]) == 0
    out = capsys.readouterr().out
    for name in workloads.names():
        wl = workloads.get(name)
        assert wl.name in out and f"{wl.target:.4f}" in out
    assert out.lower().count("proxy") >= len(workloads.names())

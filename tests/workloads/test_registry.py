"""The workload registry: names, lookup errors, targets and per-scenario settings."""

import pytest

from mlpace import workloads
from mlpace.errors import ConfigError
from mlpace import loadgen as lg


def test_names_start_with_the_run_default():
    assert workloads.names()[0] == "digits"
    assert {"digits", "vww", "anomaly"} <= set(workloads.names())


def test_unknown_workload_lists_the_names():
    with pytest.raises(ConfigError) as err:
        workloads.get("resnet")
    for name in workloads.names():
        assert name in str(err.value)


@pytest.mark.parametrize("name", ["digits", "vww", "anomaly"])
def test_targets_are_99_percent_of_reference_and_proxies_say_so(name):
    wl = workloads.get(name)
    assert wl.target == pytest.approx(0.99 * wl.reference, abs=1e-6)
    assert "99% of reference" in wl.target_note
    assert wl.proxy_note and "proxy" in wl.proxy_note
    assert wl.metric in ("top1", "auc")


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

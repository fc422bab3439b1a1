"""``mlpace.runs.settings``: the precedence and calibration policy shared by ``mlpace run`` and the audits."""

from __future__ import annotations

import numpy as np
import pytest

from mlpace import workloads
from mlpace.errors import ConfigError
from mlpace.loadgen import FunctionSUT, SimpleQSL
from mlpace.loadgen.settings import TestMode as Mode
from mlpace.loadgen.settings import TestScenario as Scenario
from mlpace.runs.scenarios import OFFICIAL_SEEDS
from mlpace.runs.settings import build_settings, calibrate_claims, parse_mode, prepare_runs


def test_defaults_then_conf_then_overrides(tmp_path):
    wl = workloads.get("digits")
    conf = tmp_path / "user.conf"
    conf.write_text("digits.Offline.min_duration = 3000\ndigits.Offline.target_qps = 100\n")
    s = build_settings(wl, "Offline", Mode.PerformanceOnly, [conf], overrides={"offline_expected_qps": "50"})
    assert s.scenario is Scenario.Offline and s.mode is Mode.PerformanceOnly
    assert s.min_duration_ms == 3000  # the conf file beats the workload's 1000
    assert s.offline_expected_qps == 50  # --set beats the conf file's 100
    assert s.min_query_count == wl.scenario_settings["Offline"]["min_query_count"]  # untouched default
    assert {k: getattr(s, k) for k in OFFICIAL_SEEDS} == OFFICIAL_SEEDS
    # no conf, no override: the workload's own values
    plain = build_settings(wl, "Offline")
    assert plain.min_duration_ms == 1000 and plain.offline_expected_qps == 2_500_000


def test_bad_input_names_the_key_or_file(tmp_path):
    wl = workloads.get("digits")
    with pytest.raises(ConfigError, match="unknown setting 'nope'.*min_duration_ms"):
        build_settings(wl, "Offline", overrides={"nope": "1"})
    with pytest.raises(ConfigError, match="conf file not found: .*missing.conf"):
        build_settings(wl, "Offline", conf=[tmp_path / "missing.conf"])
    with pytest.raises(ConfigError, match="unknown mode 'fast'; allowed: SubmissionRun"):
        parse_mode("fast")
    assert parse_mode("accuracyonly") is Mode.AccuracyOnly
    with pytest.raises(ConfigError, match="FindPeakPerformance searches a Server QPS"):
        prepare_runs(wl, ["Server", "Offline"], Mode.FindPeakPerformance)
    runs = prepare_runs(wl, ["Offline", "SingleStream"], Mode.SubmissionRun, sut_timeout_ms=1234)
    assert [scen for scen, _ in runs] == ["Offline", "SingleStream"]
    assert all(s.sut_timeout_ms == 1234 and s.mode is Mode.SubmissionRun for _, s in runs)


def test_calibration_fits_only_the_claims_the_user_left_unset():
    qsl = SimpleQSL("q", 64, 64)
    sut = FunctionSUT(lambda idx: np.zeros(len(idx), dtype=np.int64), with_data=False)
    wl = workloads.get("digits")
    [(_, mine)] = prepare_runs(wl, ["Offline"], Mode.PerformanceOnly, overrides={"offline_expected_qps": "7"})
    [(_, fitted)] = prepare_runs(wl, ["Offline"], Mode.PerformanceOnly)
    notes = calibrate_claims(sut, qsl, [("Offline", mine)], {"offline_expected_qps"})
    assert notes == [] and mine.offline_expected_qps == 7
    notes = calibrate_claims(sut, qsl, [("Offline", fitted)], set())
    assert len(notes) == 1 and notes[0][0] == "Offline" and "calibrated offline_expected_qps" in notes[0][1]
    assert fitted.offline_expected_qps != 2_500_000  # replaced by 1.5 x the probe's measured rate
    assert f"{fitted.offline_expected_qps:,.0f}" in notes[0][1]

"""Settings of a workload run: precedence, validation and the calibration of claims.

One home for the policy that ``mlpace run`` and ``mlpace audit`` share:

- precedence, lowest first: the workload's defaults, conf files (official syntax),
  ``--set key=value`` overrides; every value validated with its key named;
- which runs a command prepares (every scenario validated before any runs);
- calibration: the Offline QPS / stream latency claim is fitted to the machine with
  a 0.2 s probe unless the user set it (``mlpace.loadgen.calibrate``).

The CLI only parses options and prints; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from mlpace.errors import ConfigError
from mlpace.loadgen.settings import TestMode, TestScenario, TestSettings
from mlpace.runs.scenarios import scenario_name

MODES = {m.name.lower(): m for m in TestMode}


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``["key=value", ...]`` -> dict, with a clear error for a malformed pair."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value (got {pair!r})")
        out[key.strip()] = value.strip()
    return out


def parse_mode(name: str) -> TestMode:
    """A mode name, any case (``SubmissionRun``, ``accuracyonly``...) -> ``TestMode``."""
    mode = MODES.get(name.lower())
    if mode is None:
        raise ConfigError(f"unknown mode {name!r}; allowed: {', '.join(m.name for m in TestMode)}")
    return mode


def build_settings(workload, scenario: str, mode: TestMode | None = None, conf: Sequence[Path] = (),
                   model: str | None = None, overrides: Mapping[str, object] | None = None) -> TestSettings:
    """Workload defaults, then conf files, then ``overrides``; all validated.

    ``workload`` may be None (the settings' own defaults). ``mode`` None keeps the
    workload's (or the conf files') mode.
    """
    values = workload.default_settings(scenario) if workload is not None else {"scenario": scenario}
    settings = TestSettings.make(**values)
    conf_model = model or (workload.name if workload is not None else "")
    for path in conf:
        if not Path(path).is_file():
            raise ConfigError(f"conf file not found: {path}")
        settings.FromConfig(str(path), conf_model, scenario, 1)
    for key, value in (overrides or {}).items():
        if key not in TestSettings.model_fields:
            raise ConfigError(f"unknown setting {key!r} in --set; allowed: {', '.join(TestSettings.model_fields)}")
        setattr(settings, key, value)
    settings.scenario = TestScenario[scenario_name(scenario)]
    if mode is not None:
        settings.mode = mode
    return settings


def prepare_runs(workload, scenarios: Sequence[str], mode: TestMode, conf: Sequence[Path] = (),
                 model: str | None = None, overrides: Mapping[str, object] | None = None,
                 sut_timeout_ms: int | None = None) -> list[tuple[str, TestSettings]]:
    """Validated settings for each scenario, before any run starts (a bad key fails them all)."""
    if mode is TestMode.FindPeakPerformance and any(s != "Server" for s in scenarios):
        raise ConfigError("--mode FindPeakPerformance searches a Server QPS: use -s Server "
                          f"(got {', '.join(scenarios)})")
    prepared = []
    for scen in scenarios:
        settings = build_settings(workload, scen, mode, conf, model, overrides)
        if sut_timeout_ms is not None:
            settings.sut_timeout_ms = sut_timeout_ms
        prepared.append((scen, settings))
    return prepared


def calibrate_claims(sut, qsl, prepared: Iterable[tuple[str, TestSettings]],
                     explicit: Iterable[str]) -> list[tuple[str, str]]:
    """Fit each run's unset claim to this machine; returns ``(scenario, what was set)`` pairs.

    ``explicit``: keys the user set (left alone). The caller skips this when conf files
    were given (their claims are the user's).
    """
    from mlpace.loadgen.calibrate import calibrate

    keys = set(explicit)
    notes = []
    for scen, settings in prepared:
        note = calibrate(sut, qsl, settings, keys)
        if note:
            notes.append((scen, note))
    return notes


__all__ = ["MODES", "build_settings", "calibrate_claims", "parse_mode", "parse_overrides", "prepare_runs"]

"""Scenario names and the official seeds that every workload run and the checker share.

Light on purpose (no model or ONNX import): the file-only checker reads these.
"""

from __future__ import annotations

from mlpace.errors import ConfigError

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")

# The official mlperf.conf seeds, so default runs draw the same samples and schedules
# as an official LoadGen run would.
OFFICIAL_SEEDS = {
    "qsl_rng_seed": 2085463073848966840,
    "sample_index_rng_seed": 2747215439041700203,
    "schedule_rng_seed": 16159082839903944936,
}


def scenario_name(scenario) -> str:
    """Canonical scenario name from a string (any case) or a ``TestScenario``."""
    text = getattr(scenario, "name", str(scenario))
    for name in SCENARIOS:
        if name.lower() == text.lower():
            return name
    raise ConfigError(f"unknown scenario {text!r}; allowed: {', '.join(SCENARIOS)}")


__all__ = ["OFFICIAL_SEEDS", "SCENARIOS", "scenario_name"]

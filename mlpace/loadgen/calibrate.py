"""Calibration of a run's throughput/latency claim to the machine, with a short probe run.

The official LoadGen sizes a run from what the user claims the SUT can do; a
claim the machine beats ends the run before ``min_duration`` (INVALID). The CLI
and the audits call ``calibrate`` unless the user set the claim.
"""

from __future__ import annotations

import tempfile

from mlpace.loadgen.settings import TestMode, TestScenario, TestSettings

_CALIBRATED = {
    "Offline": "offline_expected_qps",
    "SingleStream": "single_stream_expected_latency_ns",
    "MultiStream": "multi_stream_expected_latency_ns",
}


def calibrate(sut, qsl, settings: TestSettings, explicit: set[str]) -> str | None:
    """Fit the expected QPS / latency to this machine with a 0.2 s probe run.

    The official rules size the run from these claims (Offline's one query holds
    1.1 x min_duration x expected QPS samples; SingleStream/MultiStream generate
    2 x min_duration / expected latency queries), so a claim the machine beats
    gives a short, INVALID run. ``explicit``: keys the user set (left alone).
    Returns what was set, or None.
    """
    from mlpace.loadgen.api import LogSettings, start_test

    key = _CALIBRATED.get(TestScenario(settings.scenario).name)
    if key is None or key in explicit:
        return None
    probe = settings.model_copy()
    probe.mode = TestMode.PerformanceOnly
    probe.min_duration_ms = 200
    probe.min_query_count = 1
    with tempfile.TemporaryDirectory(prefix="mlpace-probe-") as tmp:
        r = start_test(sut, qsl, probe, LogSettings(outdir=tmp), audit_config=None)
    if r.interrupted:  # Ctrl-C during the probe stops the command, not just the probe
        raise KeyboardInterrupt
    if not r.metrics or r.errors:
        return None
    if key == "offline_expected_qps":
        measured = r.metrics["samples_per_second"]
        value = max(1.0, round(1.5 * measured))
        text = f"{measured:,.0f} samples/s"
    else:
        measured = r.metrics["mean_latency_ns"]
        value = max(1.0, round(measured / 2))
        text = f"mean latency {measured / 1e3:,.1f} µs"
    setattr(settings, key, value)
    return f"calibrated {key} = {value:,.0f} from a 0.2 s probe ({text})"



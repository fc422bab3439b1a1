"""FindPeakPerformance: search the highest Server QPS that meets the latency bound.

As the official LoadGen does: a first run at ``server_target_qps`` (the lower
bound) must meet the latency constraint; the upper bound then grows by
``(1 + server_find_peak_qps_boundary_step_size)`` until a run fails; then the
interval is bisected until ``floor(l * 10^d) + 1 >= floor(u * 10^d)`` with
``d = server_find_peak_qps_decimals_of_precision``. Only latency counts here
(min duration and early stopping are not part of the search criterion).
"""

from __future__ import annotations

import math
from dataclasses import replace

from mlpace.errors import ConfigError
from mlpace.loadgen.effective import derive
from mlpace.loadgen.settings import TestMode, TestScenario


def find_peak(settings, total, perf, performance_run, detail):
    """Return ``(peak_qps, result_of_the_run_at_peak)``; ``performance_run(eff)`` runs one test."""
    if settings.scenario != TestScenario.Server:
        raise ConfigError("mode FindPeakPerformance needs scenario Server (got "
                          f"{TestScenario(settings.scenario).name})")
    base = derive(settings, total, perf)
    step = settings.server_find_peak_qps_boundary_step_size
    digits = settings.server_find_peak_qps_decimals_of_precision
    scale = 10 ** digits

    def field(qps: float) -> str:
        return f"{qps:f}"  # the official std::to_string(target_qps)

    def attempt(qps: float, message: str):
        eff = replace(base, target_qps=qps, mode=TestMode.PerformanceOnly)
        detail.point("generic_message", message)
        r = performance_run(eff)
        ok = bool(r.perf_constraints_met) and not r.errors and not r.interrupted
        return ok, r

    detail.point("generic_message", "Starting FindPeakPerformance mode")
    lower = base.target_qps
    ok, best = attempt(lower, "FindPeakPerformance: Check validity of the base settings field: "
                       + field(lower))
    if not ok:
        # the official names the latency recommendation (PerfConstraintsMet's message)
        why = next((t for t in best.recommendations if "Reduce target QPS" in t), "")
        detail.point("error_runtime", "FindPeakPerformance: Initial lower bound does not satisfy "
                     f"performance constraints, msg: {why}", error=True)
        best.recommendations.append(
            "FindPeakPerformance: the lower bound (server_target_qps) already misses the latency bound."
        )
        return None, best
    upper = lower * (1 + step)
    while True:
        ok, r = attempt(upper, f"FindBoundaries: Checking fields [{field(lower)}, {field(upper)})")
        if not ok:
            break
        lower, best = upper, r
        upper = upper * (1 + step)
    detail.point("generic_message",
                 f"FindPeakPerformance: Found boundaries: [{field(lower)}, {field(upper)})")
    while math.floor(lower * scale) + 1 < math.floor(upper * scale):
        mid = lower + (upper - lower) / 2  # the official MidOfBoundaries, rounding included
        ok, r = attempt(mid, "FindPeakPerformanceBinarySearch: Testing the mid value of bounds "
                        f"[{field(lower)}, {field(upper)}): {field(mid)}")
        if ok:
            lower, best = mid, r
        else:
            upper = mid
    detail.point("generic_message", f"FindPeakPerformance: Found peak performance field: {field(lower)}")
    return lower, best

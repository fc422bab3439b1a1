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

    def attempt(qps: float):
        eff = replace(base, target_qps=qps, mode=TestMode.PerformanceOnly)
        detail.point("generic_message", f"FindPeakPerformance: trying target_qps={qps:g}")
        r = performance_run(eff)
        ok = bool(r.perf_constraints_met) and not r.errors and not r.interrupted
        detail.point("generic_message", f"FindPeakPerformance: target_qps={qps:g} "
                     f"{'meets' if ok else 'misses'} the latency bound")
        return ok, r

    lower = base.target_qps
    ok, best = attempt(lower)
    if not ok:
        best.recommendations.append(
            "FindPeakPerformance: the lower bound (server_target_qps) already misses the latency bound."
        )
        return None, best
    upper = lower * (1 + step)
    while True:
        ok, r = attempt(upper)
        if not ok:
            break
        lower, best = upper, r
        upper = upper * (1 + step)
    while math.floor(lower * scale) + 1 < math.floor(upper * scale):
        mid = (lower + upper) / 2
        ok, r = attempt(mid)
        if ok:
            lower, best = mid, r
        else:
            upper = mid
    detail.point("generic_message", f"FindPeakPerformance: peak target_qps={lower:g}")
    return lower, best

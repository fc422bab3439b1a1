"""Re-derive a performance run's figures and verdict from its logs instead of trusting them.

``mlpace check`` calls these on every scenario folder:

* :func:`summary_vs_detail` - every figure the summary states (result, metric, latency
  statistics, the satisfied/not lines, early-stopping estimates, parameters) against the
  value the detail log holds for it; each mismatch names both files, the field and both
  values.
* :func:`recompute_verdict` - the verdict recomputed from the detail log's counts, latencies
  and effective settings with the LoadGen's own rules (``loadgen.results.percentile`` order,
  ``loadgen.early_stopping``): minimum query count, minimum duration (bounded from the
  reported rates), the Server latency bound, early stopping, errors; and the headline rates
  recomputed from the counts and latencies they are made of.

Both accept logs written by mlpace or by the official LoadGen (same keys).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from mlpace.loadgen.early_stopping import server_early_stopping, stream_early_stopping
from mlpace.loadgen.results import PERCENTILES

# tolerance for figures the two files round differently (summary: 2 decimals or 6 digits,
# detail: 3 decimals or 6 digits)
REL_TOL = 1e-4


@dataclass
class Rederived:
    """The verdict recomputed from a detail log, with a reason per failed rule."""

    valid: bool
    reasons: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


def summary_fields(path: Path) -> dict[str, str]:
    """Every ``label : value`` line of a summary (first occurrence of a label wins)."""
    out: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        label, sep, value = raw.partition(":")
        if sep and value.strip():
            out.setdefault(label.strip().removeprefix("* "), value.strip())
    return out


def _last(detail: dict, key: str):
    values = detail.get(key)
    return values[-1] if values else None


def _first(detail: dict, key: str):
    values = detail.get(key)
    return values[0] if values else None


def _num(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def _close(a: float, b: float, abs_tol: float = 0.0) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=abs_tol)


def _scenario(detail: dict) -> str:
    return str(_first(detail, "effective_scenario") or "").replace(" ", "")


def _percentile(detail: dict) -> float:
    p = _num(_first(detail, "effective_target_latency_percentile")) or 0.9
    return p / 100 if p > 1 else p


def _yes(value: str) -> bool | None:
    return {"Yes": True, "NO": False, "No": False}.get(value)


def summary_vs_detail(summary_path: Path, detail: dict, detail_path: Path) -> list[str]:
    """Each figure of the summary that disagrees with the detail log, named with both values."""
    fields = summary_fields(summary_path)
    scen = _scenario(detail)
    out: list[str] = []

    def mismatch(label: str, key: str, said, held) -> None:
        out.append(f"{summary_path.name} '{label}' is {said} but {detail_path.name} '{key}' is {held}")

    def number(label: str, key: str, abs_tol: float = 0.0) -> None:
        said, held = fields.get(label), _last(detail, key)
        if said is None or held is None:
            return
        a, b = _num(said), _num(held)
        if a is None or b is None or not _close(a, b, abs_tol):
            mismatch(label, key, said, held)

    def flag(label: str, key: str) -> None:
        said, held = fields.get(label), _last(detail, key)
        if said is None or held is None:
            return
        if _yes(said) is not bool(held):
            mismatch(label, key, said, held)

    said = fields.get("Result is")
    held = _last(detail, "result_validity")
    if said is not None and held is not None and said != held:
        mismatch("Result is", "result_validity", said, held)
    if said is not None and held is None:
        out.append(f"{detail_path.name} has no result_validity record; the summary says {said}")
    p = _percentile(detail)
    if scen == "Offline":
        number("Samples per second", "result_samples_per_second", abs_tol=0.01)
    elif scen == "Server":
        number("Completed samples per second", "result_completed_samples_per_sec", abs_tol=0.01)
        number("Scheduled samples per second", "result_scheduled_samples_per_sec", abs_tol=0.01)
        flag("Performance constraints satisfied", "result_perf_constraints_met")
    elif scen in ("SingleStream", "MultiStream"):
        label = next((k for k in fields if k.endswith("th percentile latency (ns)")), None)
        infix = "_per_query" if scen == "MultiStream" else ""
        if label is not None and p in PERCENTILES:
            number(label, f"result_{p * 100:.2f}_percentile{infix}_latency_ns")
        if scen == "SingleStream":
            number("QPS w/ loadgen overhead", "result_qps_with_loadgen_overhead", abs_tol=0.01)
            number("QPS w/o loadgen overhead", "result_qps_without_loadgen_overhead", abs_tol=0.01)
    flag("Min duration satisfied", "result_min_duration_met")
    flag("Min queries satisfied", "result_min_queries_met")
    flag("Early stopping satisfied", "early_stopping_met")
    for label in fields:
        if m := re.fullmatch(r"Early stopping ([\d.]+)th percentile estimate", label):
            key = "early_stopping_latency_ss" if scen == "SingleStream" and float(m.group(1)) == p * 100 \
                else "early_stopping_latency_ms"
            number(label, key)
    stat_infix = "_query" if scen == "MultiStream" else ""
    pct_infix = "_per_query" if scen == "MultiStream" else ""
    for stat in ("min", "max", "mean"):
        number(f"{stat.capitalize()} latency (ns)", f"result_{stat}{stat_infix}_latency_ns")
    for q in PERCENTILES:
        number(f"{q * 100:.2f} percentile latency (ns)", f"result_{q * 100:.2f}_percentile{pct_infix}_latency_ns")
    for label, key in (("samples_per_query", "effective_samples_per_query"),
                       ("target_qps", "effective_target_qps"),
                       ("target_latency (ns)", "effective_target_latency_ns"),
                       ("min_duration (ms)", "effective_min_duration_ms"),
                       ("min_query_count", "effective_min_query_count"),
                       ("qsl_rng_seed", "effective_qsl_rng_seed"),
                       ("sample_index_rng_seed", "effective_sample_index_rng_seed"),
                       ("schedule_rng_seed", "effective_schedule_rng_seed"),
                       ("performance_sample_count", "effective_performance_sample_count")):
        number(label, key)
    return out


def recompute_verdict(detail: dict, detail_path: Path) -> Rederived:
    """The verdict of a performance run recomputed from the detail log's own figures."""
    name = detail_path.name
    scen = _scenario(detail)
    p = _percentile(detail)
    reasons: list[str] = []
    mism: list[str] = []

    def need(key: str) -> float | None:
        value = _num(_last(detail, key))
        if value is None:
            reasons.append(f"{name}: no {key} record")
        return value

    nq = need("result_query_count")
    min_q = need("effective_min_query_count")
    min_ms = need("effective_min_duration_ms")
    spq = _num(_last(detail, "effective_samples_per_query")) or 1.0
    if reasons:
        return Rederived(False, reasons)
    min_ns = min_ms * 1e6
    samples = nq * spq
    lat_keys = ("result_min_latency_ns", "result_max_latency_ns", "result_mean_latency_ns")
    if scen == "MultiStream":
        lat_keys = ("result_min_query_latency_ns", "result_max_query_latency_ns", "result_mean_query_latency_ns")
    lat = {k: _num(_last(detail, k)) for k in lat_keys}
    lo, hi, mean = lat[lat_keys[0]], lat[lat_keys[1]], lat[lat_keys[2]]
    pct_infix = "_per_query" if scen == "MultiStream" else ""
    pcts = [_num(_last(detail, f"result_{q * 100:.2f}_percentile{pct_infix}_latency_ns")) for q in PERCENTILES]
    known = [x for x in [lo, *pcts, hi] if x is not None]
    if known != sorted(known) or (mean is not None and lo is not None and hi is not None
                                  and not lo <= mean <= hi):
        mism.append(f"{name}: latency statistics out of order (min {lo}, percentiles {pcts}, max {hi}, "
                    f"mean {mean}): they cannot come from one set of latencies")

    if nq < min_q:
        reasons.append(f"min queries not met: result_query_count {nq:g} < effective_min_query_count {min_q:g}")
    num_errors = _num(_last(detail, "num_errors")) or 0
    if num_errors:
        reasons.append(f"{name}: num_errors = {num_errors:g} (the run logged errors)")

    def rate(key: str, derived: float, what: str, *, at_most: bool = False) -> None:
        said = _num(_last(detail, key))
        if said is None:
            return
        bad = said > derived * (1 + REL_TOL) + 0.01 if at_most else not _close(said, derived, 0.01)
        if bad:
            rel = "at most" if at_most else ""
            mism.append(f"{name}: {key} is {said:g} but {what} gives {rel} {derived:.3f}".replace("  ", " "))

    if scen == "Offline":
        if hi is None:
            reasons.append(f"{name}: no result_max_latency_ns record")
        else:
            if hi < min_ns:
                reasons.append(f"min duration not met: result_max_latency_ns {hi:g} < min_duration {min_ns:g} ns")
            if hi > 0:
                rate("result_samples_per_second", samples / (hi / 1e9), f"{samples:g} samples / max latency")
    elif scen == "Server":
        sched = _num(_last(detail, "result_scheduled_samples_per_sec"))
        if sched and (samples - 1) / sched * 1e9 < min_ns * (1 - REL_TOL):
            reasons.append(f"min duration not met: {samples:g} samples at result_scheduled_samples_per_sec "
                           f"{sched:g} span {(samples - 1) / sched:.3f} s < {min_ns / 1e9:g} s")
        if hi:
            rate("result_completed_samples_per_sec", (samples - 1) / (hi / 1e9),
                 f"{samples:g} samples over the max latency", at_most=True)
        bound = _num(_last(detail, "effective_target_latency_ns"))
        at_p = _num(_last(detail, f"result_{p * 100:.2f}_percentile_latency_ns")) if p in PERCENTILES else None
        tokens = _last(detail, "early_stopping_ttft_result") is not None
        if not tokens:
            if bound is not None and at_p is not None and at_p > bound:
                reasons.append(f"latency constraint not met: {p * 100:.1f}th percentile {at_p:g} ns "
                               f"> target_latency {bound:g} ns")
            over = _num(_last(detail, "result_overlatency_query_count"))
            if over is not None and not server_early_stopping(int(nq), int(over), p).ok:
                reasons.append(f"early stopping not satisfied: {over:g} of {nq:g} queries over the bound")
        elif _last(detail, "result_perf_constraints_met") is False:
            reasons.append("token latency constraints not met (result_perf_constraints_met)")
    elif scen in ("SingleStream", "MultiStream"):
        if not stream_early_stopping(int(nq), p).ok:
            reasons.append(f"early stopping not satisfied: {nq:g} queries are too few for the "
                           f"{p * 100:.1f}th percentile")
        qps = _num(_last(detail, "result_qps_with_loadgen_overhead"))
        if qps:
            if nq / qps * 1e9 < min_ns * (1 - 1e-3) - 1e7:
                reasons.append(f"min duration not met: {nq:g} queries at result_qps_with_loadgen_overhead "
                               f"{qps:g} end within {nq / qps:.3f} s < {min_ns / 1e9:g} s")
            if hi:
                rate("result_qps_with_loadgen_overhead", nq / (hi / 1e9), f"{nq:g} queries over the max latency",
                     at_most=True)
        if mean:
            rate("result_qps_without_loadgen_overhead", 1e9 / mean, "1e9 / mean latency")
    else:
        reasons.append(f"{name}: effective_scenario {_first(detail, 'effective_scenario')!r} is not a scenario")
    if _last(detail, "error_runtime") is not None and not num_errors:
        reasons.append(f"{name}: error_runtime record: {_last(detail, 'error_runtime')}")
    return Rederived(not reasons and not mism, reasons, mism)

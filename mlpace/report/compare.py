"""``mlpace compare``: did B change relative to A, or is it noise?

Each argument is a run folder, a session folder (one run folder per workload/scenario) or a
``--repeat`` folder (``repeat_K/...``); run folders are matched by their path below the
argument (``repeat_K`` removed), or paired directly when each side holds one.

Per metric, the CI and what it is of:
- with >= 2 runs a side (``--repeat``): Welch's t-interval over the per-run values
  (run-to-run variation included);
- else, with per-query records (a trace) on both sides: latency percentiles by a block
  bootstrap of the percentile ratio over the records, when each run has at least 20 samples
  beyond the percentile (p99: 2,000 samples; an extreme quantile resting on a handful of
  samples has no trustworthy bootstrap); throughput by a bootstrap over 20 per-window
  throughputs of each run (within-run variation only);
- otherwise (summary figures only; TTFT/TPOT, which no log holds per sample): the two values
  and "no per-query records: CI not available".
Significant = the whole 95% CI lies beyond a noise floor: ``±2%`` with repeats on both sides,
``±10%`` otherwise (one run a side cannot measure run-to-run drift, which on a shared
machine reaches ~10% in the tails); ``--min-change`` sets it. Other rows are greyed, as
pyperf's ``compare_to`` hides them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlpace.errors import DataError
from mlpace.report.run_data import METRICS, RunData, find_run_folders, load_run
from mlpace.report.stats import Change, mean_ratio_ci, percentile_ratio_ci, welch_ratio_ci, window_throughputs

FLOOR_REPEATS = 0.02  # both sides have >= 2 runs: the CI includes run-to-run variation
FLOOR_SINGLE = 0.10  # one run a side: the floor stands in for the drift the CI cannot see
MIN_TAIL = 20  # samples beyond a percentile needed for its bootstrap CI (p99: 2,000 samples)
_REPEAT = re.compile(r"^repeat_\d+$")
_PCT = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


@dataclass
class Row:
    metric: str
    label: str
    unit: str
    higher_is_better: bool
    a: float | None
    b: float | None
    change: Change | None
    note: str
    significant: bool = False

    @property
    def direction(self) -> str:
        if self.change is None or not self.significant:
            return ""
        better = (self.change.change > 0) == self.higher_is_better
        return "better" if better else "worse"

    def verdict_text(self) -> str:
        if self.change is None or not self.change.has_ci:
            return "no CI"
        return self.direction.upper() if self.significant else "noise"


@dataclass
class Pair:
    key: str
    scenario: str
    a: list[RunData]
    b: list[RunData]
    rows: list[Row] = field(default_factory=list)
    floor: float = FLOOR_SINGLE

    @property
    def significant(self) -> list[Row]:
        return [r for r in self.rows if r.significant]


def group_runs(path: str | Path) -> dict[str, list[RunData]]:
    """Run folders under ``path`` keyed by their relative path without ``repeat_K`` parts."""
    path = Path(path)
    groups: dict[str, list[RunData]] = {}
    for folder in find_run_folders(path):
        parts = [p for p in folder.relative_to(path).parts if not _REPEAT.match(p)]
        groups.setdefault("/".join(parts) or path.name, []).append(load_run(folder))
    return groups


def _latencies(runs: list[RunData]) -> np.ndarray | None:
    if not all(r.records is not None for r in runs):
        return None
    return np.concatenate([r.records.latency_ns for r in runs])


def _values(runs: list[RunData], metric: str) -> list[float] | None:
    vals = [r.figures.get(metric) for r in runs]
    return None if any(v is None for v in vals) else vals


def default_floor(a: list[RunData], b: list[RunData]) -> float:
    return FLOOR_REPEATS if len(a) >= 2 and len(b) >= 2 else FLOOR_SINGLE


def compare_groups(a: list[RunData], b: list[RunData], floor: float | None = None) -> list[Row]:
    floor = default_floor(a, b) if floor is None else floor
    rows = []
    lat_a, lat_b = _latencies(a), _latencies(b)
    for metric, (label, unit, hib) in METRICS.items():
        va, vb = _values(a, metric), _values(b, metric)
        if va is None or vb is None:
            continue
        change, note = None, ""
        if len(a) >= 2 and len(b) >= 2:
            change = welch_ratio_ci(va, vb, f"Welch t-interval over {len(a)} vs {len(b)} per-run values "
                                            "(run-to-run variation included)")
        elif metric in _PCT and lat_a is not None and lat_b is not None:
            tail = min(len(lat_a), len(lat_b)) * (1 - _PCT[metric])
            if tail >= MIN_TAIL:
                change = percentile_ratio_ci(lat_a, lat_b, _PCT[metric])
                change.basis += "; latency from actual issue (trace), within-run variation only"
            else:
                note = (f"too few samples beyond {metric} for a CI ({tail:.0f} < {MIN_TAIL}; "
                        f"needs {MIN_TAIL / (1 - _PCT[metric]):,.0f} samples a side)")
        elif metric == "throughput" and lat_a is not None and lat_b is not None:
            wa = np.concatenate([window_throughputs(r.records.completions_s()) for r in a])
            wb = np.concatenate([window_throughputs(r.records.completions_s()) for r in b])
            if len(wa) and len(wb):
                w = mean_ratio_ci(wa, wb, f"bootstrap over {len(wa)} vs {len(wb)} per-window throughputs "
                                          "(within-run variation only)")
                # the point is the runs' own figures; the windows give the interval's relative width
                ma, mb = float(np.mean(va)), float(np.mean(vb))
                scale = (mb / ma) / w.ratio if ma and w.ratio else 1.0
                change = Change(ma, mb, mb / ma, w.lo * scale, w.hi * scale, w.basis)
        if change is None:
            ma, mb = float(np.mean(va)), float(np.mean(vb))
            change = Change(ma, mb, mb / ma if ma else float("nan"), None, None, "")
            note = note or ("per-sample TTFT/TPOT are not logged: CI not available"
                            if metric.startswith(("ttft", "tpot"))
                            else "no per-query records: CI not available (run with --trace, or --repeat)")
        else:
            note = change.basis
        rows.append(Row(metric, label, unit, hib, float(np.mean(va)), float(np.mean(vb)), change, note,
                        change.significant(floor)))
    return rows


def compare_paths(paths: list[str | Path], floor: float | None = None) -> list[Pair]:
    """Compare every path after the first with the first (the baseline); ``floor``: the
    noise floor (fraction), default per pair (:func:`default_floor`)."""
    if len(paths) < 2:
        raise DataError("compare needs at least two runs or run folders (baseline first)")
    base = group_runs(paths[0])
    pairs = []
    for other_path in paths[1:]:
        other = group_runs(other_path)
        keys = [k for k in base if k in other]
        matched = [(k, base[k], other[k]) for k in keys]
        if not matched and len(base) == 1 and len(other) == 1:
            (ka, ga), (kb, gb) = next(iter(base.items())), next(iter(other.items()))
            matched = [(ka if ka == kb else f"{ka} vs {kb}", ga, gb)]
        if not matched:
            raise DataError(f"{paths[0]} and {other_path}: no run folders in common "
                            f"({', '.join(base)} vs {', '.join(other)})")
        for key, ga, gb in matched:
            sa, sb = {r.scenario for r in ga}, {r.scenario for r in gb}
            if sa != sb or len(sa) != 1:
                raise DataError(f"{key}: cannot compare scenario {'/'.join(sorted(sa))} with {'/'.join(sorted(sb))}")
            f = default_floor(ga, gb) if floor is None else floor
            pairs.append(Pair(key, sa.pop(), ga, gb, compare_groups(ga, gb, f), f))
    return pairs


def fmt_value(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    return f"{v:,.1f} {unit}" if unit == "samples/s" else f"{v:.4g} {unit}"


def fmt_change(row: Row) -> tuple[str, str]:
    c = row.change
    if c is None:
        return "-", "-"
    ch = f"{c.change * 100:+.1f}%"
    ci = f"[{(c.lo - 1) * 100:+.1f}%, {(c.hi - 1) * 100:+.1f}%]" if c.has_ci else "n/a"
    return ch, ci


def summary_line(pairs: list[Pair]) -> str:
    sig = [(p, r) for p in pairs for r in p.significant]
    if not sig:
        no_ci = sum(1 for p in pairs for r in p.rows if r.change is None or not r.change.has_ci)
        extra = f" ({no_ci} metric(s) without a CI)" if no_ci else ""
        return f"no significant difference{extra}"
    return "significant: " + "; ".join(f"{r.label} {r.change.change * 100:+.1f}% ({r.direction})"
                                       + (f" [{p.key}]" if len(pairs) > 1 else "") for p, r in sig)


def floor_text(pair: Pair) -> str:
    why = ("the CIs include run-to-run variation" if len(pair.a) >= 2 and len(pair.b) >= 2
           else "one run a side: the CIs cannot see run-to-run drift")
    return f"noise floor ±{pair.floor * 100:g}% ({why})"


def comparison_report(pairs: list[Pair], paths: list[str | Path]):
    """The comparison as a report document (HTML page / JSON)."""
    from mlpace.report.document import Figure, Report, Section, Table, Text, series

    sections = []
    for pair in pairs:
        rows, styles = [], []
        for r in pair.rows:
            ch, ci = fmt_change(r)
            rows.append([r.label, fmt_value(r.a, r.unit), fmt_value(r.b, r.unit), ch, ci, r.verdict_text(), r.note])
            styles.append(("good" if r.direction == "better" else "bad") if r.significant else "dim")
        b_dirs = ", ".join(sorted({str(x.folder) for x in pair.b}))
        a_dirs = ", ".join(sorted({str(x.folder) for x in pair.a}))
        blocks = [Text([f"A (baseline): {a_dirs}", f"B: {b_dirs}", floor_text(pair)], "note"),
                  Table(["metric", "A", "B", "change", "95% CI of change", "verdict", "CI of"], rows, styles)]
        la, lb = _latencies(pair.a), _latencies(pair.b)
        if la is not None and lb is not None:
            curves = []
            for name, lat in (("A", np.sort(la)), ("B", np.sort(lb))):
                probs = np.linspace(0, 1, 401)
                xs = lat[np.minimum((probs * len(lat)).astype(np.int64), len(lat) - 1)] / 1e6
                curves.append(series(name, xs, probs))
            spread = max(la.max(), lb.max()) / max(min(la.min(), lb.min()), 1)
            blocks.append(Figure(f"cdf-{len(sections)}", "Latency CDF, A vs B", "step", "latency (ms)",
                                 "fraction of samples ≤ latency", curves, x_log=spread > 20,
                                 caption="Per-query latencies from the traces (from actual issue)."))
        sections.append(Section(f"{pair.key} ({pair.scenario})", blocks))
    sections.append(Section("How to read this", [Text([
        "Change = B / A − 1 of each figure. A row is significant when its whole 95% CI lies beyond the noise "
        "floor; other rows are greyed. The 'CI of' column says what the interval covers: within-run intervals "
        "(one run a side) cannot see run-to-run drift of the machine, so their floor is wider; repeats "
        "(mlpace run --repeat N) can."], "note")]))
    return Report("comparison", "mlpace compare: " + " vs ".join(str(p) for p in paths),
                  verdict=summary_line(pairs), sections=sections, source=", ".join(str(p) for p in paths))

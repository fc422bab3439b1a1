"""Reference convergence points (RCPs): statistics, pruning, interpolation and the check.

Follows the MLPerf Training RCP procedure as the official ``rcp_checker`` applies it:

* per batch size, the RCP mean is the olympic mean of the reference convergence points
  and the stdev the population ``np.std`` over all of them;
* the minimum acceptable submission mean comes from a one-sided two-sample t-test
  (pooled variance, p = 0.05) found by binary search on the submission mean;
* RCPs slower than the interpolation of their neighbours are pruned (and every batch
  size below the fastest-converging one), leaving the fastest-convergence frontier;
* a submission between two batch sizes is tested against the linear interpolation of
  their mean and stdev; above the largest it fails (an RCP must be submitted); below
  the smallest it is tested against the smallest and fails unless it is not faster;
* a pass faster than the RCP mean is normalised: ``norm = max(1, rcp_mean / subm_mean)``.

Where the official checker has quirks they are kept, so that verdicts agree: the t-test
pairs the candidate mean with the reference count; an interpolated RCP uses
``2 * runs`` as its reference count; the submission count is always ``runs - 2``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.stats

from mlpace.errors import DataError
from mlpace.training.scoring import drop_count

ALPHA = 0.05
TOLERANCE = 0.0001
NOT_CONVERGED = 1e9  # the official placeholder for a run that did not converge
SAMPLES_UNIT_BENCHMARKS = frozenset({"llama2_70b_lora", "flux1"})  # JSON key "samples to converge"


def one_sided_p(mean_a: float, std_a: float, n_a: int, mean_b: float, std_b: float, n_b: int) -> float:
    """One-sided p-value that ``a`` converges faster (smaller) than ``b``; pooled-variance t-test."""
    t_stat, p_two = scipy.stats.ttest_ind_from_stats(mean_a, std_a, n_a, mean_b, std_b, n_b, equal_var=True)
    return p_two / 2 if t_stat < 0 else 1 - p_two / 2


def min_acceptable_mean(mean: float, stdev: float, n_ref: int, n_subm: int,
                        alpha: float = ALPHA, tolerance: float = TOLERANCE) -> float:
    """Smallest submission mean not significantly faster than ``mean`` (binary search)."""
    if stdev == 0:
        return mean
    lo, hi = 0.0, float(mean)
    mid = (lo + hi) / 2
    while hi - lo > tolerance:
        if one_sided_p(mid, stdev, n_ref, mean, stdev, n_subm) > alpha:
            hi = mid
        else:
            lo = mid
        mid = (lo + hi) / 2
    return mid


@dataclass
class RcpRecord:
    """One reference batch size (or an interpolation between two)."""

    name: str
    benchmark: str
    bs: float
    points: list[float]
    hyperparams: dict = field(default_factory=dict)
    mean: float = 0.0
    stdev: float = 0.0
    min_epochs: float = 0.0
    max_speedup: float = 1.0

    @property
    def interpolated(self) -> bool:
        return not self.points


def make_record(name: str, benchmark: str, bs: float, points: Sequence[float], runs_required: int,
                hyperparams: dict | None = None) -> RcpRecord:
    """An RCP with its statistics computed from its convergence points."""
    pts = sorted(float(p) for p in points)
    drop = drop_count(benchmark)
    if len(pts) <= 2 * drop:
        raise DataError(f"RCP {name}: {len(pts)} points, need more than {2 * drop}")
    mean = float(np.mean(pts[drop: len(pts) - drop]))
    stdev = float(np.std(pts))
    min_e = min_acceptable_mean(mean, stdev, len(pts) - 2 * drop, runs_required - 2)
    return RcpRecord(name, benchmark, bs, pts, dict(hyperparams or {}), mean, stdev, min_e, mean / min_e)


def interpolate(bs: float, low: RcpRecord, high: RcpRecord, runs_required: int) -> RcpRecord:
    """The RCP at ``bs`` between two records (mean and stdev linearly interpolated)."""
    mean = float(np.interp(bs, [low.bs, high.bs], [low.mean, high.mean]))
    stdev = float(np.interp(bs, [low.bs, high.bs], [low.stdev, high.stdev]))
    min_e = min_acceptable_mean(mean, stdev, runs_required * 2, runs_required - 2)
    return RcpRecord(f"{low.benchmark}_interp_{bs}", low.benchmark, bs, [], {}, mean, stdev, min_e, mean / min_e)


def prune(records: Sequence[RcpRecord], runs_required: int) -> list[RcpRecord]:
    """The fastest-convergence frontier: drop RCPs slower than their neighbours' interpolation."""
    ordered = sorted(records, key=lambda r: r.bs)
    if not ordered:
        return []
    fastest = min(ordered, key=lambda r: r.mean)
    kept = [r for r in ordered if r.bs >= fastest.bs]
    i = 1
    while i < len(kept) - 1:
        if kept[i].mean > interpolate(kept[i].bs, kept[i - 1], kept[i + 1], runs_required).mean:
            del kept[i]
            i -= 1
        i += 1
    return kept


@dataclass
class RcpVerdict:
    """The outcome of the RCP check on a set of runs."""

    passed: bool
    message: str
    record: RcpRecord | None = None
    subm_mean: float | None = None
    norm_factor: float = 1.0

    def explain(self) -> str:
        if self.record is None or self.subm_mean is None:
            return self.message
        r = self.record
        how = "passes" if self.passed else "fails"
        text = (f"{self.message}: submission olympic mean {self.subm_mean:.4f} {how} against "
                f"RCP BS {r.bs:g}{' (interpolated)' if r.interpolated else ''} (mean {r.mean:.4f}, "
                f"stdev {r.stdev:.4f}, minimum acceptable "
                f"{r.mean / r.max_speedup:.4f})")
        if self.norm_factor > 1:
            text += f"; faster than the RCP mean, so the score is scaled by {self.norm_factor:.4f}"
        return text


def _evaluate(record: RcpRecord, epochs: Sequence[float], message: str) -> RcpVerdict:
    drop = drop_count(record.benchmark)
    subm = sorted(epochs)
    subm_mean = float(np.mean(subm[drop: len(subm) - drop]))
    max_speedup = record.max_speedup
    if record.benchmark == "llama31_405b":  # the official checker's special case (ruleset >= 5.0)
        max_speedup = record.mean / (record.min_epochs - 46080)
    norm = max(1.0, record.mean / subm_mean)
    passed = subm_mean >= record.mean / max_speedup
    return RcpVerdict(passed, message, record, subm_mean, norm)


def check_rcp(records: Sequence[RcpRecord], bs: float, epochs: Sequence[float | None],
              runs_required: int, pruned: bool = True) -> RcpVerdict:
    """Test a set's convergence points (None = not converged) against the RCPs."""
    benchmark = records[0].benchmark if records else None
    failed = sum(1 for e in epochs if e is None)
    if failed > drop_count(benchmark):
        return RcpVerdict(False, "Insufficient convergence")
    values = [NOT_CONVERGED if e is None else float(e) for e in epochs]
    pool = prune(records, runs_required) if pruned else sorted(records, key=lambda r: r.bs)
    exact = next((r for r in pool if r.bs == bs), None)
    if exact is not None:
        return _evaluate(exact, values, "RCP found")
    lower = max((r for r in pool if r.bs < bs), key=lambda r: r.bs, default=None)
    upper = min((r for r in pool if r.bs > bs), key=lambda r: r.bs, default=None)
    if lower is not None and upper is not None:
        return _evaluate(interpolate(bs, lower, upper, runs_required), values, "RCP Interpolation")
    if lower is not None:
        return RcpVerdict(False, f"Missing RCP, please submit RCP with BS = {bs:g}")
    if upper is not None:
        verdict = _evaluate(pool[0], values, "RCP not found but slower convergence on smaller batch size")
        if not verdict.passed:
            verdict.message = f"Missing RCP, please submit RCP with BS = {bs:g}"
        return verdict
    return RcpVerdict(False, "Cannot find any RCPs")


# -- RCP JSON (the official file format) --------------------------------------------------

def convergence_key(benchmark: str) -> str:
    return "samples to converge" if benchmark in SAMPLES_UNIT_BENCHMARKS else "Epochs to converge"


def load_rcps(path: str | Path, runs_required: int) -> list[RcpRecord]:
    """Read an RCP JSON file (official layout) into records with statistics."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read RCP file {path}: {exc}") from None
    records = []
    for name, rec in raw.items():
        try:
            bench = rec["Benchmark"]
            records.append(make_record(name, bench, rec["BS"], rec[convergence_key(bench)], runs_required,
                                       rec.get("Hyperparams")))
        except (KeyError, TypeError) as exc:
            raise DataError(f"RCP file {path}, record {name!r}: missing or bad field {exc}") from None
    return records


def rcp_json_record(benchmark: str, bs: int, points: Sequence[float], hyperparams: dict,
                    creator: str, platform: str, when: str, precision: str = "fp32") -> dict:
    """One record of an RCP JSON file, in the official field order."""
    return {"Benchmark": benchmark, "Creator": creator, "When": when, "Platform": platform,
            "Precision": precision, "BS": bs, "Hyperparams": hyperparams,
            convergence_key(benchmark): [float(p) if not float(p).is_integer() else int(p) for p in points]}

"""Confirmed peak (an mlpace addition, opt-in): the highest Server QPS whose full run is VALID.

FindPeakPerformance (the official's and ``peak.py``) judges each try by the latency
bound alone, so it can report a QPS whose run is INVALID under the full rules (early
stopping, minimum duration and query count): a SUT that completes ~460 queries/s can
be reported at ~600. The confirmed peak starts at that result and judges every try by
the full verdict (``PerformanceResult.valid``) and by whether the SUT kept up: its
completed samples/s must reach ``1 - sustain_tolerance`` (default 90 %) of the scheduled
samples/s (a short run can be VALID at a rate the SUT cannot sustain: its queue has not
yet grown past the bound when the run ends). If the FindPeak QPS passes it is
confirmed; otherwise the QPS steps down by ``1 / (1 + step)`` until a run is VALID,
then bisects between the highest VALID and lowest INVALID QPS until they are within
``rel_precision`` of each other (or ``max_runs`` runs were made). Every try is kept,
in order, with its verdict and reasons: the search path. Nothing here changes the
official outputs; the API adds ``mlpace_confirmed_peak*`` detail-log keys and a JSON
file beside the logs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mlpace.loadgen.settings import TestMode

FILE_NAME = "mlpace_confirmed_peak.json"


@dataclass
class PeakTry:
    """One full Server run of the search."""

    target_qps: float
    valid: bool  # VALID under the full rules and sustained (see the module docstring)
    completed_qps: float
    scheduled_qps: float
    reasons: list[str]


@dataclass
class ConfirmedPeak:
    """The result: ``qps`` (None if no try was VALID), where the search started, every try."""

    qps: float | None
    start_qps: float
    tries: list[PeakTry] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    def summary_line(self) -> str:
        if self.qps is None:
            return (f"no VALID run at or below {self.start_qps:g} QPS in {len(self.tries)} tries")
        return f"{self.qps:g} QPS (FindPeakPerformance: {self.start_qps:g}; {len(self.tries)} full runs)"


def confirm_peak(start_qps: float, base_eff, performance_run, detail, *, step: float = 0.1,
                 rel_precision: float = 0.02, max_runs: int = 10,
                 sustain_tolerance: float = 0.1) -> ConfirmedPeak:
    """Search down from ``start_qps``; ``performance_run(eff)`` runs one full test."""
    out = ConfirmedPeak(None, float(start_qps))

    def attempt(qps: float) -> bool:
        eff = replace(base_eff, target_qps=qps, mode=TestMode.PerformanceOnly)
        detail.point("generic_message", f"mlpace confirmed peak: trying target_qps={qps:g}")
        r = performance_run(eff)
        done, sched = float(r.completed_samples_per_sec), float(r.scheduled_samples_per_sec)
        reasons = r.reasons()
        kept_up = done >= (1 - sustain_tolerance) * sched
        if not kept_up:
            reasons.append(f"the SUT fell behind: completed {done:,.1f} samples/s < "
                           f"{1 - sustain_tolerance:.0%} of the scheduled {sched:,.1f} samples/s")
        t = PeakTry(float(qps), bool(r.valid) and kept_up, done, sched, reasons)
        out.tries.append(t)
        detail.point("generic_message", f"mlpace confirmed peak: target_qps={qps:g} is "
                     f"{'VALID' if t.valid else 'INVALID'}")
        return t.valid

    hi: float | None = None  # lowest INVALID
    lo: float | None = None  # highest VALID
    qps = float(start_qps)
    while lo is None and len(out.tries) < max_runs:
        if attempt(qps):
            lo = qps
        else:
            hi = qps
            qps = qps / (1 + step)
    while lo is not None and hi is not None and hi / lo - 1 > rel_precision and len(out.tries) < max_runs:
        mid = (lo + hi) / 2
        if attempt(mid):
            lo = mid
        else:
            hi = mid
    out.qps = lo
    return out


def write(result: ConfirmedPeak, outdir: Path) -> Path:
    path = Path(outdir) / FILE_NAME
    path.write_text(result.to_json(), encoding="utf-8")
    return path

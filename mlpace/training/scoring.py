"""Olympic scoring of a result set, with the failed-run rule, in the summarizer's units.

Pure functions over run times. The rule (MLPerf Training): sort the N times, drop the
fastest and the slowest (``drop`` at each end; 4 for unet3d), average the rest. A run
that did not converge counts as the slowest and is the one dropped at the slow end; more
non-converged runs than ``drop`` make the set invalid. The official summarizer reports
minutes; a ``scaling.json`` factor (RCP normalisation) multiplies the score.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from mlpace.errors import DataError


def drop_count(benchmark: str | None) -> int:
    """How many runs olympic scoring drops at each end for ``benchmark``."""
    return 4 if benchmark == "unet3d" else 1


@dataclass(frozen=True)
class OlympicScore:
    """The score of a set: ``value`` in the input unit, or None when the set is invalid."""

    value: float | None
    counted: tuple[float, ...]
    converged: int
    failed: int
    reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.value is not None


def olympic_score(times: Sequence[float | None], drop: int = 1) -> OlympicScore:
    """Olympic mean of ``times`` (None, NaN or inf = did not converge)."""
    ok = sorted(float(t) for t in times if t is not None and math.isfinite(float(t)))
    failed = len(times) - len(ok)
    if failed > drop:
        return OlympicScore(None, (), len(ok), failed,
                            f"{failed} runs did not converge; at most {drop} may fail")
    # the failed runs are the slowest: they use up slots of the slow-end drop
    counted = tuple(ok[drop: len(ok) - (drop - failed)])
    if not counted:
        return OlympicScore(None, (), len(ok), failed,
                            f"{len(times)} runs leave nothing to average after dropping {drop} at each end")
    return OlympicScore(sum(counted) / len(counted), counted, len(ok), failed)


def read_scaling(folder: str | Path) -> float:
    """The ``scaling_factor`` of ``folder/scaling.json``, 1.0 when absent."""
    path = Path(folder) / "scaling.json"
    if not path.is_file():
        return 1.0
    try:
        factor = float(json.loads(path.read_text())["scaling_factor"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DataError(f"{path}: not a valid scaling.json ({exc})") from None
    if not math.isfinite(factor) or factor < 1:  # the RCP test only ever scales a score up
        raise DataError(f"{path}: scaling_factor {factor} is not allowed (a finite number >= 1)")
    return factor


def write_scaling(folder: str | Path, factor: float | None) -> None:
    """Write ``scaling.json`` (as the official package checker does), or remove it for None."""
    path = Path(folder) / "scaling.json"
    if factor is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(json.dumps({"scaling_factor": factor}))


def ms_to_minutes(ms: float) -> float:
    """The summarizer's unit: milliseconds / 60 / 1000."""
    return ms / 60 / 1000

"""Accuracy verdicts: the metric value, the target, PASS/FAIL, and the ``accuracy.txt`` text.

``accuracy.txt`` starts with an official-style line (``accuracy=97.037%, good=524,
total=540`` for top-1, ``AUC=0.9147, total=500`` for AUC) followed by ``key: value``
lines that ``mlpace check`` reads back with ``parse``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from mlpace.errors import DataError

FILE_NAME = "accuracy.txt"


@dataclass
class AccuracyReport:
    workload: str
    metric: str
    value: float
    target: float
    target_note: str
    count: int
    total: int
    good: int | None = None
    reasons: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def passed(self) -> bool:
        return not self.reasons and math.isfinite(self.value) and self.value >= self.target

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def why(self) -> str:
        if self.passed:
            return f"{self.metric} {self.value:.4f} >= target {self.target:.4f}"
        if self.reasons:
            return "; ".join(self.reasons)
        return f"{self.metric} {self.value:.4f} < target {self.target:.4f}"

    def to_text(self) -> str:
        if self.metric == "top1":
            head = f"accuracy={100 * self.value:.3f}%, good={self.good}, total={self.count}"
        else:
            head = f"{self.metric.upper()}={self.value:.4f}, total={self.count}"
        lines = [
            head,
            f"workload: {self.workload}",
            f"metric: {self.metric}",
            f"value: {self.value:.6f}",
            f"target: {self.target:.6f} ({self.target_note})",
            f"samples: {self.count} of {self.total}",
            f"source: {self.source}",
            f"result: {self.verdict}",
        ]
        lines += [f"reason: {r}" for r in self.reasons]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str | Path) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / FILE_NAME
        path.write_text(self.to_text())
        return path


def parse(path: str | Path) -> dict[str, str]:
    """Read the ``key: value`` lines of an mlpace ``accuracy.txt``; ``DataError`` if it has none."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise DataError(f"{path}: accuracy.txt not found") from None
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key.isidentifier():
            fields.setdefault(key, value.strip())
    if "result" not in fields:
        raise DataError(f"{path}: no 'result: PASS|FAIL' line; not an mlpace accuracy.txt")
    return fields

"""Read LoadGen run folders: ``mlperf_log_summary.txt`` and ``mlperf_log_detail.txt``.

The one home of log reading, for the checker, the audits and the reports; it accepts
files written by mlpace or by the official LoadGen (same formats). A file that is
missing or does not parse is a ``DataError`` naming it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from mlpace.errors import DataError
from mlpace.loadgen.logs.detail import read_detail_log

SUMMARY = "mlperf_log_summary.txt"
DETAIL = "mlperf_log_detail.txt"
ACCURACY = "mlperf_log_accuracy.json"

_ES_LINE = re.compile(r"Early stopping ([\d.]+)th percentile estimate\s*:\s*(\d+)")


@dataclass
class Summary:
    path: Path
    sut_name: str
    scenario: str
    mode: str
    result: str  # "VALID" | "INVALID"
    metric_name: str | None
    metric_value: float | None
    early_stopping: dict[float, int] = field(default_factory=dict)  # percentile -> estimate (ns)
    parameters: dict[str, str] = field(default_factory=dict)
    recommendations: list[str] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0

    @property
    def valid(self) -> bool:
        return self.result == "VALID"

    @property
    def lower_is_better(self) -> bool:
        return self.scenario in ("SingleStream", "MultiStream")

    def score(self) -> float:
        """The figure the compliance scripts compare: ES latency estimate or throughput."""
        if self.scenario == "SingleStream":
            target = 90.0
        elif self.scenario == "MultiStream":
            target = 99.0
        else:
            target = None
        if target is not None and target in self.early_stopping:
            return float(self.early_stopping[target])
        if self.metric_value is None:
            raise DataError(f"{self.path}: no result metric line for scenario {self.scenario}")
        return self.metric_value


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise DataError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: expected a file, found a folder") from None
    except OSError as exc:  # a symlink loop, a permission, ...
        raise DataError(f"{path}: cannot read {what} ({exc.strerror})") from None


def read_summary(path: str | Path) -> Summary:
    """Parse a performance-run summary; ``DataError`` if a required line is missing."""
    path = Path(path)
    if path.is_dir():
        path = path / SUMMARY
    text = _read_text(path, "summary log")
    head: dict[str, str] = {}
    params: dict[str, str] = {}
    es: dict[float, int] = {}
    recs: list[str] = []
    metric_name = metric_value = None
    section = "head"
    errors = warnings = 0
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("Test Parameters Used"):
            section = "params"
            continue
        if line.startswith("Additional Stats"):
            section = "stats"
            continue
        if m := _ES_LINE.search(line):
            es[float(m.group(1))] = int(m.group(2))
            continue
        if m := re.match(r"(\d+) ERRORS? encountered", line):
            errors = int(m.group(1))
        if m := re.match(r"(\d+) warnings? encountered", line):
            warnings = int(m.group(1))
        if section == "head" and line == "Recommendations:":
            section = "recommendations"
            continue
        if section == "recommendations":
            if line.startswith(" * "):
                recs.append(line[3:])
                continue
            section = "head"
        key, sep, value = line.partition(":")
        if not sep or not value.strip():
            continue
        key, value = key.strip(), value.strip()
        if section == "head":
            if key in ("SUT name", "Scenario", "Mode", "Result is"):
                head[key] = value
            elif metric_name is None and "Scenario" in head and "Result is" not in head:
                metric_name = key
                try:
                    metric_value = float(value)
                except ValueError:
                    raise DataError(f"{path}: metric line {line!r} has no number") from None
        elif section == "params":
            params[key] = value
    missing = [k for k in ("Scenario", "Mode", "Result is") if k not in head]
    if missing:
        raise DataError(
            f"{path}: not a LoadGen summary (no '{missing[0]} :' line); the file may be truncated or corrupt"
        )
    return Summary(
        path=path,
        sut_name=head.get("SUT name", ""),
        scenario=head["Scenario"],
        mode=head["Mode"],
        result=head["Result is"],
        metric_name=metric_name,
        metric_value=metric_value,
        early_stopping=es,
        parameters=params,
        recommendations=recs,
        errors=errors,
        warnings=warnings,
    )


def read_detail(path: str | Path) -> dict[str, list]:
    """All ``:::MLLOG`` records of a detail log as key -> list of values (in order)."""
    path = Path(path)
    if path.is_dir():
        path = path / DETAIL
    _read_text(path, "detail log")  # a clear error if missing
    try:
        records = read_detail_log(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: corrupt :::MLLOG record ({exc})") from None
    except RecursionError:
        raise DataError(f"{path}: corrupt :::MLLOG record (JSON nested too deeply)") from None
    out: dict[str, list] = {}
    for rec in records:
        if not isinstance(rec, dict) or "key" not in rec:
            raise DataError(f"{path}: :::MLLOG record without a key: {rec!r:.80}")
        out.setdefault(rec["key"], []).append(rec.get("value"))
    if not out:
        raise DataError(f"{path}: no :::MLLOG records; not a LoadGen detail log")
    return out

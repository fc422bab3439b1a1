"""The facts of one LoadGen run folder, read from its files alone (mlpace's or the official
LoadGen's): summary, detail records, per-query records from the trace when present, and
the headline figures ``mlpace compare`` and ``mlpace run --repeat`` work on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlpace.errors import DataError
from mlpace.report.records import Records, folder_records
from mlpace.loadgen.logs.read import DETAIL, SUMMARY, Summary, read_detail, read_summary

# metric id -> (label, unit, higher is better)
METRICS = {
    "throughput": ("throughput", "samples/s", True),
    "p50": ("p50 latency", "ms", False),
    "p90": ("p90 latency", "ms", False),
    "p99": ("p99 latency", "ms", False),
    "ttft_p50": ("TTFT p50", "ms", False),
    "ttft_p99": ("TTFT p99", "ms", False),
    "tpot_p50": ("TPOT p50", "ms", False),
    "tpot_p99": ("TPOT p99", "ms", False),
}
_PCT_OF = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


@dataclass
class RunData:
    folder: Path
    summary: Summary
    detail: dict
    records: Records | None
    figures: dict[str, float] = field(default_factory=dict)  # metric id -> value in its unit

    @property
    def scenario(self) -> str:
        return self.summary.scenario

    @property
    def label(self) -> str:
        return f"{self.summary.sut_name or '?'} {self.summary.scenario} ({self.folder})"

    def last(self, key: str):
        values = self.detail.get(key)
        return values[-1] if values else None


def _throughput(summary: Summary, detail: dict) -> float | None:
    """Samples per second for every scenario (SS/MS: the QPS figure times samples/query)."""
    for key in ("result_samples_per_second", "result_completed_samples_per_sec"):
        if detail.get(key):
            return float(detail[key][-1])
    if summary.scenario in ("Offline", "Server") and summary.metric_value is not None:
        return float(summary.metric_value)
    qps = detail.get("result_qps_with_loadgen_overhead")
    if qps:
        spq = detail.get("effective_samples_per_query") or [1]
        return float(qps[-1]) * float(spq[-1])
    return None


def run_figures(summary: Summary, detail: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    thr = _throughput(summary, detail)
    if thr is not None:
        out["throughput"] = thr
    for mid, p in _PCT_OF.items():
        v = detail.get(f"result_{p * 100:.2f}_percentile_latency_ns")
        if v:
            out[mid] = v[-1] / 1e6
    for prefix, key in (("ttft", "result_first_token_{:.2f}_percentile_latency_ns"),
                        ("tpot", "result_time_per_output_token_{:.2f}_percentile_ns")):
        for p in (0.5, 0.99):
            v = detail.get(key.format(p * 100))
            if v:
                out[f"{prefix}_p{p * 100:g}"] = v[-1] / 1e6
    return out


def load_run(folder: str | Path) -> RunData:
    """Read a run folder; ``DataError`` naming the file when it is not one."""
    folder = Path(folder)
    if not (folder / SUMMARY).is_file():
        raise DataError(f"{folder / SUMMARY}: not found (a LoadGen run folder holds it)")
    summary = read_summary(folder / SUMMARY)
    detail = read_detail(folder / DETAIL) if (folder / DETAIL).is_file() else {}
    records = folder_records(folder, detail)
    return RunData(folder, summary, detail, records, run_figures(summary, detail))


def find_run_folders(path: str | Path) -> list[Path]:
    """``path`` itself when it is a run folder, else every run folder below it (sorted)."""
    path = Path(path)
    if (path / SUMMARY).is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path}: not found")
    found = sorted(p.parent for p in path.rglob(SUMMARY))
    if not found:
        raise DataError(f"{path}: no {SUMMARY} in it or below it; not a LoadGen run folder")
    return found


__all__ = ["METRICS", "RunData", "find_run_folders", "load_run", "run_figures"]

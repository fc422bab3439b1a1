"""Reports from log files alone: any LoadGen run folder, mlpace's or the official one.

Reads ``mlperf_log_summary.txt`` and ``mlperf_log_detail.txt`` (and, when present,
``mlperf_log_trace.json`` for per-sample latencies) and writes ``report.md`` with a
latency plot: the full distribution from the trace, else the logged percentiles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlpace.errors import DataError
from mlpace.loadgen.results import PERCENTILES, percentile
from mlpace.report.plots import latency_plot, percentile_plot
from mlpace.loadgen.logs.read import DETAIL, SUMMARY, read_detail, read_summary
from mlpace.report.records import TRACE, perf_sample_count, read_trace


def trace_latencies(path: Path, perf_samples: int | None = None) -> np.ndarray:
    """Sorted sample latencies (ns) from a trace's ``Sample`` begin events; with
    ``perf_samples``, only that many last samples (the performance run of a SubmissionRun)."""
    return np.sort(read_trace(path, perf_samples).latency_ns)


def _last(detail: dict, key: str):
    values = detail.get(key)
    return values[-1] if values else None


def report_from_folder(folder: str | Path) -> Path:
    """Write ``report.md`` (+ ``latency.png``) into ``folder`` from its log files."""
    folder = Path(folder)
    if not (folder / SUMMARY).is_file():
        raise DataError(f"{folder / SUMMARY}: not found (a LoadGen run folder holds it)")
    summary = read_summary(folder / SUMMARY)
    detail = read_detail(folder / DETAIL) if (folder / DETAIL).is_file() else {}
    lines = [f"# {summary.sut_name} — {summary.scenario} — {summary.mode}", "",
             f"**Result: {summary.result}**"]
    if summary.recommendations:
        lines += ["", "Recommendations:"] + [f"- {r.lstrip(' *')}" for r in summary.recommendations]
    lines += ["", "| figure | value |", "|---|---|"]
    if summary.metric_name:
        lines.append(f"| {summary.metric_name} | {summary.metric_value:,.2f} |")
    for pct, est in sorted(summary.early_stopping.items()):
        lines.append(f"| early-stopping p{pct:g} estimate | {est / 1e6:.3f} ms |")
    pcts = {}
    for p in PERCENTILES:
        v = _last(detail, f"result_{p * 100:.2f}_percentile_latency_ns")
        if v is not None:
            pcts[p] = int(v)
            lines.append(f"| p{p * 100:g} latency | {v / 1e6:.3f} ms |")
    for key, label in (("mlpace_early_stopping_reason", "why early stopping failed"),
                       ("mlpace_confirmed_peak_qps", "confirmed peak QPS (highest VALID run)"),
                       ("mlpace_confirmed_peak_tries", "confirmed-peak search (QPS, verdict)")):
        value = _last(detail, key)  # mlpace's own keys, absent from official logs
        if value is not None:
            lines.append(f"| {label} | {value} |")
    queries = _last(detail, "result_query_count")
    if queries is not None:
        lines.append(f"| queries | {queries:,} |")
    bound = _last(detail, "effective_target_latency_ns") if summary.scenario == "Server" else None
    title = f"{summary.sut_name} {summary.scenario}"
    if (folder / TRACE).is_file() and (lat := trace_latencies(folder / TRACE, perf_sample_count(detail))).size:
        marks = {f"p{p * 100:g}": percentile(lat, p) for p in (0.5, 0.9, 0.99)}
        latency_plot(lat, folder / "latency.png", f"{title}: sample latency from issue (trace)", marks, bound)
        lines += ["", "![latency](latency.png)", "",
                  "The plot is from the trace: each sample's time from its actual issue to its completion "
                  "(Server latencies in the table count from the scheduled time)."]
    elif pcts:
        percentile_plot(pcts, folder / "latency.png", f"{title}: logged latency percentiles", bound)
        lines += ["", "![latency percentiles](latency.png)"]
    lines += ["", f"Source: `{folder / SUMMARY}`", ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path

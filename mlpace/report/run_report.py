"""Markdown reports: one per run folder (verdict, reasons, metrics, accuracy, plot) and one
per ``mlpace run`` session (the table of every scenario)."""

from __future__ import annotations

from pathlib import Path

from mlpace.loadgen.results import PERCENTILES
from mlpace.loadgen.settings import TestScenario
from mlpace.report.plots import latency_plot


def metric_text(result) -> str:
    """The scenario's headline figure with its unit (samples/s, or the target-percentile latency)."""
    m = result.metrics
    if not m:
        return "-"
    if result.scenario is TestScenario.Offline:
        text = f"{m['samples_per_second']:,.0f} samples/s"
        return text + (f", {m['tokens_per_second']:,.0f} tokens/s" if "tokens_per_second" in m else "")
    if result.scenario is TestScenario.Server:
        text = f"{m['completed_samples_per_sec']:,.1f} samples/s"
        if "completed_tokens_per_sec" in m:
            text += f", {m['completed_tokens_per_sec']:,.0f} tokens/s"
        if result.peak_qps is not None:
            text = f"peak target_qps {result.peak_qps:,.1f}; " + text
        cp = getattr(result, "confirmed_peak", None)
        if cp is not None:
            text = (f"confirmed {cp.qps:,.1f}; " if cp.qps is not None else "confirmed: none; ") + text
        return text
    pct = result.performance.eff.target_latency_percentile * 100
    return f"p{pct:g} {m['result_metric'] / 1e6:.3f} ms"


def write_run_report(log_dir: Path, workload: str, result, accuracy=None) -> Path:
    """Write ``report.md`` (and ``latency.png`` when there are latencies) into ``log_dir``."""
    log_dir = Path(log_dir)
    perf = result.performance
    lines = [f"# {workload} — {result.scenario.name} — {result.mode.name}", ""]
    lines.append(f"**Result: {result.verdict}**")
    if result.reasons:
        lines += ["", "Why:"] + [f"- {r}" for r in result.reasons]
    if perf is not None:
        eff = perf.eff
        lines += ["", "| figure | value |", "|---|---|"]
        if eff.scenario is TestScenario.Offline:
            lines.append(f"| samples per second | {perf.samples_per_second:,.1f} |")
        elif eff.scenario is TestScenario.Server:
            lines.append(f"| completed samples per second | {perf.completed_samples_per_sec:,.2f} |")
            lines.append(f"| scheduled samples per second | {perf.scheduled_samples_per_sec:,.2f} |")
            lines.append(f"| latency bound | {eff.target_latency_ns / 1e6:g} ms at p{eff.target_latency_percentile * 100:g} |")
            if perf.issue_lag_p50_ns is not None:
                lines.append(f"| issue lag p50 / p99 | {perf.issue_lag_p50_ns / 1e3:,.1f} / "
                             f"{perf.issue_lag_p99_ns / 1e3:,.1f} µs |")
        else:
            lines.append(f"| QPS with LoadGen overhead | {perf.qps_with_overhead:,.2f} |")
        lines.append(f"| queries / samples | {perf.query_count:,} / {perf.sample_count:,} |")
        lat = perf.latency
        lines.append(f"| min / mean / max latency | {lat.min / 1e6:.3f} / {lat.mean / 1e6:.3f} / {lat.max / 1e6:.3f} ms |")
        for p in PERCENTILES:
            lines.append(f"| p{p * 100:g} latency | {lat.percentiles[p] / 1e6:.3f} ms |")
        lines.append(f"| min duration met | {'yes' if perf.min_duration_met else 'NO'} "
                     f"(min_duration_ms={eff.min_duration_ms}) |")
        lines.append(f"| min queries met | {'yes' if perf.min_queries_met else 'NO'} "
                     f"(min_query_count={eff.min_query_count}) |")
        lines.append(f"| early stopping met | {'yes' if perf.early_stopping_met else 'NO'} |")
        if perf.early_stopping_lines:
            lines += ["", "Early stopping:", "```", *[l for l in perf.early_stopping_lines], "```"]
        if perf.latencies_ns is not None and len(perf.latencies_ns):
            marks = {f"p{p * 100:g}": perf.latency.percentiles[p] for p in (0.5, 0.9, 0.99)}
            bound = eff.target_latency_ns if eff.scenario is TestScenario.Server else None
            latency_plot(perf.latencies_ns, log_dir / "latency.png",
                         f"{workload} {eff.scenario.name}: {'query' if eff.scenario is TestScenario.MultiStream else 'sample'} latency",
                         marks, bound)
            lines += ["", "![latency](latency.png)"]
    cp = getattr(result, "confirmed_peak", None)
    if cp is not None:  # mlpace's confirmed peak: the search path, each try a full run
        lines += ["", f"Confirmed peak (highest VALID run): {cp.summary_line()}", "",
                  "| target QPS | verdict | completed QPS | why |", "|---|---|---|---|"]
        lines += [f"| {t.target_qps:,.1f} | {'VALID' if t.valid else 'INVALID'} | {t.completed_qps:,.1f} | "
                  f"{'; '.join(t.reasons) or '-'} |" for t in cp.tries]
    if accuracy is not None:
        lines += ["", f"Accuracy: {accuracy.metric} = {accuracy.value:.4f}, target {accuracy.target:.4f} "
                  f"({accuracy.target_note}): **{'PASS' if accuracy.passed else 'FAIL'}**"]
    lines += ["", "Files: `mlperf_log_summary.txt`, `mlperf_log_detail.txt`, `mlperf_log_accuracy.json`"
              + (", `accuracy.txt`" if accuracy is not None else ""), ""]
    lines.insert(-1, "HTML report: [report.html](report.html)")
    path = log_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    _write_html(log_dir, perf)
    return path


def _write_html(log_dir: Path, perf) -> None:
    """``report.html`` beside ``report.md``, from the logs just written (and the run's latencies)."""
    from mlpace.report.html import write_html
    from mlpace.report.inference import inference_report

    if not (log_dir / "mlperf_log_summary.txt").is_file():
        return
    from mlpace.errors import DataError

    latencies = perf.latencies_ns if perf is not None else None
    try:
        doc = inference_report(log_dir, latencies_ns=latencies)
    except DataError:  # e.g. an accuracy-only summary: report.md says all there is
        return
    write_html(doc, log_dir / "report.html")


def write_session_report(out_root: Path, workload: str, rows) -> Path:
    """``rows``: (scenario, TestResult, AccuracyReport | None, log_dir)."""
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    lines = [f"# mlpace run: {workload}", "", "| scenario | verdict | metric | accuracy | report |", "|---|---|---|---|---|"]
    for scen, result, acc, log_dir in rows:
        acc_text = "-" if acc is None else f"{acc.value:.4f} ({'PASS' if acc.passed else 'FAIL'})"
        rel = Path(log_dir).relative_to(out_root) / "report.md"
        lines.append(f"| {scen} | {result.verdict} | {metric_text(result)} | {acc_text} | [{rel}]({rel}) |")
    path = out_root / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

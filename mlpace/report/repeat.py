"""``mlpace run --repeat N``: each metric over the N runs, with its mean and a 95% Student-t
interval of that mean (over the N per-run values, so run-to-run variation is what it measures).

Reads the run folders under ``<out>/repeat_K/...`` (files only) and writes
``repeat_summary.json`` (report document) and ``repeat_summary.html`` into ``<out>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlpace.report.compare import group_runs
from mlpace.report.document import Figure, Report, Section, Table, Text, series
from mlpace.report.run_data import METRICS
from mlpace.report.stats import t_interval


@dataclass
class MetricSummary:
    metric: str
    label: str
    unit: str
    values: list[float]
    mean: float
    lo: float | None
    hi: float | None

    @property
    def half_width_pct(self) -> float | None:
        if self.lo is None or not self.mean:
            return None
        return (self.hi - self.mean) / abs(self.mean) * 100


def summarize(out_root: str | Path) -> dict[str, tuple[list[str], list[str], list[MetricSummary]]]:
    """key (workload/scenario) -> (run folders, verdicts, per-metric summaries)."""
    out: dict = {}
    for key, runs in group_runs(out_root).items():
        rows = []
        for metric, (label, unit, _) in METRICS.items():
            vals = [r.figures.get(metric) for r in runs]
            if any(v is None for v in vals):
                continue
            mean, lo, hi = t_interval(vals)
            rows.append(MetricSummary(metric, label, unit, vals, mean, lo, hi))
        out[key] = ([str(r.folder) for r in runs], [r.summary.result for r in runs], rows)
    return out


def repeat_report(out_root: str | Path) -> Report:
    sections = []
    for key, (folders, verdicts, rows) in summarize(out_root).items():
        n = len(folders)
        table = Table(["metric", "unit", "mean", "95% CI of the mean", "± (%)", "per-run values"],
                      [[m.label, m.unit, m.mean, "n/a (N < 2)" if m.lo is None else f"[{m.lo:.4g}, {m.hi:.4g}]",
                        m.half_width_pct, ", ".join(f"{v:.4g}" for v in m.values)] for m in rows])
        blocks = [Text([f"{n} runs; verdicts: {', '.join(verdicts)}"], "note"), table]
        for m in rows:
            if m.metric in ("throughput", "p99"):
                blocks.append(Figure(f"repeat-{key.replace('/', '-')}-{m.metric}", f"{m.label} per run", "line",
                                     "run", f"{m.label} ({m.unit})", [series(m.label, range(1, n + 1), m.values)],
                                     caption="One point per repeat; the mean and its CI are in the table."))
        sections.append(Section(key, blocks))
    sections.append(Section("How to read this", [Text([
        "Mean of the N per-run values of each figure and the Student-t 95% interval of that mean "
        "(t quantile with N−1 degrees of freedom × sample standard deviation / √N). It covers run-to-run "
        "variation on this machine; compare two such folders with `mlpace compare A B`."], "note")]))
    return Report("repeat", f"mlpace run --repeat: {Path(out_root)}", sections=sections, source=str(out_root))


def write_repeat_summary(out_root: str | Path) -> tuple[Path, Path]:
    from mlpace.report.build import write_json
    from mlpace.report.html import write_html

    doc = repeat_report(out_root)
    root = Path(out_root)
    return write_json(doc, root / "repeat_summary.json"), write_html(doc, root / "repeat_summary.html")

"""``mlpace report`` for an MLPerf Tiny results tree: one row per system and benchmark with
the published figures (latency ms = 1000 / median throughput, energy uJ/inference, accuracy),
every figure recomputed from the run's files by ``mlpace.tiny.score``.

``tiny_rows(root)`` produces the data (plain dicts, for any renderer, e.g. the HTML report's
sections); ``render_markdown`` and ``write_report`` render it as Markdown and JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlpace.errors import MlpaceError
from mlpace.tiny.check import run_folders
from mlpace.tiny.score import MODES, score_folder


def tiny_rows(root: str | Path) -> list[dict]:
    """Per (system, benchmark): latency, throughput, energy, accuracy, and where each came from."""
    root = Path(root)
    rows: dict[tuple[str, str], dict] = {}
    for folder in run_folders(root):
        mode_dir = folder if folder.name in MODES else folder.parent
        system, bench = mode_dir.parent.parent.name, mode_dir.parent.name
        row = rows.setdefault((system, bench), {
            "system": system, "benchmark": bench, "model": None, "throughput_inf_s": None, "latency_ms": None,
            "energy_uj_per_inf": None, "accuracy": None, "accuracy_metric": None, "compliant_windows": None,
            "notes": [], "sources": {}})
        try:
            s = score_folder(folder, mode=mode_dir.name, benchmark=bench)
        except MlpaceError as exc:
            row["notes"].append(f"{mode_dir.name}: {exc}")
            continue
        r = s.result
        row["model"] = r.model_id
        row["sources"][mode_dir.name] = str(s.source.relative_to(root) if s.source.is_relative_to(root) else s.source)
        row["notes"] += [f"{mode_dir.name}: {n}" for n in s.notes]
        if mode_dir.name == "performance" and r.median_throughput:
            row["throughput_inf_s"] = r.median_throughput
            row["latency_ms"] = r.latency_ms
            row["compliant_windows"] = r.compliant
        elif mode_dir.name == "energy" and r.median_uj_per_inference is not None:
            row["energy_uj_per_inf"] = r.median_uj_per_inference
        elif mode_dir.name == "accuracy":
            if r.top1 is not None:
                row["accuracy"], row["accuracy_metric"] = r.top1 * 100, "top-1 %"
            elif r.auc is not None:
                row["accuracy"], row["accuracy_metric"] = r.auc, "AUC"
            elif "top1" in s.reported:
                row["accuracy"], row["accuracy_metric"] = s.reported["top1"], "top-1 % (reported)"
            elif "auc" in s.reported:
                row["accuracy"], row["accuracy_metric"] = s.reported["auc"], "AUC (reported)"
    return sorted(rows.values(), key=lambda d: (d["system"], d["benchmark"]))


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def render_markdown(rows: list[dict], title: str) -> str:
    lines = [f"# MLPerf Tiny results: {title}", "",
             "Figures recomputed from each run's files (`mlpace tiny score`); latency = 1000 / median throughput.",
             "", "| system | benchmark | latency (ms) | throughput (inf./s) | energy (uJ/inf.) | accuracy |",
             "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        acc = "-" if r["accuracy"] is None else (
            f"{r['accuracy']:.1f}%" if r["accuracy_metric"].startswith("top-1") else f"{r['accuracy']:.2f} AUC")
        if r["accuracy_metric"] and "reported" in r["accuracy_metric"]:
            acc += " (reported)"
        lines.append(f"| {r['system']} | {r['benchmark']} | {_fmt(r['latency_ms'], '.3f')} | "
                     f"{_fmt(r['throughput_inf_s'], '.3f')} | {_fmt(r['energy_uj_per_inf'], '.3f')} | {acc} |")
    notes = [(r["system"], r["benchmark"], n) for r in rows for n in r["notes"]]
    if notes:
        lines += ["", "Notes:"] + [f"- {s}/{b}: {n}" for s, b, n in notes]
    return "\n".join(lines) + "\n"


def write_report(root: str | Path) -> Path:
    """Write ``report.md`` and ``report.json`` into ``root``; return the Markdown path."""
    root = Path(root)
    rows = tiny_rows(root)
    (root / "report.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    path = root / "report.md"
    path.write_text(render_markdown(rows, root.name or str(root)), encoding="utf-8")
    return path

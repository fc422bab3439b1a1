"""The report document of a Tiny results folder (``<bench>/<mode>/results.txt``, EEMBC runner
layout, mlpace's or another runner's): per-window throughput, energy per inference, accuracy.

A fuller Tiny report belongs to ``mlpace.tiny``: when ``mlpace/tiny/report.py`` defines
``report_document(folder) -> mlpace.report.document.Report``, :func:`tiny_report` uses it;
this module's reading of ``results.txt`` is the fallback.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlpace.errors import DataError
from mlpace.report.document import Figure, Report, Section, Table, Text, series

_WINDOW = re.compile(r"(Performance|Energy) (?:results|data) for window (\d+)")
_FIELD = re.compile(r"^\s*(# Inferences|Runtime|Throughput|Energy/Inf\.|Energy|Power)\s*:\s*([-\d.eE+]+)")
_MEDIAN_T = re.compile(r"Median throughput is\s+([\d.]+)")
_MEDIAN_E = re.compile(r"Median energy cost is\s+([\d.]+)")
_TOP1 = re.compile(r"Top-1:\s*([\d.]+)%")
_AUC = re.compile(r"AUC:\s*([\d.]+)")


def is_tiny_folder(path: Path) -> bool:
    return (path / "results.txt").is_file() or any(path.rglob("results.txt"))


def _parse(text: str) -> dict:
    perf: dict[int, dict] = {}
    energy: dict[int, dict] = {}
    current = None
    out: dict = {"perf": perf, "energy": energy, "notes": []}
    for raw in text.splitlines():
        line = raw.split(": ", 1)[1] if ": " in raw and re.match(r"^\d", raw) else raw
        if m := _WINDOW.search(line):
            current = (perf if m.group(1) == "Performance" else energy).setdefault(int(m.group(2)), {})
            continue
        if current is not None and (m := _FIELD.match(line)):
            value = float(m.group(2))
            current[m.group(1)] = int(value) if m.group(1) == "# Inferences" else value
            continue
        for rx, key in ((_MEDIAN_T, "median_throughput"), (_MEDIAN_E, "median_uj"), (_TOP1, "top1"), (_AUC, "auc")):
            if m := rx.search(line):
                out[key] = float(m.group(1))
        if "NOTE:" in line or "NOT been met" in line or "incomplete" in line.lower():
            out["notes"].append(line.strip())
    return out


def _one(results_txt: Path) -> Section:
    parsed = _parse(results_txt.read_text(encoding="utf-8", errors="replace"))
    name = f"{results_txt.parent.parent.name} / {results_txt.parent.name}"
    blocks: list = []
    perf, energy = parsed["perf"], parsed["energy"]
    if perf:
        wins = sorted(perf)
        rows = [[w, perf[w].get("# Inferences"), perf[w].get("Runtime"), perf[w].get("Throughput"),
                 energy.get(w, {}).get("Energy/Inf.")] for w in wins]
        blocks.append(Table(["window", "inferences", "runtime (s)", "throughput (inf/s)", "energy (µJ/inf)"], rows))
        blocks.append(Figure(f"tiny-throughput-{results_txt.parent.parent.name}-{results_txt.parent.name}",
                             "Throughput per window", "line", "window", "throughput (inferences/s)",
                             [series("throughput", wins, [perf[w].get("Throughput", 0.0) for w in wins])],
                             caption="One point per measurement window (results.txt)."))
    if energy:
        wins = sorted(energy)
        blocks.append(Figure(f"tiny-energy-{results_txt.parent.parent.name}", "Energy per inference per window",
                             "line", "window", "energy per inference (µJ)",
                             [series("µJ/inf", wins, [energy[w].get("Energy/Inf.", 0.0) for w in wins])],
                             caption="Energy between the window's timestamp edges ÷ inferences."))
    figures = [[k, parsed[k]] for k in ("median_throughput", "median_uj", "top1", "auc") if k in parsed]
    if figures:
        labels = {"median_throughput": "median throughput (inf/s)", "median_uj": "median energy (µJ/inf)",
                  "top1": "top-1 (%)", "auc": "AUC"}
        blocks.insert(0, Table(["figure", "value"], [[labels[k], v] for k, v in figures]))
    if parsed["notes"]:
        blocks.append(Text(parsed["notes"], "note"))
    return Section(name, blocks or [Text(["no figures found in results.txt"], "note")])


def tiny_report(folder: str | Path) -> Report:
    folder = Path(folder)
    try:
        from mlpace.tiny import report as tiny_module  # the Tiny package's own report, when it has one
    except ImportError:
        tiny_module = None
    if tiny_module is not None and hasattr(tiny_module, "report_document"):
        return tiny_module.report_document(folder)
    files = sorted(folder.rglob("results.txt")) if not (folder / "results.txt").is_file() else [folder / "results.txt"]
    if not files:
        raise DataError(f"{folder}: no results.txt in it or below it; not a Tiny results folder")
    return Report("tiny", f"Tiny results — {folder.name}", sections=[_one(p) for p in files], source=str(folder))

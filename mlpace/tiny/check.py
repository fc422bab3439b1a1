"""``mlpace check`` for an MLPerf Tiny results tree (tiny_results_v1.x layout or mlpace's
session folders), from its files alone.

Rules, per ``<system>/<ic|kws|vww|ad>/<performance|accuracy|energy>`` run folder (for
mlpace sessions: the ``latest`` one; failed sessions are ignored):

* files     - ``results.txt`` exists; performance and energy also need ``log.txt``.
* rescore   - ``mlpace tiny score`` recomputes the figures from the log (or the window
              blocks) and they agree with ``results.txt``.
* windows   - performance/energy: exactly 5 windows, each at least 10 s.
* accuracy  - closed division (or no division folder): Top-1 / AUC at or above the
              benchmark's target (ic 85%, kws 90%, vww 80%, ad 0.85 AUC).
* system    - in a submission layout, ``<division>/<org>/systems/<system>.json`` exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlpace.errors import MlpaceError
from mlpace.tiny import benchmarks
from mlpace.tiny.score import LOG_FILE, MODES, RESULTS_FILE, find_run_folders, score_folder

TARGETS = {"ic": ("top1", 0.85), "kws": ("top1", 0.90), "vww": ("top1", 0.80), "ad": ("auc", 0.85)}
MIN_WINDOW_S = 10.0
WINDOWS = 5


@dataclass
class Finding:
    where: str
    check: str
    passed: bool
    why: str


def _bench_name(folder_name: str) -> str | None:
    try:
        return benchmarks.get(folder_name).name
    except MlpaceError:
        return None


def run_folders(root: Path) -> list[Path]:
    """The Tiny run folders of a tree: the mode folder's parent must be a Tiny benchmark."""
    out = []
    for f in find_run_folders(Path(root)):
        mode_dir = f if f.name in MODES else f.parent
        if _bench_name(mode_dir.parent.name):
            out.append(f)
    return out


def is_tiny_tree(root: Path) -> bool:
    """True when ``root`` holds MLPerf Tiny run folders (so check/report dispatch here)."""
    root = Path(root)
    return root.is_dir() and bool(run_folders(root))


def check_tiny_tree(root: str | Path) -> list[Finding]:
    root = Path(root)
    findings: list[Finding] = []

    def add(where: Path, check: str, passed: bool, why: str) -> None:
        try:
            rel = str(where.relative_to(root)) or "."
        except ValueError:
            rel = str(where)
        findings.append(Finding(rel, check, passed, why))

    systems_seen: set[Path] = set()
    for folder in run_folders(root):
        mode_dir = folder if folder.name in MODES else folder.parent
        mode = mode_dir.name
        bench = _bench_name(mode_dir.parent.name)
        system_dir = mode_dir.parent.parent
        division = _division(system_dir)
        need = [RESULTS_FILE] + ([LOG_FILE] if mode in ("performance", "energy") else [])
        missing = [n for n in need if not (folder / n).is_file()]
        add(folder, "files", not missing, f"missing {', '.join(missing)}" if missing else ", ".join(need) + " present")
        if missing and not (folder / LOG_FILE).is_file() and not (folder / RESULTS_FILE).is_file():
            continue
        try:
            score = score_folder(folder, mode=mode, benchmark=bench)
        except MlpaceError as exc:
            add(folder, "rescore", False, str(exc))
            continue
        diffs = score.disagreements()
        if diffs:
            add(folder, "rescore", False, "; ".join(diffs) + f" (from {score.fmt})")
        elif score.reported:
            add(folder, "rescore", True, f"results.txt reproduced from {score.fmt}")
        else:
            add(folder, "rescore", not score.notes and bool(score.lines),
                "; ".join(score.notes) or f"no summary in results.txt; recomputed {', '.join(score.lines)}")
        r = score.result
        if mode in ("performance", "energy") and r.windows:
            short = [w for w in r.windows if w.runtime_s < MIN_WINDOW_S]
            ok = len(r.windows) == WINDOWS and not short
            add(folder, "windows", ok, f"{len(r.windows)} windows, shortest {min(w.runtime_s for w in r.windows):.3f} s"
                + ("" if ok else f" (required: {WINDOWS} of >= {MIN_WINDOW_S:g} s)"))
        if mode == "accuracy" and bench in TARGETS:
            metric, target = TARGETS[bench]
            value = r.top1 if metric == "top1" else r.auc
            if value is None:
                value = score.reported.get(metric)
                value = value / 100 if value is not None and metric == "top1" else value
            shown = "n/a" if value is None else (f"{value * 100:.1f}%" if metric == "top1" else f"{value:.2f}")
            want = f"{target * 100:g}%" if metric == "top1" else f"{target:g}"
            if division == "open":
                add(folder, "accuracy", value is not None, f"{metric} {shown} (open division: reported, no target)")
            else:
                add(folder, "accuracy", value is not None and value >= target, f"{metric} {shown}, target {want}")
        if division and system_dir not in systems_seen:
            systems_seen.add(system_dir)
            sj = system_dir.parent.parent / "systems" / f"{system_dir.name}.json"
            add(system_dir, "system", sj.is_file(), f"{sj.relative_to(root) if sj.is_relative_to(root) else sj}"
                + (" present" if sj.is_file() else " missing"))
    return findings


def _division(system_dir: Path) -> str | None:
    """``closed`` / ``open`` when the system folder sits in ``<division>/<org>/results/``."""
    results = system_dir.parent
    if results.name == "results" and results.parent.parent.name in ("closed", "open"):
        return results.parent.parent.name
    return None

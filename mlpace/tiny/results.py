"""Tiny results files: ``results.txt`` in the EEMBC runner's layout, ``results.json`` for
machines, and the session folders they live in:
``results/<system>/<benchmark>/<mode>/<YYYYmmdd-HHMMSS[-N]>[-failed]/`` with a ``latest``
pointer (a symlink, or a ``latest.txt`` file where symlinks are not allowed) that moves
only after a successful run, so a failed run never replaces good results.

Only formatting happens here; every number arrives computed by the runner.
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from mlpace.tiny.transcript import stamp

RULE = "-" * 57
CODE = {"performance": "ulp-mlperf", "accuracy": "ulp-mlperf", "energy": "ulp-ml"}


@dataclass
class PerfWindow:
    index: int  # 1-based
    file: str
    n: int
    runtime_s: float
    energy_uj: float | None = None
    start_s: float | None = None  # session time of the window's first edge (energy)

    @property
    def throughput(self) -> float:
        return self.n / self.runtime_s if self.runtime_s > 0 else math.nan

    @property
    def label(self) -> int:
        return 2 * self.index  # the EEMBC runner numbers windows 2, 4, 6, ...


@dataclass
class TinyResult:
    benchmark: str
    model_id: str
    mode: str
    system: str
    device_name: str = ""
    windows: list[PerfWindow] = field(default_factory=list)
    min_window_s: float = 10.0
    required_windows: int = 5
    warmups: int = 0
    top1: float | None = None
    auc: float | None = None
    files: int = 0
    notes: list[str] = field(default_factory=list)
    incomplete: str | None = None
    folder: str = ""  # the session folder the run was written to

    @property
    def median_throughput(self) -> float | None:
        return statistics.median(w.throughput for w in self.windows) if self.windows else None

    @property
    def latency_ms(self) -> float | None:
        m = self.median_throughput
        return 1000.0 / m if m else None

    @property
    def median_uj_per_inference(self) -> float | None:
        e = [w.energy_uj / w.n for w in self.windows if w.energy_uj is not None]
        return statistics.median(e) if e else None

    @property
    def compliant(self) -> bool:
        return (self.incomplete is None and len(self.windows) == self.required_windows == 5
                and self.min_window_s >= 10.0 and all(w.runtime_s >= self.min_window_s for w in self.windows))


def results_lines(r: TinyResult, t: float) -> list[str]:
    code = CODE[r.mode]
    out: list[str] = []

    def say(text: str) -> None:
        out.append(f"{stamp(t)} {code}: {text}")

    if r.mode == "energy":
        for w in r.windows:
            say(f"Energy data for window {w.label} at time {w.start_s or 0.0:.2f} for {w.runtime_s:.2f} sec.:")
            say(f"  Energy       : {w.energy_uj:12.3f} uJ")
            say(f"  Power        : {w.energy_uj / w.runtime_s:12.3f} uW")
            say(f"  Energy/Inf.  : {w.energy_uj / w.n:12.3f} uJ/inf.")
        if r.windows:
            say(RULE)
            say(f"Median energy cost is {r.median_uj_per_inference:.3f} uJ/inf.")
            say(RULE)
    if r.mode in ("performance", "energy"):
        for w in r.windows:
            say(f"Performance results for window {w.label}:")
            say(f"  # Inferences : {w.n:12d}")
            say(f"  Runtime      : {w.runtime_s:12.3f} sec.")
            say(f"  Throughput   : {w.throughput:12.3f} inf./sec.")
            if w.runtime_s >= r.min_window_s:
                say("Runtime requirements have been met.")
            else:
                say(f"Runtime requirements have NOT been met: window shorter than {r.min_window_s:g} sec.")
        if r.windows:
            say(RULE)
            say(f"Median throughput is {r.median_throughput:.3f} inf./sec.")
            say(RULE)
    if r.mode == "accuracy":
        if r.top1 is not None:
            say(f"Top-1: {r.top1 * 100:.1f}%")
        if r.auc is not None:
            say(f"AUC: {r.auc:.2f}")
    if r.incomplete:
        say(f"Run incomplete: {r.incomplete}")
    if r.mode != "accuracy" and not r.incomplete and len(r.windows) != r.required_windows:
        say(f"Only {len(r.windows)} of {r.required_windows} windows completed.")
    if r.mode != "accuracy" and (r.required_windows != 5 or r.min_window_s < 10.0):
        say(f"NOTE: non-compliant settings ({r.required_windows} windows of >= {r.min_window_s:g} s; "
            "MLPerf Tiny requires 5 windows of >= 10 s).")
    for note in r.notes:
        say(f"NOTE: {note}")
    return out


def official_lines(r: TinyResult) -> list[str]:
    """The official result lines (``Median throughput is X inf./sec.``, ``Top-1: X%``, ...),
    exactly as they appear in results.txt, without the time stamp and benchmark code."""
    keep = ("Median throughput is", "Median energy cost is", "Top-1:", "AUC:")
    out = []
    for line in results_lines(r, 0.0):
        text = line.split(": ", 1)[1] if ": " in line else line
        if text.startswith(keep):
            out.append(text)
    return out


def to_json(r: TinyResult) -> dict:
    d = asdict(r)
    d.update(median_throughput=r.median_throughput, latency_ms=r.latency_ms,
             median_uj_per_inference=r.median_uj_per_inference, compliant=r.compliant)
    for w, wd in zip(r.windows, d["windows"]):
        wd["throughput"] = w.throughput
        wd["uj_per_inference"] = None if w.energy_uj is None else w.energy_uj / w.n
    return d


def result_dir(root: Path, system: str, benchmark: str, mode: str) -> Path:
    """The mode folder that holds the sessions of one system, benchmark and mode."""
    return Path(root) / system / benchmark / mode


LATEST = "latest"
LATEST_FILE = "latest.txt"
FAILED_SUFFIX = "-failed"


def system_slug(name: str) -> str:
    """A folder-safe system name from a device's ``m-name-dut-[...]`` text."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "unnamed-device"


def new_session(mode_dir: Path, started: datetime, failed: bool) -> Path:
    """Create and return a new session folder ``YYYYmmdd-HHMMSS[-N][-failed]`` (never reused)."""
    mode_dir.mkdir(parents=True, exist_ok=True)
    base = started.strftime("%Y%m%d-%H%M%S")
    suffix = FAILED_SUFFIX if failed else ""
    for k in range(1, 10_000):
        name = base if k == 1 else f"{base}-{k}"
        if any((mode_dir / (name + s)).exists() for s in ("", FAILED_SUFFIX)):
            continue
        try:
            (mode_dir / (name + suffix)).mkdir()
        except FileExistsError:
            continue
        return mode_dir / (name + suffix)
    raise FileExistsError(f"no free session name under {mode_dir}")


def mark_latest(session: Path) -> None:
    """Point ``<mode>/latest`` at ``session`` (atomically); fall back to ``latest.txt``."""
    mode_dir = session.parent
    tmp = mode_dir / f".latest-{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(session.name, tmp)
        os.replace(tmp, mode_dir / LATEST)
    except OSError:  # no symlinks here (some Windows setups, some mounts): a text pointer
        (mode_dir / LATEST_FILE).write_text(session.name + "\n", encoding="utf-8")
        return
    (mode_dir / LATEST_FILE).unlink(missing_ok=True)


def latest_session(mode_dir: Path) -> Path | None:
    """The last good session of a mode folder, or None."""
    link = mode_dir / LATEST
    if link.is_dir():
        return link.resolve()
    f = mode_dir / LATEST_FILE
    if f.is_file():
        target = mode_dir / f.read_text(encoding="utf-8").strip()
        if target.is_dir():
            return target
    return None


def write_results(r: TinyResult, folder: Path, t: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.txt").write_text("\n".join(results_lines(r, t)) + "\n", encoding="utf-8")
    (folder / "results.json").write_text(json.dumps(to_json(r), indent=2) + "\n", encoding="utf-8")
    return folder / "results.txt"

"""Re-score MLPerf Tiny results written by any runner, from the files alone.

Reads three formats:

* serial transcripts (``log.txt``) of the EEMBC runner / EnergyRunner and of mlpace, lines
  ``SSSSS.mmm source: text``: host commands are ``parser: Command "..."``, device lines come
  from ``dut:`` or ``io: [dut]: ``. Each ``infer N W`` is one window; its two ``m-lap-us-``
  lines give the runtime on the device's 32-bit microsecond counter (a wrap is measured
  modulo 2**32); ``m-results-[...]`` lines and the loaded file names give accuracy.
* logs of the mlcommons/tiny Python runner (``benchmark/runner``): its printed window
  blocks (``# Inferences``, ``Runtime``) and energy lines (``N iterations. Elapsed time =
  T,total energy = E``).
* ``results.txt`` files (EEMBC, mlpace): their per-window blocks, recomputed.
* mlpace energy sessions' ``energy_captures.npz``: each window's raw monitor samples and
  timestamp edges, integrated again.
* EnergyRunner energy folders' ``trace1-timestamps.json``: the window times from the
  monitor's edges (the energy per window is taken from results.txt; the ``.bin`` trace is
  not decoded).

The score is recomputed (median over windows, Top-1 / AUC from per-file outputs and a
``y_labels.csv``), never copied from a summary line; a ``results.txt`` beside the log is
read only to say whether the reported figures agree with the recomputed ones.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlpace.errors import DataError
from mlpace.tiny import benchmarks
from mlpace.tiny import protocol as p
from mlpace.tiny.energy import CAPTURES_FILE
from mlpace.tiny.results import PerfWindow, TinyResult, latest_session, official_lines, results_lines

MODES = ("performance", "accuracy", "energy")
LOG_FILE = "log.txt"
RESULTS_FILE = "results.txt"
TIMESTAMPS_GLOB = "trace*-timestamps.json"  # EnergyRunner: the monitor's timestamp edges, in seconds
REL_TOLERANCE = 5e-4  # reported vs recomputed: agree to the printed 3 decimals (and rounding)

_STAMPED = re.compile(r"^\s*(\d+\.\d+)\s+([A-Za-z][\w-]*):\s?(.*)$")  # 00434.426 ulp-mlperf: text
_NEW_RUNNER = re.compile(r"^\d{4}\.\d{6}\s+([\w-]+):\s?(.*)$")  # 0514.163856 ulp-mlperf: text
_COMMAND = re.compile(r'^Command "(.*)"$')
_INFER = re.compile(r"^(?:io\s+)?(?:dut\s+)?infer\s+(\d+)(?:\s+(\d+))?\s*$")
_BLOAD = re.compile(r'^bloadp?\s+(?:dut\s+)?"?(.*?)"?\s*$')
_MLPACE_LOAD = re.compile(r"^load (\S+)$")
_MLPACE_DISCARD = re.compile(r"^(calibration: |window \d+ lasted )")
_RUN_NAME = re.compile(r"m-bmark-run-name\[ML (\w+)")
_RUN_MODE = re.compile(r"key\[runMode\]-val\[(\w+)\]")
_CFG_MODEL = re.compile(r"key\[model\]-val\[(\w+)\]")
_WINDOW_HEAD = re.compile(r"^Performance results for window (\d+):$")
_INFERENCES = re.compile(r"^# Inferences\s*:\s*(\d+)$")
_RUNTIME = re.compile(r"^Runtime\s*:\s*([\d.]+) sec\.$")
_ENERGY_HEAD = re.compile(r"^Energy data for window (\d+) at time ([\d.]+) for ([\d.]+) sec\.:$")
_ENERGY = re.compile(r"^Energy\s*:\s*([\d.]+) uJ$")
_NEW_ENERGY = re.compile(r"^(\d+) iterations\. Elapsed time = ([\d.eE+-]+),\s*total energy = ([\d.eE+-]+)$")
_REPORTED = {
    "throughput": re.compile(r"Median throughput is\s+([\d.]+) inf\./sec\."),
    "energy": re.compile(r"Median energy cost is\s+([\d.]+) uJ/inf\."),
    "top1": re.compile(r"Top-1:\s+([\d.]+)%"),
    "auc": re.compile(r"AUC:\s+([\d.]+)"),
}


@dataclass
class Infer:
    """One ``infer N W`` seen in a transcript, with what the device printed for it."""

    n: int
    w: int
    file: str | None = None
    laps: list[int] = field(default_factory=list)
    results: list[float] | None = None
    started: bool = False
    done: bool = False
    discarded: bool = False

    @property
    def elapsed_us(self) -> int | None:
        return p.lap_elapsed_us(self.laps[0], self.laps[1]) if len(self.laps) >= 2 else None

    @property
    def wrapped(self) -> bool:
        return len(self.laps) >= 2 and self.laps[1] < self.laps[0]


@dataclass
class Transcript:
    """What a serial transcript says: the infers, the model, the mode hints, the last time."""

    infers: list[Infer] = field(default_factory=list)
    model: str | None = None
    mode_hint: str | None = None
    device_name: str = ""
    dataset: str | None = None  # mlpace transcripts name their data set folder
    last_time: float = 0.0
    fmt: str = "transcript"


@dataclass
class Score:
    """A recomputed result, where it came from, and how it compares to what was reported."""

    result: TinyResult
    source: Path
    fmt: str
    reported: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    time_s: float = 0.0

    @property
    def lines(self) -> list[str]:
        return official_lines(self.result)

    def recomputed(self) -> dict[str, float]:
        r = self.result
        out = {}
        if r.median_throughput is not None and r.mode != "accuracy":
            out["throughput"] = r.median_throughput
        if r.median_uj_per_inference is not None:
            out["energy"] = r.median_uj_per_inference
        if r.top1 is not None:
            out["top1"] = r.top1 * 100
        if r.auc is not None:
            out["auc"] = r.auc
        return out

    def disagreements(self) -> list[str]:
        """Reported figures (results.txt) that the files do not reproduce."""
        out = []
        got = self.recomputed()
        for key, value in self.reported.items():
            if key not in got:
                continue
            decimals = {"throughput": 3, "energy": 3, "top1": 1, "auc": 2}[key]
            if round(got[key], decimals) != round(value, decimals) and not math.isclose(
                    got[key], value, rel_tol=REL_TOLERANCE, abs_tol=0.5 * 10 ** -decimals):
                out.append(f"{key}: reported {value:g}, recomputed {got[key]:.{decimals}f}")
        return out


# -- parsing ---------------------------------------------------------------------------------
def read_transcript(text: str) -> Transcript:
    """Parse an EEMBC/mlpace serial transcript (``log.txt``)."""
    t = Transcript()
    current: Infer | None = None
    last_file: str | None = None
    for raw in text.splitlines():
        m = _STAMPED.match(raw)
        if not m:
            continue
        t.last_time = float(m.group(1))
        source, body = m.group(2), m.group(3)
        if source == "parser":
            cm = _COMMAND.match(body)
            if cm:
                cmd = cm.group(1)
                im = _INFER.match(cmd)
                if im:
                    current = Infer(n=int(im.group(1)), w=int(im.group(2) or 10), file=last_file)
                    t.infers.append(current)
                    continue
                bm = _BLOAD.match(cmd)
                if bm and (cmd.startswith("bload") or cmd.startswith("bloadp")):
                    last_file = re.split(r"[\\/]", bm.group(1))[-1]
                continue
            rm = _RUN_NAME.search(body)
            if rm:
                t.mode_hint = t.mode_hint or ("energy" if rm.group(1).lower() == "energy" else None)
            rm = _RUN_MODE.search(body)
            if rm and t.mode_hint != "energy":
                t.mode_hint = "accuracy" if rm.group(1) == "multi" else "performance"
            rm = _CFG_MODEL.search(body)
            if rm:
                t.model = t.model or rm.group(1)
            continue
        if source == "sequencer":
            lm = _MLPACE_LOAD.match(body)
            if lm:
                last_file = lm.group(1)
            elif _MLPACE_DISCARD.match(body) and t.infers:
                t.infers[-1].discarded = True
            elif body.startswith("timestamp mode energy"):
                t.mode_hint = "energy"
            elif body.startswith("dataset "):
                t.dataset = body[len("dataset "):]
            continue
        if source == "io" and body.startswith(p.DUT_PREFIX):
            body = body[len(p.DUT_PREFIX):]
        elif source != "dut":
            continue
        line = body.strip()
        model = p.parse_model(line)
        if model:
            t.model = model
        name = p.parse_name(line)
        if name and name[0] == "dut":
            t.device_name = name[1]
        if current is None:
            continue
        if line.startswith("m-infer-start-"):
            current.started = True
        elif line == "m-infer-done":
            current.done = True
        elif current.started and not current.done and p.parse_lap_us(line) is not None:
            current.laps.append(p.parse_lap_us(line))  # type: ignore[arg-type]
        else:
            res = p.parse_results(line)
            if res is not None and current.done:
                current.results = res
    return t


@dataclass
class WindowBlocks:
    """Per-window figures printed by a runner (results.txt or the Python runner's log)."""

    perf: list[tuple[int, int, float]] = field(default_factory=list)  # (label, n, runtime s)
    energy: list[tuple[int, float, float, float]] = field(default_factory=list)  # (label, start, s, uJ)
    new_energy: list[tuple[int, float, float]] = field(default_factory=list)  # (n, s, uJ)


def read_window_blocks(text: str) -> WindowBlocks:
    """The window blocks of a results.txt (EEMBC/mlpace) or a mlcommons/tiny runner log."""
    out = WindowBlocks()
    label: int | None = None
    n: int | None = None
    elabel: tuple[int, float, float] | None = None
    for raw in text.splitlines():
        m = _STAMPED.match(raw) or _NEW_RUNNER.match(raw)
        body = (m.group(m.lastindex) if m else raw).strip()
        if (hm := _WINDOW_HEAD.match(body)):
            label, n = int(hm.group(1)), None
        elif (im := _INFERENCES.match(body)) and label is not None:
            n = int(im.group(1))
        elif (rm := _RUNTIME.match(body)) and label is not None and n is not None:
            out.perf.append((label, n, float(rm.group(1))))
            label = n = None
        elif (em := _ENERGY_HEAD.match(body)):
            elabel = (int(em.group(1)), float(em.group(2)), float(em.group(3)))
        elif (em := _ENERGY.match(body)) and elabel is not None:
            out.energy.append((elabel[0], elabel[1], elabel[2], float(em.group(1))))
            elabel = None
        elif (nm := _NEW_ENERGY.match(body)):
            out.new_energy.append((int(nm.group(1)), float(nm.group(2)), float(nm.group(3)) * 1e6))
    return out


def read_reported(text: str) -> dict[str, float]:
    """The summary figures a results.txt reports (median throughput, energy, Top-1 %, AUC)."""
    out = {}
    for key, rx in _REPORTED.items():
        m = rx.search(text)
        if m:
            out[key] = float(m.group(1))
    return out


def read_labels(path: Path) -> dict[str, int]:
    """``y_labels.csv``: file name -> class (classifiers ``file, n, class``; ad01 adds window, stride)."""
    labels = {}
    try:
        with path.open(newline="") as fh:
            for lineno, row in enumerate(csv.reader(fh), 1):
                if not row or not row[0].strip():
                    continue
                try:
                    labels[row[0].strip()] = int(row[2])
                except (IndexError, ValueError):
                    raise DataError(f"{path}:{lineno}: expected 'file, n_classes, class', got {row}") from None
    except OSError as exc:
        raise DataError(f"cannot read labels {path}: {exc.strerror}") from None
    return labels


# -- scoring ---------------------------------------------------------------------------------
def score_path(path: Path, *, mode: str | None = None, benchmark: str | None = None,
               labels: Path | None = None) -> list[Score]:
    """Re-score a ``log.txt``, a ``results.txt``, a run/session folder or a whole results tree."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist (give a log.txt, a results.txt or a results folder)")
    if path.is_file():
        return [score_folder(path.parent, mode=mode, benchmark=benchmark, labels=labels, only=path)]
    if (path / LOG_FILE).is_file() or (path / RESULTS_FILE).is_file():
        return [score_folder(path, mode=mode, benchmark=benchmark, labels=labels)]
    folders = find_run_folders(path)
    if not folders:
        raise DataError(f"{path} holds no {LOG_FILE} or {RESULTS_FILE} (nor a results tree with them)")
    return [score_folder(f, mode=mode, benchmark=benchmark, labels=labels) for f in folders]


def find_run_folders(root: Path) -> list[Path]:
    """Run folders under ``root``: the official ``<bench>/<mode>/`` ones, and for mlpace's
    session layout only the ``latest`` session of each mode folder (failed ones are skipped)."""
    out = []
    for p_ in sorted(root.rglob("*")):
        if not p_.is_dir() or p_.is_symlink() or p_.name.endswith("-failed"):
            continue
        if p_.name in MODES:
            if (p_ / LOG_FILE).is_file() or (p_ / RESULTS_FILE).is_file():
                out.append(p_)
            else:
                latest = latest_session(p_)
                if latest is not None:
                    out.append(latest)
    return out


def _mode_from_path(folder: Path) -> str | None:
    for part in (folder.name, folder.parent.name):
        if part in MODES:
            return part
    return None


def _bench_from_path(folder: Path) -> str | None:
    for part in reversed(folder.parts):
        try:
            return benchmarks.get(part).name
        except Exception:  # noqa: BLE001 - not a benchmark folder name
            continue
    return None


def score_folder(folder: Path, *, mode: str | None = None, benchmark: str | None = None,
                 labels: Path | None = None, only: Path | None = None) -> Score:
    """Re-score one run folder (or the one file ``only`` in it)."""
    log = folder / LOG_FILE
    res = folder / RESULTS_FILE
    if only is not None:
        log = only if only.name != RESULTS_FILE else folder / "__none__"
        res = only if only.name == RESULTS_FILE else res
    log_text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    res_text = res.read_text(encoding="utf-8", errors="replace") if res.is_file() else ""
    t = read_transcript(log_text)
    blocks_log = read_window_blocks(log_text)
    mode = mode or _mode_from_path(folder) or t.mode_hint
    bench_name = benchmark or (t.model and _safe_bench(t.model)) or _bench_from_path(folder)
    if bench_name is None:
        raise DataError(f"{folder}: cannot tell the benchmark (no m-model-[...] line and no ic/kws/vww/ad folder); "
                        "give --benchmark")
    bench = benchmarks.get(bench_name)
    if mode is None:
        windows = [i for i in t.infers if not i.discarded]
        mode = "accuracy" if windows and all(i.n == 1 and i.w == 0 for i in windows) else "performance"
    if mode not in MODES:
        raise DataError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    result = TinyResult(benchmark=bench.name, model_id=bench.model_id, mode=mode, system=_system_of(folder),
                        device_name=t.device_name)
    score = Score(result=result, source=log if log_text else res, fmt="", time_s=t.last_time)
    if res_text:
        score.reported = read_reported(res_text)
    if mode == "accuracy":
        _score_accuracy(score, t, bench, folder, labels)
    elif mode == "energy" and (folder / CAPTURES_FILE).is_file():
        _score_captures(score, folder / CAPTURES_FILE)
    elif mode == "energy" and sorted(folder.glob(TIMESTAMPS_GLOB)):
        _score_energyrunner(score, t, sorted(folder.glob(TIMESTAMPS_GLOB))[0], read_window_blocks(res_text))
    else:
        _score_windows(score, t, blocks_log, read_window_blocks(res_text), mode)
    if not score.result.windows and mode != "accuracy" and not score.notes:
        raise DataError(f"{folder}: no windows found in {LOG_FILE} or {RESULTS_FILE}")
    return score


def _safe_bench(model: str) -> str | None:
    try:
        return benchmarks.get(model).name
    except Exception:  # noqa: BLE001 - an unknown model id: fall back to the folder name
        return None


def _system_of(folder: Path) -> str:
    parts = folder.parts
    for i in range(len(parts) - 1, 1, -1):
        if parts[i] in MODES and i >= 2:
            return parts[i - 2]
    return ""


def _score_windows(score: Score, t: Transcript, log_blocks: WindowBlocks, res_blocks: WindowBlocks,
                   mode: str) -> None:
    r = score.result
    timed = [i for i in t.infers if not i.discarded and i.elapsed_us is not None]
    if timed:
        score.fmt = "serial transcript (m-lap-us- timestamps)"
        for k, inf in enumerate(timed, 1):
            r.windows.append(PerfWindow(index=k, file=inf.file or "", n=inf.n, runtime_s=inf.elapsed_us / 1e6))
        wraps = sum(i.wrapped for i in timed)
        if wraps:
            score.notes.append(f"the 32-bit microsecond counter wrapped in {wraps} window(s); measured modulo 2**32")
    elif log_blocks.new_energy or log_blocks.perf:
        score.fmt = "mlcommons/tiny runner log"
        _from_blocks(r, log_blocks)
    elif res_blocks.perf or res_blocks.energy:
        score.fmt = "results.txt window blocks"
        _from_blocks(r, res_blocks)
    if mode == "energy" and r.median_uj_per_inference is None:
        blocks = res_blocks if (res_blocks.energy or res_blocks.new_energy) else log_blocks
        if blocks.energy or blocks.new_energy:
            energy_windows = WindowBlocks(perf=[], energy=blocks.energy, new_energy=blocks.new_energy)
            if r.windows:
                _attach_energy(r, energy_windows)
            else:
                _from_blocks(r, energy_windows)
            score.fmt += " + energy window blocks"
        else:
            score.notes.append("no per-window energy found (EnergyRunner trace files are not decoded): energy "
                               "not re-scored")


def _score_captures(score: Score, path: Path) -> None:
    """mlpace energy sessions keep each window's raw monitor samples: integrate them again."""
    from mlpace.tiny.energy import load_captures, window_energy

    score.fmt = f"raw monitor samples ({path.name})"
    for k, (n, cap) in enumerate(load_captures(path), 1):
        we = window_energy(cap, n)
        score.result.windows.append(PerfWindow(index=k, file="", n=n, runtime_s=we.time_s, energy_uj=we.energy_uj,
                                               start_s=cap.edges_s[-2]))


def _score_energyrunner(score: Score, t: Transcript, timestamps: Path, res_blocks: WindowBlocks) -> None:
    """EnergyRunner energy folders: window times from the monitor's timestamp edges
    (``trace1-timestamps.json``: one edge at the start, then two per window), N from the log
    (or results.txt), energy per window from results.txt (its ``.bin`` trace is not decoded)."""
    import json

    try:
        edges = [float(x) for x in json.loads(timestamps.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"{timestamps}: not a JSON list of edge times ({exc})") from None
    ns = [i.n for i in t.infers if not i.discarded] or [n for _, n, _ in res_blocks.perf]
    if not ns or len(edges) < 2 * len(ns):
        raise DataError(f"{timestamps}: {len(edges)} edges for {len(ns)} windows (2 per window needed)")
    pairs = edges[len(edges) - 2 * len(ns):]
    energy = {k: (start, uj) for k, (_, start, _, uj) in enumerate(res_blocks.energy)}
    for k, n in enumerate(ns):
        a, b = pairs[2 * k], pairs[2 * k + 1]
        start, uj = energy.get(k, (a, None))
        score.result.windows.append(PerfWindow(index=k + 1, file="", n=n, runtime_s=b - a, energy_uj=uj, start_s=a))
    score.fmt = f"EnergyRunner timestamps ({timestamps.name})" + (
        " + results.txt energy blocks" if res_blocks.energy else "")
    if not res_blocks.energy:
        score.notes.append("EnergyRunner's energy trace (.bin) is not decoded: energy not re-scored")


def _from_blocks(r: TinyResult, b: WindowBlocks) -> None:
    if b.new_energy:
        for k, (n, s, uj) in enumerate(b.new_energy, 1):
            r.windows.append(PerfWindow(index=k, file="", n=n, runtime_s=s, energy_uj=uj))
        return
    energy = {label: (start, s, uj) for label, start, s, uj in b.energy}
    for k, (label, n, runtime) in enumerate(b.perf, 1):
        w = PerfWindow(index=k, file="", n=n, runtime_s=runtime)
        if label in energy:
            start, s, uj = energy[label]
            w.energy_uj, w.start_s = uj, start
        r.windows.append(w)


def _attach_energy(r: TinyResult, b: WindowBlocks) -> None:
    if b.new_energy:
        for w, (_, _, uj) in zip(r.windows, b.new_energy):
            w.energy_uj = uj
        return
    for w, (_, start, _, uj) in zip(r.windows, b.energy):
        w.energy_uj, w.start_s = uj, start


def _score_accuracy(score: Score, t: Transcript, bench, folder: Path, labels: Path | None) -> None:
    r = score.result
    score.fmt = "serial transcript (m-results- per file)"
    infers = [i for i in t.infers if i.results is not None]
    if not infers:
        score.notes.append("no m-results-[...] lines in the transcript: accuracy not re-scored")
        return
    candidates = [folder / "y_labels.csv", folder.parent / "y_labels.csv"]
    if t.dataset:
        candidates.append(Path(t.dataset) / "y_labels.csv")  # the set an mlpace run read
    labels = labels or next((c for c in candidates if c.is_file()), None)
    if labels is None:
        score.notes.append(f"{len(infers)} inference results found, but no y_labels.csv: give --labels "
                           "PATH/y_labels.csv to re-score accuracy")
        return
    truth = read_labels(Path(labels))
    per_file: dict[str, list[np.ndarray]] = {}
    for inf in infers:
        if inf.file is None:
            score.notes.append("the transcript does not name the loaded files: accuracy not re-scored")
            return
        out = np.asarray(inf.results, dtype=np.float64)
        if bench.metric == "top1" and out.sum() > 0:
            out = out / out.sum()
        per_file.setdefault(inf.file, []).append(out)
    missing = [f for f in per_file if f not in truth]
    if missing:
        raise DataError(f"{labels} has no label for {len(missing)} file(s) of the transcript, e.g. {missing[0]!r}")
    from mlpace.tiny.runner import _score

    names = list(per_file)
    _score(bench, [truth[f] for f in names], [np.mean(per_file[f], axis=0) for f in names], r)
    r.files = len(names)


def render_results_txt(score: Score) -> str:
    """The re-scored results.txt, in the EEMBC runner's layout."""
    return "\n".join(results_lines(score.result, score.time_s)) + "\n"


def write_results_txt(score: Score, force: bool = False) -> Path:
    """Write ``results.txt`` beside the scored log; an existing one is kept unless ``force``."""
    target = score.source.parent / RESULTS_FILE
    if target.exists() and not force:
        raise DataError(f"{target} exists; pass --force to replace it with the re-scored one")
    target.write_text(render_results_txt(score), encoding="utf-8")
    return target

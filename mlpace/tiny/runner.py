"""The MLPerf Tiny host runner: performance, accuracy and energy modes over serial links.

``run(config)`` opens the links, checks the device's timestamp mode and model, runs the
mode, and writes ``results.txt``, ``results.json`` and the ``log.txt`` transcript into a new
session folder ``<results>/<system>/<benchmark>/<mode>/<YYYYmmdd-HHMMSS>/``; ``latest``
moves to it only when the run succeeded. If the device fails mid-run, the windows or files
already finished are written (marked incomplete) into a ``...-failed`` session before the
error is raised; a run that never opened the port writes nothing. The system name is the
user's ``system`` or else the name the device reports (``m-name-dut-[...]``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlpace.errors import ConfigError, DeviceError, MlpaceError
from mlpace.tiny import benchmarks, dataset
from mlpace.tiny import protocol as p
from mlpace.tiny.benchmarks import TinyBenchmark
from mlpace.tiny.dut import DutClient, infer_timeout, tuned_n
from mlpace.tiny.energy import CAPTURES_FILE, MONITORS, EnergyMonitor, open_monitor, save_captures, window_energy
from mlpace.tiny.link import SerialLink
from mlpace.tiny.results import (PerfWindow, TinyResult, mark_latest, new_session, result_dir, system_slug,
                                 write_results)
from mlpace.tiny.transcript import Transcript

MODES = ("performance", "accuracy", "energy")
MAX_WINDOW_REDOS = 3


class RunConfig(BaseModel):
    """Everything one tiny run needs; validated at the edge (CLI or API)."""

    model_config = ConfigDict(extra="forbid")

    benchmark: str
    mode: str = "performance"
    port: str
    baud: int | None = Field(default=None, gt=0, description="default 115200, 9600 in energy mode")
    monitor_port: str | None = None
    monitor: str = Field(default="mlpace", description="energy monitor: mlpace (simulator), lpm01a, joulescope")
    monitor_voltage_v: float = Field(default=3.0, gt=0, description="DUT supply voltage set on the monitor")
    monitor_rate_hz: int = Field(default=1000, gt=0, description="monitor sampling rate")
    system: str | None = Field(default=None, description="default: the name the device reports")
    results_dir: Path = Path("results")
    windows: int = Field(default=5, ge=1, description="official: 5")
    min_window_s: float = Field(default=10.0, gt=0, description="official: 10 s")
    n: int | None = Field(default=None, ge=1, description="fixed N; default tuned automatically")
    warmups: int | None = Field(default=None, ge=0, description="W; default per benchmark")
    command_timeout_s: float = Field(default=5.0, gt=0)
    first_infer_timeout_s: float = Field(default=120.0, gt=0)
    infer_timeout_s: float | None = Field(default=None, gt=0, description="fixed infer timeout; default 2x expected")
    retries: int = Field(default=2, ge=0)
    boot_wait_s: float = Field(default=1.0, ge=0)
    dataset_dir: Path | None = None
    max_files: int | None = Field(default=None, ge=1, description="accuracy: first N files only")

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {v!r}")
        return v

    @field_validator("monitor")
    @classmethod
    def _monitor(cls, v: str) -> str:
        if v not in MONITORS:
            raise ValueError(f"monitor must be one of {', '.join(MONITORS)}, got {v!r}")
        return v

    @field_validator("benchmark")
    @classmethod
    def _bench(cls, v: str) -> str:
        return benchmarks.get(v).name

    @property
    def bench(self) -> TinyBenchmark:
        return benchmarks.get(self.benchmark)

    @property
    def effective_baud(self) -> int:
        return self.baud or (p.ENERGY_BAUD if self.mode == "energy" else p.DEFAULT_BAUD)


Progress = Callable[[str, dict], None]


def make_config(**kwargs) -> RunConfig:
    """``RunConfig(**kwargs)`` with pydantic errors turned into one ``ConfigError`` line."""
    from pydantic import ValidationError

    try:
        return RunConfig(**kwargs)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"tiny run setting {key!r}: {first['msg']}") from None
    except ConfigError:
        raise


def run(config: RunConfig, progress: Progress | None = None, monitor: EnergyMonitor | None = None) -> TinyResult:
    """Run one benchmark in one mode; return the result (also written to disk)."""
    bench = config.bench
    progress = progress or (lambda event, info: None)
    transcript = Transcript()
    started = datetime.now()
    result = TinyResult(benchmark=bench.name, model_id=bench.model_id, mode=config.mode, system=config.system or "",
                        min_window_s=config.min_window_s, required_windows=config.windows,
                        notes=[] if config.dataset_dir else [f"{bench.data_note}; {benchmarks.NOT_COMPARABLE}."])
    data_dir = config.dataset_dir or dataset.default_dataset(bench)
    samples = dataset.read_dataset(bench, data_dir)
    transcript.note(f"dataset {Path(data_dir).resolve()}")  # where `mlpace tiny score` finds y_labels.csv
    link = None
    own_monitor = False
    captures: list = []  # (N, Capture) of each accepted energy window, saved with the session
    try:
        energy = config.mode == "energy"
        if energy and monitor is None:
            monitor = open_monitor(config.monitor, config.monitor_port, transcript,
                                   voltage_v=config.monitor_voltage_v, rate_hz=config.monitor_rate_hz,
                                   timeout_s=max(10.0, config.command_timeout_s))
            own_monitor = True
        link = SerialLink(config.port, config.effective_baud, transcript, source="io" if energy else "dut")
        transcript.note(f"session started {started.isoformat(timespec='seconds')} on {config.port} at "
                        f"{config.effective_baud} baud")
        client = DutClient(link, via_io_manager=energy, command_timeout_s=config.command_timeout_s,
                           retries=config.retries, boot_wait_s=config.boot_wait_s)
        client.boot()
        client.require_mode(p.MODE_ENERGY if energy else p.MODE_PERFORMANCE)
        client.identify()
        result.device_name = client.name or ""
        if not config.system:
            result.system = system_slug(result.device_name)
        if result.device_name.startswith("mlpace simulated"):
            result.notes.append("measured on mlpace's simulated device: timing and energy come from its cost model.")
        if client.model and client.model != bench.model_id:
            raise DeviceError(f"the device on {config.port} runs model {client.model!r} but --benchmark "
                              f"{bench.name} needs {bench.model_id!r}; flash the {bench.model_id} firmware")
        progress("connected", {"name": client.name, "model": client.model, "mode": client.mode})
        if config.mode == "accuracy":
            _accuracy(config, bench, client, samples, result, progress)
        else:
            _windows(config, bench, client, samples, result, progress, monitor if energy else None, captures)
    except MlpaceError as exc:
        result.incomplete = str(exc)
        transcript.note(f"run stopped: {exc}")
        raise
    except KeyboardInterrupt:
        result.incomplete = "interrupted by the user"
        raise
    finally:
        if link is not None:
            link.close()
        if own_monitor and monitor is not None:
            monitor.close()
        if link is not None:  # a run that never opened the port leaves no session behind
            if not result.system:
                result.system = "unidentified-" + system_slug(Path(config.port).name)
            failed = result.incomplete is not None
            folder = new_session(result_dir(config.results_dir, result.system, bench.name, config.mode), started,
                                 failed)
            result.folder = str(folder)
            write_results(result, folder, transcript.elapsed())
            transcript.write(folder / "log.txt")
            if captures:
                save_captures(folder / CAPTURES_FILE, captures)
            if not failed:
                mark_latest(folder)
    return result


def _windows(config: RunConfig, bench: TinyBenchmark, client: DutClient, samples, result: TinyResult,
             progress: Progress, monitor: EnergyMonitor | None, captures: list | None = None) -> None:
    """Performance or energy mode: calibrate N, then the windows, each on a different input."""
    w = bench.default_w if config.warmups is None else config.warmups
    result.warmups = w
    n = config.n or bench.default_n
    inputs = [dataset.windows_of(bench, s)[0] for s in samples]  # ad01: the first window of each file
    per_inf: float | None = None
    last_capture = None

    def one(data: bytes, n: int, name: str) -> tuple[float, float | None, float | None]:
        """Load, infer; return (runtime s, energy uJ or None, start s or None)."""
        nonlocal per_inf, last_capture
        if monitor is not None:
            monitor.start()
        client.link.transcript.note(f"load {name}")  # names the input, so `mlpace tiny score` can read it
        client.load(data)
        timeout = config.infer_timeout_s or infer_timeout(config.command_timeout_s, per_inf, n, w,
                                                          config.first_infer_timeout_s)
        reply = client.infer(n, w, timeout=timeout)
        if monitor is not None:
            cap = last_capture = monitor.stop()
            we = window_energy(cap, n)
            runtime, energy_uj, start = we.time_s, we.energy_uj, cap.edges_s[-2]
        else:
            runtime, energy_uj, start = reply.elapsed_us / 1e6, None, None
        per_inf = runtime / n
        return runtime, energy_uj, start

    if config.n is None:
        runtime, _, _ = one(inputs[0], n, samples[0].name)
        progress("calibrated", {"n": n, "runtime_s": runtime})
        client.link.transcript.note(f"calibration: {n} inferences took {runtime:.3f} s")
        if runtime < config.min_window_s:
            n = tuned_n(n, runtime, config.min_window_s)
        client.link.transcript.note(f"N = {n} for windows of >= {config.min_window_s:g} s")
    for k in range(config.windows):
        data = inputs[k % len(inputs)]
        name = samples[k % len(samples)].name
        for redo in range(MAX_WINDOW_REDOS + 1):
            runtime, energy_uj, start = one(data, n, name)
            if runtime >= config.min_window_s:
                break
            if config.n is not None:
                raise ConfigError(f"window {k + 1} lasted {runtime:.3f} s < {config.min_window_s:g} s with fixed "
                                  f"N={n}; raise --n or leave N to the runner")
            client.link.transcript.note(f"window {k + 1} lasted {runtime:.3f} s < {config.min_window_s:g} s; "
                                        "raising N and repeating it")
            n = tuned_n(n, runtime, config.min_window_s)
        else:
            raise DeviceError(f"window {k + 1} stayed under {config.min_window_s:g} s after {MAX_WINDOW_REDOS} "
                              "increases of N; the device's timing is unstable")
        start_s = None if start is None else client.link.transcript.elapsed()
        win = PerfWindow(index=k + 1, file=name, n=n, runtime_s=runtime, energy_uj=energy_uj, start_s=start_s)
        result.windows.append(win)
        if monitor is not None and captures is not None:
            captures.append((n, last_capture))
        progress("window", {"index": k + 1, "of": config.windows, "n": n, "runtime_s": runtime,
                            "throughput": win.throughput,
                            "uj_per_inference": None if energy_uj is None else energy_uj / n})


def _accuracy(config: RunConfig, bench: TinyBenchmark, client: DutClient, samples, result: TinyResult,
              progress: Progress) -> None:
    """``infer 1 0`` on every file; top-1 on normalised outputs, or AUC of mean window scores."""
    chosen = samples[: config.max_files] if config.max_files else samples
    if config.max_files:
        result.notes.append(f"accuracy on the first {len(chosen)} of {len(samples)} files only.")
    labels: list[int] = []
    outputs: list[np.ndarray] = []
    try:
        _classify_files(config, bench, client, chosen, labels, outputs, result, progress)
    finally:
        if labels:
            _score(bench, labels, outputs, result)


def _classify_files(config, bench, client, chosen, labels, outputs, result, progress) -> None:
    for i, sample in enumerate(chosen):
        rows = []
        for payload in dataset.windows_of(bench, sample):
            client.link.transcript.note(f"load {sample.name}")
            client.load(payload)
            timeout = max(config.command_timeout_s, 2.0)
            reply = client.infer(1, 0, timeout=timeout)
            out = np.asarray(reply.results, dtype=np.float64)
            if out.size != bench.n_outputs:
                raise DeviceError(f"{bench.model_id} should print {bench.n_outputs} result(s), the device printed "
                                  f"{out.size}: m-results-{reply.results}")
            if bench.metric == "top1" and out.sum() > 0:
                out = out / out.sum()  # the official runner normalises outputs to sum 1
            rows.append(out)
        outputs.append(np.mean(rows, axis=0))
        labels.append(sample.label)
        result.files = i + 1
        progress("file", {"index": i + 1, "of": len(chosen)})


def _score(bench: TinyBenchmark, labels, outputs, result: TinyResult) -> None:
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels)
    scores = np.asarray(outputs)
    if bench.metric == "top1":
        result.top1 = float(np.mean(scores.argmax(axis=1) == y))
    if len(np.unique(y)) < 2:
        result.auc = None
        return
    if bench.metric == "auc":
        result.auc = float(roc_auc_score(y, scores[:, 0]))
    elif scores.shape[1] == 2:
        result.auc = float(roc_auc_score(y, scores[:, 1]))
    elif len(np.unique(y)) == scores.shape[1]:
        result.auc = float(roc_auc_score(y, scores, multi_class="ovr"))

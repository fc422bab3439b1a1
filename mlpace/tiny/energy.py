"""Energy measurement: the energy-monitor interface, the simulated monitor's client, and
the official per-window computation (energy between the last two timestamp edges / N).

Real monitors implement ``EnergyMonitor`` (``start()`` begins a capture, ``stop()`` returns
its ``Capture``): ``mlpace.tiny.monitors`` has the LPM01A and Joulescope drivers;
``open_monitor`` picks one by name.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mlpace.errors import ConfigError, DeviceError
from mlpace.tiny import protocol as p
from mlpace.tiny.transcript import Transcript


@dataclass
class Capture:
    """Current samples and timestamp edges of one capture, times relative to its start."""

    rate_hz: float
    voltage_v: float
    current_a: np.ndarray
    edges_s: list[float]
    voltage_samples: np.ndarray | None = None  # per-sample volts (Joulescope); else voltage_v throughout


@dataclass(frozen=True)
class WindowEnergy:
    energy_uj: float  # between the last two edges
    time_s: float
    n: int

    @property
    def power_uw(self) -> float:
        return self.energy_uj / self.time_s if self.time_s > 0 else math.nan

    @property
    def uj_per_inference(self) -> float:
        return self.energy_uj / self.n

    @property
    def throughput(self) -> float:
        return self.n / self.time_s if self.time_s > 0 else math.nan


def window_energy(capture: Capture, n: int) -> WindowEnergy:
    """Energy of the samples between the last two timestamp edges, as the official runner does."""
    if len(capture.edges_s) < 2:
        raise DeviceError(
            f"too few timestamps found: the energy monitor saw {len(capture.edges_s)} timestamp edge(s) in the "
            "window, 2 are needed; is the DUT running energy-mode firmware with its timestamp pin wired to the "
            "monitor?"
        )
    t_a, t_b = capture.edges_s[-2], capture.edges_s[-1]
    i_a = math.ceil(t_a * capture.rate_hz - 1e-6)  # edge times are sample indexes / rate: undo float error
    i_b = math.floor(t_b * capture.rate_hz + 1e-6)
    if capture.voltage_samples is not None:
        power = capture.current_a[i_a:i_b] * capture.voltage_samples[i_a:i_b]
        joules = float(np.nansum(power)) / capture.rate_hz
    else:
        joules = float(np.sum(capture.current_a[i_a:i_b])) * capture.voltage_v / capture.rate_hz
    return WindowEnergy(energy_uj=joules * 1e6, time_s=t_b - t_a, n=n)


CAPTURES_FILE = "energy_captures.npz"


def save_captures(path, windows: list[tuple[int, Capture]]) -> None:
    """Keep each window's raw capture (N, samples, edges, rate, voltage) so the session can be
    re-scored from the monitor's samples (``mlpace tiny score``)."""
    arrays: dict[str, np.ndarray] = {}
    for k, (n, cap) in enumerate(windows):
        arrays[f"w{k}_n"] = np.asarray(n)
        arrays[f"w{k}_rate_hz"] = np.asarray(cap.rate_hz)
        arrays[f"w{k}_voltage_v"] = np.asarray(cap.voltage_v)
        arrays[f"w{k}_current_a"] = np.asarray(cap.current_a, dtype=np.float64)
        arrays[f"w{k}_edges_s"] = np.asarray(cap.edges_s, dtype=np.float64)
        if cap.voltage_samples is not None:
            arrays[f"w{k}_voltage_samples"] = np.asarray(cap.voltage_samples, dtype=np.float64)
    np.savez_compressed(path, **arrays)


def load_captures(path) -> list[tuple[int, Capture]]:
    """The windows saved by ``save_captures``, in order."""
    out = []
    with np.load(path) as z:
        k = 0
        while f"w{k}_n" in z:
            vs = z[f"w{k}_voltage_samples"] if f"w{k}_voltage_samples" in z else None
            cap = Capture(rate_hz=float(z[f"w{k}_rate_hz"]), voltage_v=float(z[f"w{k}_voltage_v"]),
                          current_a=z[f"w{k}_current_a"], edges_s=[float(e) for e in z[f"w{k}_edges_s"]],
                          voltage_samples=vs)
            out.append((int(z[f"w{k}_n"]), cap))
            k += 1
    return out


class EnergyMonitor(Protocol):
    voltage_v: float

    def start(self) -> None: ...
    def stop(self) -> Capture: ...
    def close(self) -> None: ...


class SerialMonitor:
    """Client of mlpace's simulated energy monitor (``mlpace tiny simulate --mode energy``)."""

    def __init__(self, port: str, transcript: Transcript, timeout_s: float = 10.0) -> None:
        from mlpace.tiny.link import SerialLink  # pyserial (mlpace[tiny]): only a live monitor needs it

        self.link = SerialLink(port, p.DEFAULT_BAUD, transcript, source="emon")
        self.timeout_s = timeout_s
        self.voltage_v = float(self._field(self._command("voltage"), "m-voltage-mv[")) / 1000.0

    def _command(self, cmd: str) -> list[str]:
        self.link.send(cmd)
        deadline = time.monotonic() + self.timeout_s
        lines: list[str] = []
        while True:
            line = self.link.read_line(deadline, f"'m-ready' from the energy monitor after '{cmd}'")
            if line is None:
                raise DeviceError(f"energy monitor on {self.link.port} did not answer '{cmd}' within "
                                  f"{self.timeout_s:g} s; last lines: {list(self.link.recent)}")
            if line == p.READY:
                break
            err = p.parse_error(line)
            if err is not None:
                raise DeviceError(f"energy monitor on {self.link.port} rejected '{cmd}': {err}")
            lines.append(line)
        return lines

    @staticmethod
    def _field(lines: list[str], prefix: str) -> str:
        for ln in lines:
            if ln.startswith(prefix) and ln.endswith("]"):
                return ln[len(prefix):-1]
        raise DeviceError(f"energy monitor reply lacks '{prefix}...]': {lines}")

    def start(self) -> None:
        self._command("trace on")

    def stop(self) -> Capture:
        lines = self._command("trace off")
        rate = float(self._field(lines, "m-rate-hz["))
        edges_text = self._field(lines, "m-edges-us[")
        edges = [int(e) / 1e6 for e in edges_text.split(",") if e]
        samples = [ln[len("m-samples-ua["):-1] for ln in lines if ln.startswith("m-samples-ua[")]
        ua = np.array([float(v) for chunk in samples for v in chunk.split(",") if v], dtype=np.float64)
        return Capture(rate_hz=rate, voltage_v=self.voltage_v, current_a=ua * 1e-6, edges_s=edges)

    def close(self) -> None:
        self.link.close()


MONITORS = ("mlpace", "lpm01a", "joulescope")


def open_monitor(kind: str, port: str | None, transcript: Transcript, *, voltage_v: float = 3.0,
                 rate_hz: int = 1000, timeout_s: float = 10.0) -> EnergyMonitor:
    """Open the energy monitor ``kind``: ``mlpace`` (the simulator's), ``lpm01a`` (serial
    ``port``) or ``joulescope`` (USB; ``port`` optionally selects a serial number)."""
    if kind == "mlpace":
        if not port:
            raise ConfigError("energy mode needs --monitor-port (the energy monitor's serial port)")
        return SerialMonitor(port, transcript, timeout_s=timeout_s)
    if kind == "lpm01a":
        if not port:
            raise ConfigError("--monitor lpm01a needs --monitor-port (the power shield's serial port, "
                              "e.g. /dev/ttyACM1)")
        from mlpace.tiny.monitors.lpm01a import LPM01AMonitor

        return LPM01AMonitor(port, transcript, voltage_v=voltage_v, rate_hz=rate_hz, timeout_s=timeout_s)
    if kind == "joulescope":
        from mlpace.tiny.monitors.joulescope_monitor import JoulescopeMonitor

        return JoulescopeMonitor(transcript, serial_number=port, rate_hz=rate_hz, timeout_s=timeout_s)
    raise ConfigError(f"--monitor must be one of {', '.join(MONITORS)}, got {kind!r}")

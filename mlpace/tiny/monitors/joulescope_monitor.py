"""Energy monitor driver for the Joulescope JS110 / JS220, through the ``joulescope`` package
(the ``[tiny]`` extra; imported only when this monitor is used).

The device streams current, voltage and its general-purpose input 0 (wired to the DUT's
timestamp pin) into the package's stream buffer; a capture is the span of sample ids
between ``start()`` and ``stop()``, read with ``stream_buffer.samples_get(..., fields=
['current', 'voltage', 'current_lsb'])`` (``current_lsb`` carries GPI0: on the JS110 once
``current_lsb`` is set to ``gpi0``, on the JS220 always). Each falling edge of GPI0 is a
timestamp; energy uses the per-sample voltage, not a nominal one.
"""

from __future__ import annotations

import time

import numpy as np

from mlpace.errors import ConfigError, DeviceError
from mlpace.tiny.energy import Capture
from mlpace.tiny.transcript import Transcript

FIELDS = ["current", "voltage", "current_lsb"]


def _joulescope():
    try:
        import joulescope
    except ImportError:
        raise ConfigError("--monitor joulescope needs the joulescope package: pip install 'mlpace[tiny]'") from None
    return joulescope


class JoulescopeMonitor:
    """``EnergyMonitor`` over the one Joulescope found (or the one with ``serial_number``)."""

    def __init__(self, transcript: Transcript, *, serial_number: str | None = None, rate_hz: int = 1000,
                 timeout_s: float = 10.0, buffer_s: int = 120, device=None) -> None:
        self.transcript = transcript
        self.rate_hz = rate_hz
        self.timeout_s = timeout_s
        if device is None:
            devices = list(_joulescope().scan(config="off"))
            if serial_number:
                devices = [d for d in devices if str(getattr(d, "serial_number", "")) == serial_number
                           or str(d).endswith(serial_number)]
            if len(devices) != 1:
                found = ", ".join(str(d) for d in devices) or "none"
                raise DeviceError(f"expected one Joulescope{' ' + serial_number if serial_number else ''}, found "
                                  f"{found}; plug it in (USB) or pick one with --monitor-port SERIAL")
            device = devices[0]
        self.device = device
        self.name = str(device)
        try:
            device.open()
        except Exception as exc:  # noqa: BLE001 - the package raises plain RuntimeError/IOError
            raise DeviceError(f"cannot open Joulescope {self.name}: {exc}") from None
        self._set("sensor_power", "on", required=False)  # JS110
        self._set("source", "raw", required=False)  # JS110
        self._set("i_range", "auto")
        self._set("current_lsb", "gpi0", required=False)  # JS110: GPI0 into the current LSB
        self._set("buffer_duration", buffer_s, required=False)
        self._set("sampling_frequency", rate_hz)
        self.voltage_v = float("nan")  # measured per sample
        self._start_id: int | None = None
        try:
            device.start()
        except Exception as exc:  # noqa: BLE001
            raise DeviceError(f"Joulescope {self.name} did not start streaming: {exc}") from None
        transcript.add("emon", f"[{self.name} streaming at {rate_hz} Hz, GPI0 = timestamp pin]")

    def _set(self, name: str, value, required: bool = True) -> None:
        try:
            self.device.parameter_set(name, value)
        except (KeyError, ValueError) as exc:
            if required:
                raise DeviceError(f"Joulescope {self.name} refused {name}={value!r}: {exc}") from None

    def _range(self) -> tuple[int, int]:
        start, end = self.device.stream_buffer.sample_id_range
        if start is None or end is None:
            return 0, 0
        return int(start), int(end)

    def start(self) -> None:
        self._start_id = self._range()[1]
        self.transcript.add("emon", f"[capture from sample {self._start_id}]")

    def stop(self) -> Capture:
        if self._start_id is None:
            raise DeviceError("Joulescope: stop() without start()")
        start = self._start_id
        self._start_id = None
        time.sleep(2.0 / self.rate_hz)  # let the last samples arrive
        first, end = self._range()
        if start < first:
            raise DeviceError(f"Joulescope {self.name}: the capture outgrew the stream buffer "
                              f"({(end - start) / self.rate_hz:.1f} s of samples); raise buffer_duration")
        data = self.device.stream_buffer.samples_get(start, end, fields=FIELDS)
        sig = data["signals"]
        current = np.asarray(sig["current"]["value"], dtype=np.float64)
        voltage = np.asarray(sig["voltage"]["value"], dtype=np.float64)
        gpi = np.asarray(sig["current_lsb"]["value"]).astype(np.int8)
        falling = np.flatnonzero((gpi[1:] == 0) & (gpi[:-1] != 0)) + 1
        self.transcript.add("emon", f"[samples {start}..{end}: {len(current)} at {self.rate_hz} Hz, "
                                    f"{len(falling)} GPI0 falling edges]")
        finite = np.isfinite(voltage)
        self.voltage_v = float(np.mean(voltage[finite])) if finite.any() else float("nan")
        return Capture(rate_hz=float(self.rate_hz), voltage_v=self.voltage_v, current_a=current,
                       edges_s=[int(i) / self.rate_hz for i in falling], voltage_samples=voltage)

    def close(self) -> None:
        for op in (self.device.stop, self.device.close):
            try:
                op()
            except Exception:  # noqa: BLE001 - closing a vanished device must not mask the real error
                pass

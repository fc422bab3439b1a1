"""Energy monitor driver for the STM32 LPM01A power shield (X-NUCLEO-LPM01A), over pyserial.

Setup takes host control (``htc``), sets ``ascii_dec`` current output at the sampling rate,
infinite acquisition, software trigger, the D7 falling edge as the event source, the
supply voltage, and powers the DUT. Each capture is one ``start`` .. ``stop`` acquisition:
a reader thread collects the streamed samples and ``event`` lines (their sample index is
the edge time), ``stop`` waits for ``Acquisition completed``. Samples are counted in the
transcript, not copied into it.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from mlpace.errors import DeviceError
from mlpace.tiny.energy import Capture
from mlpace.tiny.link import SerialLink
from mlpace.tiny.monitors import lpm01a_protocol as lp
from mlpace.tiny.transcript import Transcript


class LPM01AMonitor:
    """``EnergyMonitor`` over an LPM01A on ``port``."""

    def __init__(self, port: str, transcript: Transcript, *, voltage_v: float = 3.0, rate_hz: int = 1000,
                 timeout_s: float = 5.0, baud: int = lp.BAUD) -> None:
        mv = int(round(voltage_v * 1000))
        if not lp.VOLT_MIN_MV <= mv <= lp.VOLT_MAX_MV:
            raise DeviceError(f"the LPM01A supplies {lp.VOLT_MIN_MV / 1000}..{lp.VOLT_MAX_MV / 1000} V, "
                              f"not {voltage_v} V")
        if rate_hz > lp.ASCII_MAX_HZ:
            raise DeviceError(f"ascii_dec output is limited to {lp.ASCII_MAX_HZ} Hz on the LPM01A, not {rate_hz}")
        freq = lp.freq_arg(rate_hz)
        self.voltage_v = mv / 1000.0
        self.rate_hz = rate_hz
        self.timeout_s = timeout_s
        self.link = SerialLink(port, baud, transcript, source="emon")
        self.link.quiet = _is_stream_line
        self._samples: list[float] = []
        self._events: list[int] = []
        self._done = threading.Event()
        self._reader: threading.Thread | None = None
        self._error: str | None = None
        for cmd in ("htc", "format ascii_dec", f"freq {freq}", "acqtime 0", "output current", "trigsrc sw",
                    "eventsrc d7 fal", f"volt {mv}m", "pwr on"):
            self.command(cmd)

    # -- commands --------------------------------------------------------------------------
    def command(self, cmd: str, wait_extra: bool = True) -> list[str]:
        """Send one command; return the lines after its ``ack``; raise on ``error``."""
        self.link.send_line(cmd, lp.EOL)
        deadline = time.monotonic() + self.timeout_s
        while True:
            line = self.link.read_line(deadline, f"'ack {cmd}' from the LPM01A")
            if line is None:
                raise DeviceError(f"LPM01A on {self.link.port} did not acknowledge '{cmd}' within "
                                  f"{self.timeout_s:g} s; "
                                  f"last lines: {list(self.link.recent)}; is it the power shield, at {self.link.baud} "
                                  "baud, with its firmware up to date?")
            text = line.replace(lp.PROMPT, "").strip()
            if text == f"ack {cmd}":
                return self._extra_lines() if wait_extra else []
            if text == f"error {cmd}":
                detail = self.link.read_line(time.monotonic() + 1.0, "the error detail") or ""
                raise DeviceError(f"LPM01A on {self.link.port} refused '{cmd}': "
                                  f"{detail.replace('Error detail:', '').strip() or 'no detail'}")

    def _extra_lines(self) -> list[str]:
        out = []
        while True:
            line = self.link.read_line(time.monotonic() + 0.05)
            if line is None or line.startswith(lp.PROMPT):
                return out
            out.append(line)

    # -- EnergyMonitor ------------------------------------------------------------------------
    def start(self) -> None:
        self._samples, self._events = [], []
        self._done.clear()
        self._error = None
        self.command("start", wait_extra=False)  # samples follow the ack at once: the reader takes them
        self._reader = threading.Thread(target=self._read, name="lpm01a-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while not self._done.is_set():
                line = self.link.read_line(time.monotonic() + 0.25)
                if line is None:
                    continue
                text = line.replace(lp.PROMPT, "").strip()
                if text == lp.ACQ_DONE:
                    self._done.set()
                elif lp.EVENT.match(text):
                    self._events.append(len(self._samples))
                elif lp.SAMPLE.fullmatch(text):
                    self._samples.append(lp.decode_ascii_dec(text))
                elif lp.SAMPLE.search(text) and not text.startswith(("ack", "error")):
                    self._samples.extend(lp.decode_ascii_dec(m.group()) for m in lp.SAMPLE.finditer(text))
        except DeviceError as exc:
            self._error = str(exc)
            self._done.set()

    def stop(self) -> Capture:
        if self._reader is None:
            raise DeviceError("LPM01A: stop() without start()")
        self.link.send_line("stop", lp.EOL)
        if not self._done.wait(self.timeout_s + len(self._samples) / max(self.rate_hz, 1) * 0.1):
            self._done.set()
            self._reader.join(1.0)
            raise DeviceError(f"LPM01A on {self.link.port} did not end the acquisition ('{lp.ACQ_DONE}') within "
                              f"{self.timeout_s:g} s of 'stop'")
        self._reader.join(1.0)
        self._reader = None
        if self._error:
            raise DeviceError(f"LPM01A acquisition failed: {self._error}")
        self.link.transcript.add("emon", f"[{len(self._samples)} samples at {self.rate_hz} Hz, "
                                         f"{len(self._events)} events]")
        return Capture(rate_hz=float(self.rate_hz), voltage_v=self.voltage_v,
                       current_a=np.asarray(self._samples, dtype=np.float64),
                       edges_s=[i / self.rate_hz for i in self._events])

    def close(self) -> None:
        try:
            if self._reader is not None:
                self.stop()
            self.command("pwr off")
            self.command("hrc")
        except DeviceError:
            pass
        finally:
            self.link.close()


def _is_stream_line(text: str) -> bool:
    """Sample and TimeStamp lines: counted, not logged one by one."""
    return bool(lp.SAMPLE.fullmatch(text) or lp.TIMESTAMP.match(text))

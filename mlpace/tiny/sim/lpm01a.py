"""A simulated STM32 LPM01A power shield on a pseudo-terminal, speaking its serial protocol
(``mlpace.tiny.monitors.lpm01a_protocol``) over a simulated board's power trace.

Configuration commands are acknowledged as the shield does; after ``start`` the shield
streams one ``ascii_dec`` current sample per line at the configured rate, a ``TimeStamp``
line per second of samples and ``event <k> ris`` at each timestamp edge of the DUT, as far
as the board's (partly virtual) clock has advanced; ``stop`` flushes the samples up to now
and ends with ``Acquisition completed``.
"""

from __future__ import annotations

import math
import os
import pty
import select
import threading
import time
import tty

from mlpace.tiny.monitors import lpm01a_protocol as lp
from mlpace.tiny.sim.power import PowerTrace, VirtualClock

KNOWN = {"htc", "hrc", "lcd", "volt", "freq", "acqtime", "acqmode", "funcmode", "output", "format", "trigsrc",
         "trigdelay", "eventsrc", "currthres", "pwr", "pwrend", "start", "stop", "status", "powershield", "version",
         "range", "temp", "echo", "help", "targrst", "psrst", "autotest", "calib"}


class SimulatedLPM01A:
    """The shield's command handler and sample streamer, served on its own pty."""

    def __init__(self, trace: PowerTrace, clock: VirtualClock, board_id: str = "SIMLPM01A0000") -> None:
        self.trace = trace
        self.clock = clock
        self.board_id = board_id
        self.host_control = False
        self.voltage_mv = 3300
        self.rate_hz = 100
        self.fmt = "ascii_dec"
        self.output = "current"
        self.powered = False
        self.acquiring = False
        self.commands: list[str] = []  # every command line received, for tests
        self._t0_us = 0
        self._emitted = 0  # samples sent in this acquisition
        self._events = 0
        self._stop = threading.Event()
        self._master, slave = pty.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        os.close(slave)
        self._thread = threading.Thread(target=self._serve, name=f"sim-lpm01a {self.port}", daemon=True)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> "SimulatedLPM01A":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        if self._master >= 0:
            os.close(self._master)
            self._master = -1

    # -- commands -------------------------------------------------------------------------------
    def handle(self, line: str) -> list[str]:
        """One command line -> the lines the shield prints."""
        cmd = line.strip()
        self.commands.append(cmd)
        words = cmd.split()
        if not words:
            return []
        head, args = words[0], words[1:]
        if head not in KNOWN:
            return self._error(cmd, "command not recognized")
        if head not in ("htc", "powershield", "version", "help", "echo", "status") and not self.host_control:
            return self._error(cmd, "board in standalone mode: send 'htc' first")
        if self.acquiring and head != "stop":
            return self._error(cmd, "acquisition in progress, send 'stop' first")
        extra: list[str] = []
        if head == "htc":
            self.host_control = True
        elif head == "hrc":
            self.host_control = False
        elif head == "volt":
            if args == ["get"]:
                extra = [f"{self.voltage_mv / 1000:.3f}"]
            else:
                mv = _millivolts(args[0]) if args else None
                if mv is None or not lp.VOLT_MIN_MV <= mv <= lp.VOLT_MAX_MV:
                    return self._error(cmd, f"voltage out of range [{lp.VOLT_MIN_MV}m; {lp.VOLT_MAX_MV}m]")
                self.voltage_mv = mv
        elif head == "freq":
            if not args or args[0] not in lp.FREQS:
                return self._error(cmd, "frequency not in the list")
            if lp.FREQS[args[0]] > lp.ASCII_MAX_HZ and self.fmt == "ascii_dec":
                return self._error(cmd, "ascii_dec format is limited to 10k")
            self.rate_hz = lp.FREQS[args[0]]
        elif head == "format":
            if args != ["ascii_dec"]:
                return self._error(cmd, "only ascii_dec is simulated" if args == ["bin_hexa"] else "unknown format")
            self.fmt = args[0]
        elif head == "output":
            if args != ["current"]:
                return self._error(cmd, "only output current is simulated" if args == ["energy"] else
                                   "unknown output")
            self.output = args[0]
        elif head == "pwr":
            if not args or args[0] not in ("on", "off", "auto", "get"):
                return self._error(cmd, "expected on, off, auto or get")
            if args[0] == "get":
                extra = ["on" if self.powered else "off"]
            else:
                self.powered = args[0] != "off"
        elif head == "start":
            if not self.powered:
                self.powered = True  # pwr auto: the first run powers the target
            self.acquiring = True
            self._t0_us = self.clock.now_us()
            self._emitted = 0
            self._events = 0
        elif head == "stop":
            if not self.acquiring:
                return self._error(cmd, "no acquisition running")
            out = [lp.PROMPT + "ack stop"] + self._samples_until(self.clock.now_us(), final=True)
            self.acquiring = False
            return out + [lp.ACQ_DONE]
        elif head == "powershield":
            extra = [f"PowerShield present {self.board_id}"]
        elif head == "version":
            extra = ["1.0.2"]
        elif head == "status":
            extra = ["ok"]
        return [lp.PROMPT + "ack " + cmd] + extra

    @staticmethod
    def _error(cmd: str, why: str) -> list[str]:
        return [lp.PROMPT + "error " + cmd, f"Error detail: {why}"]

    def _samples_until(self, now_us: int, final: bool = False) -> list[str]:
        """Lines for the whole samples from the last one sent up to ``now_us`` (``final``: the
        sample in progress too, as the shield completes it when the acquisition stops)."""
        period = 1e6 / self.rate_hz
        span = (now_us - self._t0_us) / period
        total = math.ceil(span) if final else int(span)
        if total <= self._emitted:
            return []
        start_us = self._t0_us + self._emitted * period
        end_us = self._t0_us + total * period
        current_ma, edges = self.trace.capture(int(round(start_us)), int(round(end_us)), self.rate_hz)
        edge_at = sorted(int(e // period) for e in edges)  # sample index (in this chunk) of each edge
        out: list[str] = []
        j = 0
        for i, ma in enumerate(current_ma[: total - self._emitted]):
            while j < len(edge_at) and edge_at[j] <= i:
                self._events += 1
                out.append(f"event {self._events} ris")
                j += 1
            k = self._emitted + i
            if k and k % self.rate_hz == 0:
                out.append(lp.timestamp_line(k * 1000 // self.rate_hz))
            out.append(lp.encode_ascii_dec(ma / 1000.0))
        self._emitted = total
        return out

    # -- serving --------------------------------------------------------------------------------
    def _serve(self) -> None:
        buf = b""
        poller = select.poll()
        poller.register(self._master, select.POLLIN)
        while not self._stop.is_set() and self._master >= 0:
            events = poller.poll(10)
            if events and events[0][1] & select.POLLIN:
                try:
                    data = os.read(self._master, 4096)
                except OSError:
                    data = b""
                if not data:
                    time.sleep(0.01)  # no host on the port
                    continue
                buf += data
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    self._write(self.handle(raw.decode("ascii", "replace").rstrip("\r")))
            elif self.acquiring:
                self._write(self._samples_until(self.clock.now_us()))

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        data = memoryview((lp.EOL.join(lines) + lp.EOL).encode("ascii"))
        while data and self._master >= 0:
            try:
                n = os.write(self._master, data)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            except OSError:
                return
            data = data[n:]


def _millivolts(arg: str) -> int | None:
    """``3000m`` / ``3.3`` / ``33-1`` -> millivolts."""
    try:
        if arg.endswith("m"):
            return int(round(float(arg[:-1])))
        if arg.endswith("u"):
            return int(round(float(arg[:-1]) / 1000))
        if len(arg) > 3 and arg[-3] in "+-" and arg[-2:].isdigit():
            return int(round(float(arg[:-3]) * 10 ** int(arg[-3:]) * 1000))
        return int(round(float(arg) * 1000))
    except ValueError:
        return None

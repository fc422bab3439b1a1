"""Expose a command handler on a pseudo-terminal, as a board on a USB-UART port would be.

The server reboots its handler whenever a host opens the port (like the DTR auto-reset of
most development boards), paces bytes at the configured baud rate, answers with noise
when the host's port is set to a different baud rate, and injects the faults of a
``FaultPlan``. It runs in a background thread; ``port`` is the path a host opens.
"""

from __future__ import annotations

import os
import pty
import select
import termios
import threading
import time
import tty
from typing import Protocol

import numpy as np

from mlpace.tiny import protocol as p
from mlpace.tiny.sim.faults import FaultPlan, LineMangler, noise


class Handler(Protocol):
    def boot_lines(self) -> list[str]: ...
    def handle(self, command: str) -> list[str]: ...


_SPEEDS = {getattr(termios, name): int(name[1:]) for name in dir(termios) if name[:1] == "B" and name[1:].isdigit()}


class PtyServer:
    """One simulated serial endpoint (a DUT, an IO manager or an energy monitor)."""

    def __init__(
        self,
        handler: Handler,
        *,
        baud: int = p.DEFAULT_BAUD,
        pace: bool = True,
        faults: FaultPlan | None = None,
        boot_delay_s: float = 0.05,
        on_boot=None,
        check_baud: bool = True,
    ) -> None:
        self.handler = handler
        self.baud = baud
        self.pace = pace
        self.faults = faults or FaultPlan()
        self.boot_delay_s = boot_delay_s
        self.on_boot = on_boot  # called before each (re)boot, e.g. to reset firmware state
        self.check_baud = check_baud
        self._mangler = LineMangler(self.faults)
        self._noise_rng = np.random.default_rng(self.faults.seed + 1)
        self.commands_seen = 0
        self.infers_seen = 0
        self._stop = threading.Event()
        self._master, slave = pty.openpty()
        tty.setraw(slave)  # no echo, no line editing, before anyone reads or writes
        self.port = os.ttyname(slave)
        os.close(slave)  # a host opening the port is then visible as the end of POLLHUP
        self._thread = threading.Thread(target=self._serve, name=f"tiny-sim {self.port}", daemon=True)
        self.unplugged = False

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> "PtyServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._close_master()

    def _close_master(self) -> None:
        if self._master >= 0:
            try:
                os.close(self._master)
            except OSError:
                pass
            self._master = -1

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C in the caller ends it)."""
        while self._thread.is_alive():
            self._thread.join(0.2)

    # -- loop -----------------------------------------------------------------------------
    def _connected(self) -> bool:
        poller = select.poll()
        poller.register(self._master, select.POLLIN | select.POLLHUP)
        events = poller.poll(0)
        return not any(ev & select.POLLHUP for _, ev in events)

    def _serve(self) -> None:
        while not self._stop.is_set() and self._master >= 0:
            if not self._connected():
                time.sleep(0.005)
                continue
            time.sleep(self.boot_delay_s)
            if self.on_boot:
                self.on_boot()
            try:
                banner = self.handler.boot_lines()
                if self._baud_mismatch():
                    self._write(noise(self._noise_rng, sum(len(b) + 2 for b in banner)))
                else:
                    self._emit(banner)
                self._session()
            except OSError:
                pass  # the host closed the port mid-write: wait for the next connection
            if self.unplugged:
                return

    def _session(self) -> None:
        poller = select.poll()
        poller.register(self._master, select.POLLIN | select.POLLHUP)
        buf = b""
        stuck = False
        while not self._stop.is_set():
            events = poller.poll(50)
            if not events:
                continue
            ev = events[0][1]
            if ev & select.POLLIN:
                try:
                    data = os.read(self._master, 4096)
                except OSError:
                    return
                if not data:
                    return
            elif ev & select.POLLHUP:
                return
            else:
                continue
            self._pace(len(data))
            if stuck:
                continue  # a hung firmware reads nothing
            if self._baud_mismatch():
                self._write(noise(self._noise_rng, len(data)))
                continue
            buf += data
            while p.TERMINATOR.encode() in buf:
                raw, buf = buf.split(p.TERMINATOR.encode(), 1)
                command = raw.decode("ascii", "replace")
                self.commands_seen += 1
                if self.faults.unplug_after is not None and self.commands_seen > self.faults.unplug_after:
                    self.unplugged = True
                    self._close_master()
                    return
                if self.faults.hang_after is not None and self.commands_seen > self.faults.hang_after:
                    stuck = True
                    break
                lines = self.handler.handle(command)
                if _is_infer(command):
                    self.infers_seen += 1
                    if self.faults.hang_at_infer == self.infers_seen:
                        cut = next((i for i, ln in enumerate(lines) if "m-infer-start-" in ln), 0)
                        self._emit(lines[: cut + 1])
                        stuck = True
                        break
                self._emit(lines)

    def _baud_mismatch(self) -> bool:
        """True when the host's port speed differs from the board's: each side sees noise."""
        return self.check_baud and self._host_baud() not in (None, self.baud)

    def _host_baud(self) -> int | None:
        try:
            return _SPEEDS.get(termios.tcgetattr(self._master)[4])
        except (termios.error, OSError):
            return None

    # -- output -----------------------------------------------------------------------------
    def _emit(self, lines: list[str]) -> None:
        for line in lines:
            data = (line + p.EOL).encode("ascii", "replace")
            if self.faults.drop_rate or self.faults.garbage_rate:
                data = self._mangler.mangle(data)
            self._write(data)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._master, view)
            self._pace(n)
            view = view[n:]

    def _pace(self, nbytes: int) -> None:
        if self.pace and nbytes:
            time.sleep(nbytes * 10 / self.baud)  # 8N1: ten bit times per byte


def _is_infer(command: str) -> bool:
    words = command.split()
    return bool(words) and (words[0] == "infer" or words[:2] == ["dut", "infer"])

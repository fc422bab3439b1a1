"""The simulated energy monitor's command handler (mlpace's own small text protocol).

A real monitor (LPM01A, Joulescope, N6705) supplies the DUT and samples its current; this
one samples the simulated board's synthetic power trace. Commands: ``name``, ``voltage``,
``rate``, ``trace on``, ``trace off`` (which dumps the edges and samples captured since
``trace on``). Lines follow the ``m-...`` / ``m-ready`` conventions of the DUT protocol.
"""

from __future__ import annotations

from mlpace.tiny import protocol as p
from mlpace.tiny.sim.power import PowerTrace, VirtualClock

SAMPLES_PER_LINE = 256


class MonitorFirmware:
    """Energy-monitor command handler over a board's virtual clock and power trace."""

    def __init__(self, trace: PowerTrace, clock: VirtualClock, voltage_v: float, rate_hz: float = 1000.0):
        self.trace = trace
        self.clock = clock
        self.voltage_v = voltage_v
        self.rate_hz = rate_hz
        self._start: int | None = None

    def boot_lines(self) -> list[str]:
        return []

    def handle(self, command: str) -> list[str]:
        cmd = " ".join(command.split())
        if cmd == "name":
            out = ["m-name-emon-[mlpace simulated energy monitor]"]
        elif cmd == "voltage":
            out = [f"m-voltage-mv[{round(self.voltage_v * 1000)}]"]
        elif cmd == "rate":
            out = [f"m-rate-hz[{self.rate_hz:g}]"]
        elif cmd == "trace on":
            self._start = self.clock.now_us()
            out = ["m-trace[on]"]
        elif cmd == "trace off":
            out = self._dump()
        else:
            out = [f"e-[Unknown command: {cmd}]"]
        return out + [p.READY]

    def _dump(self) -> list[str]:
        if self._start is None:
            return ["e-[trace off: no trace running]"]
        current_ma, edges = self.trace.capture(self._start, self.clock.now_us(), self.rate_hz)
        self._start = None
        out = [f"m-rate-hz[{self.rate_hz:g}]", "m-edges-us[" + ",".join(str(e) for e in edges) + "]"]
        ua = current_ma * 1000.0
        for i in range(0, len(ua), SAMPLES_PER_LINE):
            out.append("m-samples-ua[" + ",".join(f"{v:.3f}" for v in ua[i : i + SAMPLES_PER_LINE]) + "]")
        return out + ["m-trace[off]"]

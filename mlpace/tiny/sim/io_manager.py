"""The simulated IO manager (interface board) that sits between the host and an
energy-mode DUT: it relays ``dut <cmd>`` to the DUT at 9600 baud and prefixes every line
the DUT prints with ``[dut]: ``, as the EEMBC/MLPerf Tiny interface firmware does.
"""

from __future__ import annotations

from mlpace.tiny import protocol as p
from mlpace.tiny.sim.firmware import Firmware

IO_HELP = [
    "help              this text",
    "name              device name",
    "version           firmware version",
    "dut CMD           DUT passthrough",
    "enable-timer      enable timestamp capture",
    "disable-timer     disable timestamp capture",
    "tm 0|1            timestamp mode: 0 falling edge, 1 any change",
]


class IOManager:
    """Interface-board command handler wrapping a simulated DUT."""

    def __init__(self, dut: Firmware, name: str = "mlpace simulated IO manager") -> None:
        self.dut = dut
        self.name = name
        self.timer_enabled = False

    def boot_lines(self) -> list[str]:
        # The IO manager powers the DUT up; the DUT's boot banner arrives relayed.
        return [p.DUT_PREFIX + line for line in self.dut.boot_lines()]

    def handle(self, command: str) -> list[str]:
        words = command.strip().split(maxsplit=1)
        head = words[0] if words else ""
        rest = words[1] if len(words) > 1 else ""
        if head == "dut":
            relayed = [p.DUT_PREFIX + line for line in self.dut.handle(rest)]
            return [f"m-dut-passthrough({rest})", p.READY] + relayed
        if head == "name":
            out = [f"m-name-io-[{self.name}]"]
        elif head == "version":
            out = ["m-version[mlpace-sim 1.0]"]
        elif head == "help":
            out = list(IO_HELP)
        elif head == "enable-timer":
            self.timer_enabled = True
            out = ["m-timer-enabled"]
        elif head == "disable-timer":
            self.timer_enabled = False
            out = ["m-timer-disabled"]
        elif head == "tm":
            out = ["m-timestmp-mode-FALLING" if rest.strip() == "0" else "m-timestmp-mode-CHANGE",
                   "m-[Timer disabled after mode change]"]
            self.timer_enabled = False
        elif not head:
            out = []
        else:
            out = [f"e-[Unknown command: {command.strip()}]"]
        return out + [p.READY]

"""The simulated DUT firmware: the device side of the MLPerf Tiny protocol as a state machine.

``Firmware.handle(command)`` takes one command (without the ``%``) and returns the lines
the device prints, ending with ``m-ready``, exactly as the reference firmware's command
parser does. It runs a real model on the loaded tensor; time comes from the cost model
on a virtual clock, and in energy mode timestamps become GPIO edges on a power trace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlpace.tiny import protocol as p
from mlpace.tiny.sim.cost import CostModel
from mlpace.tiny.sim.power import PowerTrace, VirtualClock

Model = Callable[[bytes], Sequence[float]]

HELP_LINES = [
    p.PROFILE_TEXT,
    "",
    "help         : Print this information",
    "name         : Print the name of the device",
    "timestamp    : Generate a timestamp",
    "db SUBCMD    : Manipulate a generic byte buffer",
    "  load N     : Allocate N bytes and set load counter",
    "  db HH[HH]* : Load 8-bit hex byte(s) until N bytes",
    "  print [N=16] [offset=0]",
    "             : Print N bytes at offset as hex",
    "infer N [W=10]: Load input, execute N inferences after W warmup loops",
    "results      : Return the result fp32 vector",
]


class Firmware:
    """Device-side protocol handler for one benchmark model."""

    def __init__(
        self,
        model: Model,
        model_id: str,
        cost: CostModel,
        *,
        mode: str = p.MODE_PERFORMANCE,
        vendor: str = "mlpace simulated DUT",
        clock: VirtualClock | None = None,
        trace: PowerTrace | None = None,
        seed: int = 0,
        counter_start_us: int = 0,
    ) -> None:
        if mode not in p.TIMESTAMP_MODES:
            raise ValueError(f"mode must be one of {p.TIMESTAMP_MODES}, got {mode!r}")
        self.model = model
        self.model_id = model_id
        self.cost = cost
        self.mode = mode
        self.vendor = vendor
        self.clock = clock or VirtualClock()
        self.trace = trace or PowerTrace(cost.idle_ma)
        self._rng = np.random.default_rng(seed)
        self.buffer = bytearray()
        self.expected = 0
        self.last_results: list[float] = []
        self.infer_count = 0
        # th_timestamp prints an unsigned 32-bit counter: it reads counter_start_us at the first
        # boot (the host's first connection) and wraps at 2**32
        self.counter_start_us = int(counter_start_us) % p.COUNTER_MODULUS
        self._counter_base: int | None = None

    # -- boot ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Power-on state: empty tensor buffer, no results (the clock keeps running)."""
        self.buffer = bytearray()
        self.expected = 0
        self.last_results = []

    def boot_lines(self) -> list[str]:
        """What the firmware prints after reset (th_timestamp_initialize .. th_final_initialize)."""
        now = self.clock.now_us()
        if self._counter_base is None:
            self._counter_base = self.counter_start_us - now
        lines = [f"m-timestamp-mode-{self.mode}"]
        lines += self._timestamp(now)
        return lines + ["m-init-done", p.READY]

    def _timestamp(self, t: int | None = None) -> list[str]:
        """th_timestamp: print ``m-lap-us-`` (performance) or pulse the GPIO pin (energy)."""
        t = self.clock.now_us() if t is None else t
        if self.mode == p.MODE_ENERGY:
            self.trace.edge(t)
            return []
        base = self.counter_start_us if self._counter_base is None else self._counter_base
        return [f"m-lap-us-{(base + t) % p.COUNTER_MODULUS}"]

    # -- commands -----------------------------------------------------------------------
    def handle(self, command: str) -> list[str]:
        """Run one command; return the printed lines, always ending with ``m-ready``."""
        return self._dispatch(command.strip()) + [p.READY]

    def _dispatch(self, command: str) -> list[str]:
        if len(command) > p.MAX_COMMAND_CHARS:
            return [f"e-[Command too long: {len(command)} > {p.MAX_COMMAND_CHARS} characters]"]
        words = command.split()
        if not words:
            return []
        head, args = words[0], words[1:]
        if head == "name":
            return [f"m-name-dut-[{self.vendor}]"]
        if head == "profile":
            return [f"m-profile-[{p.PROFILE_TEXT}]", f"m-model-[{self.model_id}]"]
        if head == "help":
            return list(HELP_LINES)
        if head == "timestamp":
            return self._timestamp()
        if head == "db":
            return self._db(args)
        if head == "infer":
            return self._infer(args)
        if head == "results":
            return [p.format_results(self.last_results)]
        return [f"e-[Unknown command: {command}]"]

    def _db(self, args: list[str]) -> list[str]:
        if not args:
            return ["e-[db: missing subcommand]"]
        if args[0] == "load":
            if len(args) != 2 or not args[1].isdigit():
                return ["e-[db load: expected one byte count]"]
            n = int(args[1])
            if not 0 < n <= p.MAX_DB_BYTES:
                return [f"e-[db load: {n} bytes is outside 1..{p.MAX_DB_BYTES}]"]
            self.expected = n
            self.buffer = bytearray()
            return [f"m-[Expecting {n} bytes]"]
        if args[0] == "print":
            return self._db_print(args[1:])
        hexes = "".join(args)
        if len(hexes) % 2:
            return ["e-[db: odd number of hex digits]"]
        try:
            data = bytes.fromhex(hexes)
        except ValueError:
            return ["e-[db: invalid hex digits]"]
        if not self.expected:
            return ["e-[db: no 'db load N' before data]"]
        room = self.expected - len(self.buffer)
        self.buffer += data[:room]  # surplus hex is ignored
        return ["m-load-done"] if len(self.buffer) == self.expected else []

    def _db_print(self, args: list[str]) -> list[str]:
        try:
            n = int(args[0]) if args else 16
            off = int(args[1]) if len(args) > 1 else 0
        except ValueError:
            return ["e-[db print: expected N and offset as integers]"]
        chunk = bytes(self.buffer[off : off + n])
        return ["m-buffer-" + "-".join(f"{b:02x}" for b in chunk[i : i + 8]) for i in range(0, len(chunk), 8)]

    def _infer(self, args: list[str]) -> list[str]:
        try:
            n = int(args[0]) if args else 1
            w = int(args[1]) if len(args) > 1 else 10
        except ValueError:
            return [f"e-[infer: expected integers N and W, got {' '.join(args)!r}]"]
        if n < 1 or w < 0:
            return ["e-[infer: N must be >= 1 and W >= 0]"]
        if not self.expected or len(self.buffer) != self.expected:
            return [f"e-[infer: input tensor not loaded ({len(self.buffer)} of {self.expected} bytes)]"]
        self.infer_count += 1
        out = [f"m-warmup-start-{w}"]
        # th_load_tensor + one real inference: results do not depend on the repeat count,
        # so the model runs once and the cost model supplies the time of all W + N.
        results = list(self.model(bytes(self.buffer)))
        self._run(w)
        out += ["m-warmup-done", f"m-infer-start-{n}"]
        t_a = self.clock.now_us()
        out += self._timestamp(t_a)
        t_b = t_a + self._run(n, start=t_a)
        out += self._timestamp(t_b)
        self.last_results = results
        out += ["m-infer-done", p.format_results(results)]
        return out

    def _run(self, n: int, start: int | None = None) -> int:
        """``n`` inferences of virtual time at active current; the clock jumps past them."""
        dt = self.cost.batch_us(n, self._rng)
        start = self.clock.now_us() if start is None else start
        self.trace.active(start, start + dt, self.cost.active_ma)
        self.clock.advance(dt)
        return dt

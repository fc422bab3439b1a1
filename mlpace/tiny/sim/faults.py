"""Fault injection for the simulated board: what a bad cable, a wrong baud rate or a
crashed firmware looks like from the host side.

All randomness is seeded, so a fault plan reproduces the same bytes on every run.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class FaultPlan(BaseModel):
    """Which faults the simulated board injects (all off by default)."""

    model_config = ConfigDict(extra="forbid")

    drop_rate: float = Field(default=0.0, ge=0, le=1, description="probability each output byte is lost")
    garbage_rate: float = Field(default=0.0, ge=0, le=1, description="probability an output line is replaced by noise")
    hang_after: int | None = Field(default=None, ge=0, description="stop answering after this many commands")
    hang_at_infer: int | None = Field(default=None, ge=1, description="the k-th infer never finishes")
    unplug_after: int | None = Field(default=None, ge=0, description="drop off the bus after this many commands")
    seed: int = 0

    def any(self) -> bool:
        return bool(self.drop_rate or self.garbage_rate) or any(
            v is not None for v in (self.hang_after, self.hang_at_infer, self.unplug_after)
        )


class LineMangler:
    """Applies a plan's byte-level faults to outgoing lines."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._rng = np.random.default_rng(plan.seed)  # three draws per line, whatever its length,
        self._noise = np.random.default_rng(plan.seed + 7)  # so the faulty lines do not depend on timing
        self.mangled = 0  # lines changed so far

    def mangle(self, data: bytes) -> bytes:
        garbage, drop, where = self._rng.random(3)
        original = data
        if garbage < self.plan.garbage_rate:
            data = noise(self._noise, max(4, len(data) - 2)) + b"\r\n"
        elif drop < 1.0 - (1.0 - self.plan.drop_rate) ** len(data):
            i = int(where * len(data))  # one byte lost somewhere in the line
            data = data[:i] + data[i + 1 :]
        self.mangled += data != original
        return data


def noise(rng: np.random.Generator, n: int) -> bytes:
    """Bytes like those a UART receiver produces at the wrong baud rate (no line ends)."""
    raw = rng.integers(0x80, 0x100, n, dtype=np.uint8)
    raw[rng.random(n) < 0.3] = rng.integers(0x21, 0x7F, dtype=np.uint8)
    return raw.tobytes()

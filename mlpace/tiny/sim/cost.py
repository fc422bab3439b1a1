"""The simulated device's cost model: how long one inference takes and what it draws.

Inference time is ``fixed_us + macs / macs_per_s`` with optional seeded Gaussian jitter;
current is ``active_ma`` while inferring and ``idle_ma`` otherwise, at ``voltage_v``. The
expected throughput and energy per inference follow directly, which is what the runner's
measurements are checked against.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class CostModel(BaseModel):
    """Deterministic inference cost of a simulated board (plus optional seeded jitter)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    macs: float = Field(gt=0, description="multiply-accumulates per inference")
    macs_per_s: float = Field(default=50e6, gt=0, description="sustained MAC rate of the MCU")
    fixed_us: float = Field(default=200.0, ge=0, description="per-inference overhead")
    jitter: float = Field(default=0.0, ge=0, lt=0.5, description="relative std-dev per inference")
    voltage_v: float = Field(default=3.0, gt=0)
    active_ma: float = Field(default=10.0, ge=0)
    idle_ma: float = Field(default=1.0, ge=0)

    @property
    def inference_us(self) -> float:
        """Mean time of one inference in microseconds."""
        return self.fixed_us + self.macs / self.macs_per_s * 1e6

    @property
    def throughput(self) -> float:
        """Expected inferences per second."""
        return 1e6 / self.inference_us

    @property
    def energy_uj(self) -> float:
        """Expected energy of one inference in microjoules (V * mA * us / 1000)."""
        return self.voltage_v * self.active_ma * self.inference_us / 1000.0

    def batch_us(self, n: int, rng: np.random.Generator) -> int:
        """Duration of ``n`` back-to-back inferences, jitter drawn from ``rng`` (sum of n draws)."""
        if n <= 0:
            return 0
        mean = n * self.inference_us
        if self.jitter:
            mean += self.inference_us * self.jitter * math.sqrt(n) * float(rng.standard_normal())
        return max(1, int(round(mean)))

"""Virtual time and the synthetic power trace of a simulated board.

``VirtualClock`` is wall time plus the virtual time the cost model has added, so idle and
serial-transfer periods are real and inference periods are virtual. ``PowerTrace`` records
timestamp edges and active-current intervals on that clock and turns any span of it into
current samples as an energy monitor would see them.
"""

from __future__ import annotations

import threading
import time

import numpy as np


class VirtualClock:
    """Monotonic microsecond clock: real elapsed time plus advanced (virtual) time."""

    def __init__(self) -> None:
        self._t0 = time.monotonic()
        self._offset_us = 0
        self._last = 0
        self._lock = threading.Lock()

    def now_us(self) -> int:
        with self._lock:
            t = int((time.monotonic() - self._t0) * 1e6) + self._offset_us
            self._last = max(self._last, t)
            return self._last

    def advance(self, dt_us: int) -> int:
        """Let ``dt_us`` of virtual time pass instantly; return the new time."""
        with self._lock:
            self._offset_us += int(dt_us)
            self._last += int(dt_us)
            t = int((time.monotonic() - self._t0) * 1e6) + self._offset_us
            self._last = max(self._last, t)
            return self._last


class PowerTrace:
    """Edges and active intervals on a virtual clock, sampled like a current monitor."""

    def __init__(self, idle_ma: float, noise_ma: float = 0.0, seed: int = 0) -> None:
        self.idle_ma = idle_ma
        self.noise_ma = noise_ma
        self.edges_us: list[int] = []
        self.segments: list[tuple[int, int, float]] = []  # (start_us, end_us, current_ma)
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()

    def edge(self, t_us: int) -> None:
        """A falling edge on the timestamp pin (held low >= 1 us) at ``t_us``."""
        with self._lock:
            self.edges_us.append(int(t_us))

    def active(self, start_us: int, end_us: int, current_ma: float) -> None:
        with self._lock:
            if end_us > start_us:
                self.segments.append((int(start_us), int(end_us), float(current_ma)))

    def capture(self, start_us: int, end_us: int, rate_hz: float) -> tuple[np.ndarray, list[int]]:
        """Current samples (mA, one per ``1/rate_hz``, each the mean over its period) and the
        edges in ``[start_us, end_us)``, as microseconds relative to ``start_us``."""
        period = 1e6 / rate_hz
        n = max(0, int((end_us - start_us) // period))
        lo = start_us + np.arange(n) * period
        hi = lo + period
        charge = np.full(n, self.idle_ma * period)  # mA * us per sample
        with self._lock:
            segments = [s for s in self.segments if s[1] > start_us and s[0] < end_us]
            edges = [e - start_us for e in self.edges_us if start_us <= e < end_us]
        for s0, s1, ma in segments:
            overlap = np.clip(np.minimum(hi, s1) - np.maximum(lo, s0), 0.0, None)
            charge += overlap * (ma - self.idle_ma)
        current = charge / period
        if self.noise_ma and n:
            current = current + self._rng.normal(0.0, self.noise_ma, n)
        return current, edges

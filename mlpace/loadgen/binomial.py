"""The binomial tail that early stopping needs, with numpy and ``math`` only (no scipy).

``cdf(t, n, r)`` = P(X <= t) for X ~ Binomial(n, r): the odds of at most ``t``
over-latency queries among ``n``, each over with probability ``r``. It equals the
regularised incomplete beta ``I_{1-r}(n - t, t + 1)`` the official LoadGen evaluates.

Method: the probability of the boundary count, ``log pmf(t)`` in deviance form,
then the terms of whichever tail does not hold the mode, walked away from the
boundary as products of the exact ratio of neighbouring terms (vectorised, relative
to the boundary term) until they no longer change the sum in float64. Keeping this
in the core spares every LoadGen user scipy's ~140 MB.
"""

from __future__ import annotations

import math

import numpy as np

_CHUNK = 64
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _stirling_error(m: int) -> float:
    """lgamma(m + 1) - (m + 1/2) log m + m - log(2 pi) / 2, accurate for large m too."""
    if m < 16:
        return math.lgamma(m + 1) - (m + 0.5) * math.log(m) + m - _HALF_LOG_2PI
    inv = 1.0 / m
    inv2 = inv * inv
    return inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))


def _log_pmf(k: int, n: int, r: float) -> float:
    """log P(X = k), X ~ Binomial(n, r), without the cancellation of lgamma differences.

    The deviance form (as in Loader's algorithm): the two ``log1p`` terms are small
    where the lgamma terms would be ~n log n, so no precision is lost for large n.
    """
    q = 1.0 - r
    if k == 0:
        return n * math.log1p(-r)
    if k == n:
        return n * math.log(r)
    nr, nq = n * r, n * q
    deviance = k * math.log1p((k - nr) / nr) + (n - k) * math.log1p((nr - k) / nq)
    return (_stirling_error(n) - _stirling_error(k) - _stirling_error(n - k) - deviance
            + 0.5 * math.log(n / (2 * math.pi * k * (n - k))))


def _ratios(k: np.ndarray, n: int, step: int, rq: float) -> np.ndarray:
    """pmf(k + step) / pmf(k) for each k (step -1 or +1); ``rq`` = r / q."""
    if step < 0:
        return k / ((n - k + 1) * rq)
    return (n - k) * rq / (k + 1)


def _tail_sum(start: int, stop: int, step: int, n: int, r: float) -> float:
    """Sum of pmf(k) for k = start, start+step, ... up to ``stop`` (inclusive).

    Terms are kept relative to pmf(start) (products of the exact neighbour ratios,
    all below 1 in a tail without the mode), in chunks of about 8 sigma.
    """
    rq = r / (1.0 - r)
    total = 0.0
    scale = 1.0
    k0 = start
    chunk = _CHUNK + int(8 * math.sqrt(n * r * (1.0 - r)))
    while True:
        end = k0 + step * chunk
        k = np.arange(k0, max(end, stop - 1) if step < 0 else min(end, stop + 1), step, dtype=np.float64)
        ratio = _ratios(k, n, step, rq)
        rel = np.empty_like(k)
        rel[0] = scale
        np.cumprod(ratio[:-1], out=rel[1:])
        rel[1:] *= scale
        total += float(rel.sum())
        if k[-1] == stop or rel[-1] <= total * 1e-17:
            break
        scale = float(rel[-1] * ratio[-1])
        k0 = int(k[-1]) + step
        chunk *= 4
    return math.exp(_log_pmf(start, n, r)) * total


def cdf(t: int, n: int, r: float) -> float:
    """P(X <= t) for X ~ Binomial(n, r), 0 < r < 1."""
    if t < 0:
        return 0.0
    if t >= n:
        return 1.0
    if t < n * r:  # lower tail: walk down from t
        return min(1.0, _tail_sum(t, 0, -1, n, r))
    upper = _tail_sum(t + 1, n, 1, n, r)
    return max(0.0, 1.0 - upper)


__all__ = ["cdf"]

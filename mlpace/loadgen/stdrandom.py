"""The C++ standard library's random numbers, as the official LoadGen draws them, in numpy.

The official LoadGen (6.0.17, built with GCC 14 / libstdc++) makes every random
choice with ``std::mt19937`` seeded from the conf seeds and four libstdc++
algorithms. This module reproduces them bit for bit, vectorised:

* ``std::mt19937(seed)``: the engine is numpy's ``MT19937`` with the state the
  C++ seeding routine builds from ``seed mod 2**32`` (``init_genrand``); its
  ``random_raw`` words are the C++ engine's 32-bit outputs.
* ``std::uniform_int_distribution`` on ``[0, n)`` with a 32-bit engine:
  Lemire's multiply-and-reject (``product = word * n``; a word is rejected
  while the low 32 bits are below ``2**32 mod n``; the value is the high half).
* ``std::shuffle``: when ``n * n`` fits in the engine's range, libstdc++ draws
  the swap positions of two successive elements from one word
  (``x`` uniform on ``[0, (i+1)(i+2))`` gives ``x // (i+2)`` and ``x % (i+2)``),
  after a single ``{0, 1}`` draw when ``n`` is even; otherwise one draw per element.
* ``std::generate_canonical<double, 53>`` (behind ``uniform_real_distribution``
  and ``exponential_distribution``): two words, ``(w0 + w1 * 2**32) / 2**64`` in
  double arithmetic, with a result of 1.0 replaced by the largest double below 1.
* ``std::exponential_distribution(lambda)``: ``-log(1 - u) / lambda``.

A ``Stream`` hands out the engine's words in order and lets a vectorised
rejection sampler look ahead without consuming, so draws interleave exactly as
the C++ calls do.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

_MASK32 = np.uint64(0xFFFFFFFF)
_TWO32 = 1 << 32
_BELOW_ONE = float(np.nextafter(1.0, 0.0))


@lru_cache(maxsize=64)
def _init_genrand(seed: int) -> np.ndarray:
    """The 624-word state ``std::mt19937(seed)`` starts from (``seed`` taken mod 2**32)."""
    key = np.empty(624, dtype=np.uint32)
    x = int(seed) % _TWO32
    key[0] = x
    for i in range(1, 624):
        x = (1812433253 * (x ^ (x >> 30)) + i) & 0xFFFFFFFF
        key[i] = x
    return key


class Stream:
    """The 32-bit outputs of one ``std::mt19937``, consumed in order (held as uint64)."""

    def __init__(self, seed: int) -> None:
        self._bitgen = np.random.MT19937()
        self._bitgen.state = {"bit_generator": "MT19937",
                              "state": {"key": _init_genrand(int(seed) % _TWO32).copy(), "pos": 624}}
        self._buf = np.empty(0, dtype=np.uint64)
        self._pos = 0
        self.consumed = 0  # words handed out so far (for tests and diagnostics)

    def peek(self, n: int) -> np.ndarray:
        """The next ``n`` words, without consuming them."""
        have = len(self._buf) - self._pos
        if have < n:
            more = self._bitgen.random_raw(max(n - have, 1024))
            self._buf = np.concatenate([self._buf[self._pos:], more])
            self._pos = 0
        return self._buf[self._pos:self._pos + n]

    def skip(self, n: int) -> None:
        """Consume ``n`` words (after a ``peek`` of at least ``n``)."""
        self._pos += n
        self.consumed += n

    def take(self, n: int) -> np.ndarray:
        out = self.peek(n).copy()
        self.skip(n)
        return out


# --------------------------------------------------------------------------- integers
def uniform_below(stream: Stream, ranges) -> np.ndarray:
    """One ``uniform_int_distribution`` draw on ``[0, r)`` per entry of ``ranges``, in order.

    ``ranges`` is an int array (each 1 <= r <= 2**32) or ``(count, r)`` for a
    constant range. Returns int64 values.
    """
    if isinstance(ranges, tuple):
        count, r = ranges
        if not 1 <= r <= _TWO32:
            raise ValueError(f"range {r} outside [1, 2**32]")
        ranges = None
        const = np.uint64(r)
        thr_const = np.uint64(_TWO32 % r)
        p = (_TWO32 % r) / _TWO32
    else:
        ranges = np.asarray(ranges, dtype=np.uint64)
        count = len(ranges)
        if count and (ranges.min() < 1 or int(ranges.max()) > _TWO32):
            raise ValueError("ranges must lie in [1, 2**32]")
        thresholds = np.uint64(_TWO32) % ranges
    out = np.empty(count, dtype=np.int64)
    k = 0
    while k < count:
        if ranges is None:
            window = count - k if p == 0 else int(min(count - k, max(64, 4.0 / p)))
            rng_k = const
            thr_k = thr_const
        else:
            pk = float(thresholds[k]) / _TWO32
            window = count - k if pk == 0 else int(min(count - k, max(64, 4.0 / pk)))
            rng_k = ranges[k:k + window]
            thr_k = thresholds[k:k + window]
        words = stream.peek(window)
        product = words * rng_k
        rejected = (product & _MASK32) < thr_k
        if rejected.any():
            j = int(np.argmax(rejected))
            out[k:k + j] = (product[:j] >> np.uint64(32)).astype(np.int64)
            stream.skip(j + 1)  # the rejected word is spent; entry k + j draws again
            k += j
        else:
            out[k:k + window] = (product >> np.uint64(32)).astype(np.int64)
            stream.skip(window)
            k += window
    return out


def shuffle(stream: Stream, values) -> np.ndarray:
    """``std::shuffle(values, engine)`` as libstdc++ does it; returns the shuffled copy."""
    arr = np.array(values, copy=True)
    n = len(arr)
    if n < 2:
        return arr
    a = arr.tolist()
    if (_TWO32 - 1) // n >= n:
        # pairs: element i and i+1 get their swap positions from one draw
        start = 1
        first = None
        if n % 2 == 0:
            first = int(uniform_below(stream, (1, 2))[0])
            start = 2
        i = np.arange(start, n, 2, dtype=np.uint64)
        draws = uniform_below(stream, (i + 1) * (i + 2)) if len(i) else np.empty(0, np.int64)
        if first is not None:
            a[1], a[first] = a[first], a[1]
        b1 = (i + 2).astype(np.int64)
        pos1 = (draws // b1).tolist()
        pos2 = (draws % b1).tolist()
        for k, p1, p2 in zip(range(start, n, 2), pos1, pos2):
            a[k], a[p1] = a[p1], a[k]
            a[k + 1], a[p2] = a[p2], a[k + 1]
    else:
        pos = uniform_below(stream, np.arange(2, n + 1, dtype=np.uint64)).tolist()
        for k, p in zip(range(1, n), pos):
            a[k], a[p] = a[p], a[k]
    return np.array(a, dtype=arr.dtype)


# --------------------------------------------------------------------------- reals
def canonical(stream: Stream, count: int) -> np.ndarray:
    """``count`` draws of ``generate_canonical<double, 53>`` (two words each)."""
    w = stream.take(2 * count).reshape(count, 2).astype(np.float64)
    u = (w[:, 0] + w[:, 1] * 4294967296.0) / 18446744073709551616.0
    u[u >= 1.0] = _BELOW_ONE
    return u


def exponential(stream: Stream, count: int, rate: float) -> np.ndarray:
    """``count`` draws of ``std::exponential_distribution<double>(rate)``."""
    x = 1.0 - canonical(stream, count)
    with np.errstate(divide="ignore"):
        logs = np.log(x)
    # numpy's vector log may differ from libm's in the last bit: redo with libm
    # (math.log) wherever that bit could move a truncated nanosecond count
    gaps = -logs / rate
    ns = gaps * 1e9
    frac = ns - np.floor(ns)
    tol = 1e-6 + np.abs(ns) * 1e-14  # far more than a last-bit change of the log can move
    close = np.flatnonzero((frac < tol) | (frac > 1 - tol))
    for j in close.tolist():
        gaps[j] = -math.log(x[j]) / rate
    return gaps


def seconds_to_ns(seconds: np.ndarray) -> np.ndarray:
    """``duration_cast<nanoseconds>(duration<double>(s))``: ``s * 1e9`` truncated toward zero."""
    return np.trunc(np.asarray(seconds, dtype=np.float64) * 1e9).astype(np.int64)

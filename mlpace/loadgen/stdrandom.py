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
    arr = np.asarray(values)
    if len(arr) < 2:
        return arr.copy()
    return apply_swaps(arr, shuffle_swaps(stream, len(arr))[0])


def shuffle_swaps(stream: Stream, n: int, repeats: int = 1) -> np.ndarray:
    """The swap positions of ``repeats`` successive ``std::shuffle`` calls on ``n`` elements.

    Row ``r``, column ``k`` (1 <= k < n): the position step ``k`` of shuffle ``r`` swaps
    with. When ``n * n`` fits in the engine's range, libstdc++ draws the positions of
    elements ``i`` and ``i+1`` from one value ``x`` on ``[0, (i+1)(i+2))``
    (``x // (i+2)``, ``x % (i+2)``), after one ``{0, 1}`` draw when ``n`` is even;
    otherwise one draw on ``[0, k]`` per step. The ranges do not depend on the
    values shuffled, so all the draws are one vectorised call.
    """
    swaps = np.zeros((repeats, n), dtype=np.int64)
    if n < 2 or repeats == 0:
        return swaps
    if (_TWO32 - 1) // n >= n:
        start = 2 if n % 2 == 0 else 1
        i = np.arange(start, n, 2, dtype=np.uint64)
        ranges = (i + 1) * (i + 2)
        if start == 2:
            ranges = np.concatenate([np.array([2], dtype=np.uint64), ranges])
        draws = uniform_below(stream, np.tile(ranges, repeats)).reshape(repeats, len(ranges))
        if start == 2:
            swaps[:, 1] = draws[:, 0]
            draws = draws[:, 1:]
        b1 = (i + 2).astype(np.int64)
        swaps[:, start::2] = draws // b1
        swaps[:, start + 1::2] = draws % b1
    else:
        swaps[:, 1:] = uniform_below(stream, np.tile(np.arange(2, n + 1, dtype=np.uint64),
                                                     repeats)).reshape(repeats, n - 1)
    return swaps


def apply_swaps(values: np.ndarray, swap_with: np.ndarray) -> np.ndarray:
    """The array after ``for k in 1..n-1: swap(a[k], a[swap_with[k]])`` (``swap_with[k] <= k``).

    Vectorised by following elements instead of steps. Position ``k`` is untouched
    before step ``k``, so step ``k`` puts the original ``a[k]`` at ``swap_with[k]`` and
    moves whatever sits at ``swap_with[k]`` to ``k``. An element therefore jumps, from
    position ``p`` reached at step ``t``, to ``k`` = the next step after ``t`` that picks
    ``p``; once it has jumped to ``k`` (``t == k``) that is the first step after ``k``
    picking ``k``, a table lookup. All elements jump at once until none moves
    (about ``ln n`` rounds).
    """
    n = len(values)
    if n <= 8192:  # small: the plain loop is faster than the set-up below
        out = values.tolist()
        for k, p in zip(range(1, n), swap_with[1:].tolist()):
            out[k], out[p] = out[p], out[k]
        return np.array(out, dtype=values.dtype)
    picked = np.asarray(swap_with, dtype=np.int64)[1:]
    steps = np.arange(1, n, dtype=np.int64)
    keys = picked * n + steps  # (picked position, step)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    last = len(sorted_keys) - 1

    def following(index: np.ndarray, position: np.ndarray) -> np.ndarray:
        """The step of sorted key ``index`` if it still picks ``position``, else -1."""
        cand = sorted_keys[np.minimum(index, last)]
        return np.where((index <= last) & (cand // n == position), cand % n, -1)

    # first step after p that picks p, for every position p
    after_self = following(np.searchsorted(sorted_keys, np.arange(n, dtype=np.int64) * (n + 1),
                                           side="right"), np.arange(n, dtype=np.int64))
    # where each element lands first, and its next jump: element k >= 1 is placed at
    # picked[k-1] by step k (the next step picking that position follows its key);
    # element 0 waits at 0
    rank = np.empty(n - 1, dtype=np.int64)
    rank[order] = np.arange(n - 1, dtype=np.int64)
    pos = np.concatenate([[0], picked])
    jump = np.concatenate([[after_self[0]], following(rank + 1, picked)])
    active = np.flatnonzero(jump >= 0)
    while active.size:
        pos[active] = jump[active]
        jump_next = after_self[pos[active]]
        active = active[jump_next >= 0]
        jump[active] = jump_next[jump_next >= 0]
    out = np.empty_like(values)
    out[pos] = values
    return out


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

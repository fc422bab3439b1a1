"""Early stopping: how many queries a latency-bound run needs, as pure functions of counts.

MLPerf's early-stopping criterion asks, at confidence ``c`` (0.99) and tolerance ``d``
(0): with ``t`` queries over the latency bound, how many under-bound queries ``h``
make it unlikely (``odds < 1 - c``) that the true percentile ``p`` is missed?
``odds(h, t, p, d)`` is the binomial CDF written as a regularised incomplete beta
function, ``I_{p-d}(h, 1 + t)``, computed as that binomial tail by ``binomial.py``.

The official LoadGen searches ``h`` by bisection inside a bracket predicted from
earlier answers (a straight line through the previous two ``(t, h)`` points, or a
cold bracket from ``ceil(log(1-c)/log(p-d))`` when there are none), and returns the
bracket's end when the answer falls outside it. The numbers it prints come from
that procedure, so this module reproduces it step for step:

* :func:`find_min_passing` is the cold search (what a Server verdict uses);
* stream verdicts (SingleStream / MultiStream) walk ``t = 1, 2, ...`` with the
  warm bracket, memoised per ``(p, d, c)`` so repeated verdicts are cheap.

Nothing here looks at latencies: callers sort their own arrays and use the index
returned in :class:`StreamEarlyStopping`.
"""

from __future__ import annotations

import bisect
import math
import threading
from dataclasses import dataclass

from mlpace.loadgen import binomial

DEFAULT_CONFIDENCE = 0.99
DEFAULT_TOLERANCE = 0.0


def odds(h: int, t: int, p: float, d: float = DEFAULT_TOLERANCE) -> float:
    """Probability of at most ``t`` over-latency queries among ``h + t`` (``I_{p-d}(h, 1+t)``)."""
    return binomial.cdf(t, h + t, 1.0 - (p - d))


def _check(p: float, d: float, c: float) -> None:
    if not 0.0 < p - d < 1.0:
        raise ValueError(f"percentile minus tolerance must lie in (0, 1); got p={p}, d={d}")
    if not 0.0 < c < 1.0:
        raise ValueError(f"confidence must lie in (0, 1); got c={c}")


def _bisect(lo: int, hi: int, t: int, p: float, d: float, c: float) -> int:
    """Smallest h in [lo, hi) with odds(h, t) < 1 - c; ``hi`` when none is (official rule)."""
    threshold = 1.0 - c
    count = hi - lo
    while count > 0:
        step = count // 2
        h = lo + step
        if odds(h, t, p, d) < threshold:
            count = step
        else:
            lo = h + 1
            count -= step + 1
    return lo


def _bracket(t: int, p: float, d: float, c: float,
             prev: tuple[int, int] | None, prev2: tuple[int, int] | None) -> tuple[int, int]:
    """Search bracket from the two nearest smaller solved points (official prediction)."""
    x0, y0 = -1, 0
    x1, y1 = 0, math.ceil(math.log(1.0 - c) / math.log(p - d))
    if prev is not None:
        x1, y1 = prev
        if prev2 is not None:
            x0, y0 = prev2
    min_slope = (p - d) / (1.0 - p + d)
    max_slope = float((y1 - y0) * (x1 - x0))
    lo = int((t - x1) * min_slope + y1)
    hi = int((t - x1) * max_slope + y1 + 1)
    return lo, hi


def find_min_passing(t: int, p: float, d: float = DEFAULT_TOLERANCE,
                     c: float = DEFAULT_CONFIDENCE) -> int:
    """Minimum under-latency count ``h`` that passes with ``t`` over-latency queries.

    This is the official cold search (no earlier answers), as used for Server runs.
    """
    if t < 0:
        raise ValueError(f"t must be >= 0; got {t}")
    _check(p, d, c)
    lo, hi = _bracket(t, p, d, c, None, None)
    return _bisect(lo, hi, t, p, d, c)


class _StreamTable:
    """h(t) for t = 1, 2, ... as the official stream verdict computes it (warm brackets)."""

    def __init__(self, p: float, d: float, c: float):
        self.p, self.d, self.c = p, d, c
        self.h: list[int] = []        # h[t - 1]
        self.need: list[int] = []     # h(t) + t, increasing in t
        self.lock = threading.Lock()

    def extend_to(self, n_queries: int) -> None:
        """Solve t = 1, 2, ... until h(t) + t exceeds ``n_queries`` (or t reaches it)."""
        with self.lock:
            while (not self.need or self.need[-1] <= n_queries) and len(self.h) < n_queries:
                t = len(self.h) + 1
                prev = (t - 1, self.h[-1]) if self.h else None
                prev2 = (t - 2, self.h[-2]) if len(self.h) >= 2 else None
                lo, hi = _bracket(t, self.p, self.d, self.c, prev, prev2)
                h = _bisect(lo, hi, t, self.p, self.d, self.c)
                self.h.append(h)
                self.need.append(h + t)


_tables: dict[tuple[float, float, float], _StreamTable] = {}
_tables_lock = threading.Lock()


def _table(p: float, d: float, c: float) -> _StreamTable:
    with _tables_lock:
        table = _tables.get((p, d, c))
        if table is None:
            table = _tables[(p, d, c)] = _StreamTable(p, d, c)
        return table


@dataclass(frozen=True)
class StreamEarlyStopping:
    """Early-stopping verdict of a SingleStream / MultiStream run.

    ``min_queries`` = h(1) + 1, the fewest queries that can pass at all. When ``ok``,
    the run may ignore its ``discarded`` slowest queries and the estimate of the
    percentile is ``sorted_latencies[estimate_index]`` (``estimate_index = queries - t``,
    ``discarded = t - 1``). When not ``ok``: ``discarded = 0``, ``estimate_index = -1``.
    """

    ok: bool
    queries: int
    min_queries: int
    discarded: int
    estimate_index: int
    percentile: float


def stream_early_stopping(n_queries: int, percentile: float, d: float = DEFAULT_TOLERANCE,
                          c: float = DEFAULT_CONFIDENCE) -> StreamEarlyStopping:
    """Verdict for ``n_queries`` latencies at ``percentile`` (e.g. 0.90 SingleStream, 0.99 MultiStream).

    Official rule: t is the largest value with ``n >= h(t) + t`` (searching t = 2, 3, ...,
    the first failing t minus one; t = 1 when t = 2 already fails).
    """
    if n_queries < 0:
        raise ValueError(f"n_queries must be >= 0; got {n_queries}")
    _check(percentile, d, c)
    table = _table(percentile, d, c)
    table.extend_to(max(n_queries, 1))
    h_min = table.h[0]
    if n_queries < h_min + 1:
        return StreamEarlyStopping(False, n_queries, h_min + 1, 0, -1, percentile)
    # First t >= 2 with n < h(t) + t; need[] is increasing, need[0] <= n here.
    first_failing = bisect.bisect_right(table.need, n_queries, lo=1) + 1
    t = max(first_failing - 1, 1)
    return StreamEarlyStopping(True, n_queries, h_min + 1, t - 1, n_queries - t, percentile)


@dataclass(frozen=True)
class ServerEarlyStopping:
    """Early-stopping verdict of a Server run (also used per metric for TTFT / TPOT).

    ``min_queries`` = h + t, the queries needed with this many over-latency ones;
    ``more_needed`` = how many more would be needed if every further one were under latency.
    """

    ok: bool
    queries: int
    overlatency: int
    min_queries: int
    more_needed: int
    percentile: float


def server_early_stopping(n_queries: int, n_overlatency: int, percentile: float,
                          d: float = DEFAULT_TOLERANCE,
                          c: float = DEFAULT_CONFIDENCE) -> ServerEarlyStopping:
    """Verdict for a Server run: pass iff ``n_queries >= h + t`` with ``t = n_overlatency``."""
    if n_queries < 0 or n_overlatency < 0:
        raise ValueError("query counts must be >= 0")
    if n_overlatency > n_queries:
        raise ValueError(f"n_overlatency ({n_overlatency}) exceeds n_queries ({n_queries})")
    h = find_min_passing(n_overlatency, percentile, d, c)
    need = h + n_overlatency
    return ServerEarlyStopping(n_queries >= need, n_queries, n_overlatency, need,
                               max(0, need - n_queries), percentile)

"""Per-request records in preallocated numpy arrays, and the figures derived from them.

One row per HTTP request: intended send (the LoadGen's issue time), actual send (request
headers written), first token, end, output tokens, endpoint, failure code. Rows grow by
doubling (under the owner's lock); no Python object is kept per request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from mlpace.endpoints.failures import FAILURE_KINDS, OK, PENDING
from mlpace.loadgen.results import percentile

_FIELDS = ("intended_ns", "sent_ns", "first_ns", "end_ns", "tokens")


class RequestRecords:
    """Growable columns, one row per request of one LoadGen phase."""

    def __init__(self, capacity: int = 4096) -> None:
        self.lock = threading.Lock()
        self._alloc(max(16, capacity))
        self.n = 0
        self.first_message: dict[str, str] = {}

    def _alloc(self, cap: int) -> None:
        old = getattr(self, "intended_ns", None)
        n = getattr(self, "n", 0)
        cols = {name: np.zeros(cap, dtype=np.int64) for name in _FIELDS}
        cols["code"] = np.full(cap, PENDING, dtype=np.int8)
        cols["endpoint"] = np.zeros(cap, dtype=np.int16)
        if old is not None:
            for name in cols:
                cols[name][:n] = getattr(self, name)[:n]
        for name, arr in cols.items():
            setattr(self, name, arr)
        self.capacity = cap

    def add(self, count: int, intended_ns: int) -> int:
        """Reserve ``count`` rows issued at ``intended_ns``; returns the first row."""
        with self.lock:
            first = self.n
            need = first + count
            if need > self.capacity:
                cap = self.capacity
                while cap < need:
                    cap *= 2
                self._alloc(cap)
            self.intended_ns[first:need] = intended_ns
            self.n = need
            return first

    def fail(self, row: int, kind: str, message: str, now_ns: int) -> bool:
        """Mark ``row`` failed; True if it is the first failure of the phase."""
        with self.lock:
            first = not self.first_message
            self.code[row] = FAILURE_KINDS.index(kind) + 1
            self.end_ns[row] = now_ns
            self.first_message.setdefault(kind, message)
            return first

    def stats(self) -> "ClientStats":
        with self.lock:
            n = self.n
            code = self.code[:n].copy()
            intended = self.intended_ns[:n].copy()
            sent = self.sent_ns[:n].copy()
            first = self.first_ns[:n].copy()
            end = self.end_ns[:n].copy()
            endpoint = self.endpoint[:n].copy()
            first_message = dict(self.first_message)
        counts = {kind: int(np.count_nonzero(code == i + 1)) for i, kind in enumerate(FAILURE_KINDS)}
        was_sent = sent > 0
        lag = sent[was_sent] - intended[was_sent]
        seen = was_sent & (first > 0) & (code == OK)
        return ClientStats(
            requests=n,
            ok=int(np.count_nonzero(code == OK)),
            unfinished=int(np.count_nonzero(code == PENDING)),
            failures=counts,
            first_message=first_message,
            lag_ns=np.sort(lag),
            ttft_from_send_ns=np.sort(first[seen] - sent[seen]),
            per_endpoint=_per_endpoint(endpoint, code, sent, end),
        )


def _per_endpoint(endpoint: np.ndarray, code: np.ndarray, sent: np.ndarray, end: np.ndarray) -> list[dict]:
    """Per endpoint (node), in URL order: requests, ok, failed, and the request time (actual
    send to end, answered requests only) p50/p99 in ns, LoadGen-style percentiles."""
    out = []
    for ep in range(int(endpoint.max()) + 1 if len(endpoint) else 0):
        mine = endpoint == ep
        done = mine & (code == OK) & (sent > 0) & (end > 0)
        t = np.sort(end[done] - sent[done])
        out.append({"requests": int(np.count_nonzero(mine)), "ok": int(np.count_nonzero(mine & (code == OK))),
                    "failed": int(np.count_nonzero(mine & (code > OK))),
                    "p50_ns": percentile(t, 0.5), "p99_ns": percentile(t, 0.99)})
    return out


@dataclass
class ClientStats:
    """What one phase's requests came to (counts per failure kind, send lag)."""

    requests: int
    ok: int
    unfinished: int
    failures: dict[str, int]
    first_message: dict[str, str] = field(default_factory=dict)
    lag_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # time to first token counted from the actual send (what peers call TTFT), sorted
    ttft_from_send_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    per_endpoint: list[dict] = field(default_factory=list)  # one dict per endpoint URL, in order

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def lag(self, p: float) -> int:
        """Send-lag percentile, LoadGen style (element ``int(n * p)`` of the sorted values)."""
        return percentile(self.lag_ns, p)

    @property
    def lag_max(self) -> int:
        return int(self.lag_ns[-1]) if len(self.lag_ns) else 0

    def failure_text(self) -> str:
        """``http_5xx=3, timeout=1`` (only the kinds that occurred)."""
        return ", ".join(f"{k}={v}" for k, v in self.failures.items() if v)

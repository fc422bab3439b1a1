"""Completion intake: responses from any SUT thread land in preallocated arrays.

Response ids are ``generation << ID_SHIFT | sample sequence number``: each phase of the
process has its own generation, so a completion is one array store at ``id - base``, and
a completion for an ended phase is recognised (dropped and counted, or ignored with a
warning) instead of landing in the next one. A bad id or a duplicate is a SUT fault:
recorded in ``errors``, and ``halt`` tells the issue loop to stop.
"""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np

_pc = time.perf_counter_ns

ID_SHIFT = 40  # response id = generation << ID_SHIFT | sample sequence number
_gen_lock = threading.Lock()
_last_generation = 0  # generation of the newest phase created in this process


def _new_generation() -> int:
    global _last_generation
    with _gen_lock:
        _last_generation += 1
        return _last_generation


def is_stale_id(i: int) -> bool:
    """True for a response id of a phase that has already been created (and so ended)."""
    return 1 <= (int(i) >> ID_SHIFT) <= _last_generation


def warn_late(i: int) -> None:
    """A completion for a test that has ended: ignored, with a warning."""
    warnings.warn(f"completion for response id {i} arrived after its test ended; ignored",
                  RuntimeWarning, stacklevel=3)


def to_bytes(payload) -> bytes:
    """Response payload (bytes, bytearray, memoryview, numpy array, str) as raw bytes."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, np.ndarray):
        return np.ascontiguousarray(payload).tobytes()
    if isinstance(payload, str):
        return payload.encode()
    return bytes(memoryview(payload).cast("B"))


def _has_duplicates(arr: np.ndarray) -> bool:
    """True if an id occurs twice; O(n) for the usual ascending batches, a sort otherwise."""
    if arr.size < 2:
        return False
    if bool((arr[1:] > arr[:-1]).all()):
        return False
    srt = np.sort(arr)
    return bool((srt[1:] == srt[:-1]).any())



class CompletionIntake:
    """Completion state of one phase: times, counts, payloads, faults; thread-safe."""

    def __init__(self, n_samples: int, n_queries: int, samples_per_query: int, *, wake_per_query: bool,
                 keep_all_data: bool = False, log_mask: np.ndarray | None = None,
                 test_first_generation: int | None = None) -> None:
        self.spq = samples_per_query
        self.n_samples = n_samples
        self.n_queries = n_queries
        self.generation = _new_generation()
        # generations from this one's test: an older completion of the same test is counted
        self.test_first_generation = test_first_generation or self.generation
        self.base = self.generation << ID_SHIFT
        self.complete_ns = np.zeros(n_samples, dtype=np.int64)
        self.remaining = np.full(n_queries, self.spq, dtype=np.int64) if self.spq > 1 else None
        self.lock = threading.Lock()
        self._cmv = memoryview(self.complete_ns)  # plain-int stores on the hot path
        # binary semaphore for the stream scenarios: released once per finished query,
        # taken once per issued query (one query is in flight at a time there)
        self._wake = threading.Lock()
        self._wake.acquire()
        self.all_done = threading.Event()
        self.want_tokens = wake_per_query  # the issuer waits for each query (SingleStream/MultiStream)
        self.done_samples = 0
        self.done_queries = 0
        self.target_samples = n_samples  # lowered when the phase stops issuing early
        self.errors: list[str] = []
        self.halt: list[str] = []  # non-empty: the issue loop stops at its next query
        self.late = 0  # completions of an earlier phase of this test (dropped)
        self.keep_all_data = keep_all_data
        self.log_mask = log_mask
        self.wants_data = keep_all_data or log_mask is not None  # payloads are kept at all
        self.data: dict[int, bytes] = {}
        self.first_token_ns: np.ndarray | None = None
        self.token_data: dict[int, bytes] = {}  # sample seq -> first-token payload
        self.n_tokens: np.ndarray | None = None

    def complete_one(self, i: int) -> None:
        """Completion of one response id (a Python int) with no payload: the leanest intake."""
        now = _pc()
        j = i - self.base
        with self.lock:
            cmv = self._cmv
            if j < 0 or j >= self.n_samples or cmv[j]:
                self._bad_ids(np.array([i], dtype=np.uint64))
                return
            cmv[j] = now
            self.done_samples += 1
            if self.spq == 1:
                self.done_queries += 1
                if self.want_tokens:
                    self._wake_issuer()
            else:
                q = j // self.spq
                self.remaining[q] -= 1
                if not self.remaining[q]:
                    self.done_queries += 1
                    if self.want_tokens:
                        self._wake_issuer()
            if self.done_samples >= self.target_samples:
                self.all_done.set()

    def complete(self, ids, data=None, n_tokens=None) -> None:
        """Record completion of response ids (an int, a numpy integer, or an array of them);
        any thread.

        ``data``/``n_tokens``: one entry per id (for an int id, the payload itself or a
        one-element list)."""
        if type(ids) is not int:
            if isinstance(ids, np.integer):
                ids = int(ids)
            elif len(ids) != 1:
                self._complete_many(_pc(), ids, data, n_tokens)
                return
            else:
                ids = int(ids[0])
                data = None if data is None else data[0]
                n_tokens = None if n_tokens is None else n_tokens[0]
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        j = ids - self.base
        if (data is not None or n_tokens is not None) and 0 <= j < self.n_samples:
            with self.lock:  # extras first: the phase may be seen as done right after
                if data is not None:
                    self._keep_data(np.array([j]), [data])
                if n_tokens is not None:
                    if self.n_tokens is None:
                        self.n_tokens = np.zeros(self.n_samples, dtype=np.int64)
                    self.n_tokens[j] = n_tokens
        self.complete_one(ids)

    def _wake_issuer(self) -> None:
        try:
            self._wake.release()
        except RuntimeError:  # already released (only after an error)
            pass

    def _complete_many(self, now: int, ids, data, n_tokens) -> None:
        raw = np.asarray(ids).reshape(-1)
        if raw.dtype.kind not in "iu":
            raw = raw.astype(np.int64)
        if raw.size == 0:
            return
        # ids hold the generation in their high bits: subtract it (uint64 wraps a foreign
        # id to a huge value, caught by the range check)
        arr = raw.astype(np.uint64, copy=False) - np.uint64(self.base)
        with self.lock:
            if int(arr.max()) >= self.n_samples:
                self._bad_ids(raw)
                return
            arr = arr.astype(np.int64)
            if self.complete_ns[arr].any() or _has_duplicates(arr):
                self._bad_ids(raw)
                return
            self.complete_ns[arr] = now
            self.done_samples += arr.size
            if self.spq == 1:
                finished = arr.size
            elif self.n_queries == 1:  # Offline: one query holds every sample
                self.remaining[0] -= arr.size
                finished = int(self.remaining[0] == 0)
            else:
                q = arr // self.spq
                uq, counts = np.unique(q, return_counts=True)
                self.remaining[uq] -= counts
                finished = int(np.count_nonzero(self.remaining[uq] == 0))
            self.done_queries += finished
            if self.want_tokens and finished:
                self._wake_issuer()
            if data is not None:
                self._keep_data(arr, data)
            if n_tokens is not None:
                if self.n_tokens is None:
                    self.n_tokens = np.zeros(self.n_samples, dtype=np.int64)
                self.n_tokens[arr] = np.asarray(n_tokens).reshape(-1)
            if self.done_samples >= self.target_samples:
                self.all_done.set()

    def first_token(self, ids, data=None) -> None:
        """Record the first-token time of samples (LLM token latencies) and, where payloads
        are kept, their first-token payloads (``data``: one per id)."""
        now = _pc()
        if isinstance(ids, (int, np.integer)):
            ids = [int(ids)]
        arr = np.asarray(ids).reshape(-1).astype(np.uint64) - np.uint64(self.base)
        with self.lock:
            if self.first_token_ns is None:
                self.first_token_ns = np.zeros(self.n_samples, dtype=np.int64)
            ok = arr < self.n_samples
            self.first_token_ns[arr[ok].astype(np.int64)] = now
            if data is not None and self.wants_data:
                for k in np.flatnonzero(ok).tolist():
                    i = int(arr[k])
                    keep = self.keep_all_data or (self.log_mask is not None and self.log_mask[i])
                    if keep and data[k] is not None:
                        self.token_data[i] = to_bytes(data[k])

    def _keep_data(self, arr: np.ndarray, data) -> None:
        if self.keep_all_data:
            for i, payload in zip(arr.tolist(), data):
                if payload is not None:
                    self.data[i] = to_bytes(payload)
        elif self.log_mask is not None:  # sampled logging: touch only the logged ids
            for k in np.flatnonzero(self.log_mask[arr]).tolist():
                payload = data[k]
                if payload is not None:
                    self.data[int(arr[k])] = to_bytes(payload)

    def fail(self, message: str) -> None:
        """Record a SUT-reported fault (any thread) and wake whoever waits."""
        with self.lock:
            if message not in self.errors:
                self.errors.append(message)
            self.halt.append(message)
        self.all_done.set()
        if self.want_tokens:
            self._wake_issuer()

    def _bad_ids(self, raw: np.ndarray) -> None:
        """Ids this phase cannot take: stale ones (an ended phase) are dropped, the rest
        are a SUT fault. Called with the lock held."""
        ids = [int(i) for i in np.asarray(raw).astype(np.uint64).tolist()]
        stale = [i for i in ids if (i >> ID_SHIFT) != self.generation and is_stale_id(i)]
        if stale and len(stale) == len(ids):
            if (stale[0] >> ID_SHIFT) >= self.test_first_generation:
                self.late += len(stale)  # an earlier phase of this test: counted in its log
            else:
                warn_late(stale[0])
            return
        n, base = self.n_samples, self.base
        bad = [i for i in ids if not 0 <= i - base < n]
        if stale:
            msg = f"SUT completed response id {stale[0]} of an ended phase together with current ones"
        elif bad:
            msg = f"SUT completed unknown response id {bad[0]} (valid ids are {base}..{base + n - 1})"
        else:
            seen: set[int] = set()
            dup = -1
            for i in ids:
                if self.complete_ns[i - base] or i in seen:
                    dup = i
                    break
                seen.add(i)
            msg = f"SUT completed response id {dup} more than once"
        if msg not in self.errors:
            self.errors.append(msg)
        self.halt.append(msg)
        self.all_done.set()
        if self.want_tokens:
            self._wake_issuer()

"""The hot path: issue queries to the SUT, take completions from any thread, time both.

One ``Phase`` is one pass over a ``QueryPlan`` (a performance run, or one
loadable set of an accuracy run). Response ids are sample sequence numbers, so
a completion is an array store: ``complete_ns[ids] = now``. Everything is
preallocated from the plan; no object is created per sample. Timing uses
``time.perf_counter_ns``; waiting for the next Server arrival sleeps until
shortly before it, then spins on the clock (precision matters, so no plain
sleep to the deadline).

The SUT calls ``Phase.complete`` (through ``mlpace.loadgen.complete``). A bad
id, a duplicate completion, an exception in ``issue_queries``, too many
outstanding queries, or a query unanswered for ``sut_timeout_ms`` ends the
phase early with a recorded error; the caller turns that into an INVALID result.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from mlpace.loadgen.effective import EffectiveSettings
from mlpace.loadgen.schedule import QueryPlan
from mlpace.loadgen.settings import TestScenario

_pc = time.perf_counter_ns

# How a phase ended (detail-log ``generic_message`` / ``error_runtime`` texts).
END_NATURAL = "Ending naturally: Minimum query count and test duration met."
END_ALL_ISSUED = "Ending naturally: All generated queries issued."
END_RAN_OUT = (
    "Ending early: Ran out of generated queries to issue before the minimum query count "
    "and test duration were reached. Please update the relevant expected latency or target qps "
    "in the TestSettings so they are more accurate."
)
END_TOO_MANY = "Ending early: Too many outstanding queries."
END_MAX_QUERIES = "Ending early: Max query count reached."
END_MAX_DURATION = "Ending early: Max test duration reached."

_SPIN_NS = 40_000  # with 1 µs timer slack, sleeps end within a few µs; spin the rest
_CHUNK = 65536  # queries converted to Python ints at a time (bounded memory)  # wake this long before a Server arrival, then spin on the clock


def to_bytes(payload) -> bytes:
    """Response payload (bytes, bytearray, memoryview, numpy array, str) as raw bytes."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, np.ndarray):
        return np.ascontiguousarray(payload).tobytes()
    if isinstance(payload, str):
        return payload.encode()
    return bytes(memoryview(payload).cast("B"))


@dataclass
class PhaseRecord:
    """What a finished phase hands to the results and writers (arrays, no SUT access)."""

    plan: QueryPlan
    start_ns: int  # absolute perf_counter_ns at phase start
    issued_queries: int
    issue_ns: np.ndarray  # absolute, one per issued query
    complete_ns: np.ndarray  # absolute, one per sample (0 = never completed)
    end_message: str
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False
    data: dict[int, bytes] = field(default_factory=dict)  # sample seq -> response bytes
    first_token_ns: np.ndarray | None = None
    n_tokens: np.ndarray | None = None
    token_data: dict[int, bytes] = field(default_factory=dict)  # sample seq -> first-token payload

    @property
    def issued_samples(self) -> int:
        return self.issued_queries * self.plan.samples_per_query

    @property
    def failed(self) -> bool:
        return bool(self.errors) or self.interrupted


class Phase:
    """State of one pass: preallocated arrays plus the completion intake."""

    def __init__(
        self,
        plan: QueryPlan,
        eff: EffectiveSettings,
        *,
        keep_all_data: bool = False,
        log_mask: np.ndarray | None = None,
        progress=None,
    ) -> None:
        self.plan = plan
        self.eff = eff
        self.spq = plan.samples_per_query
        self.n_samples = plan.sample_count
        self.n_queries = plan.query_count
        self.complete_ns = np.zeros(self.n_samples, dtype=np.int64)
        self.issue_ns = np.zeros(self.n_queries, dtype=np.int64)
        self.remaining = (
            np.full(self.n_queries, self.spq, dtype=np.int64) if self.spq > 1 else None
        )
        self.ids = np.arange(self.n_samples, dtype=np.uint64)
        self.lock = threading.Lock()
        self._cmv = memoryview(self.complete_ns)  # plain-int stores on the hot path
        self._imv = memoryview(self.issue_ns)
        # binary semaphore for the stream scenarios: released once per finished query,
        # taken once per issued query (one query is in flight at a time there)
        self._wake = threading.Lock()
        self._wake.acquire()
        self.all_done = threading.Event()
        self.want_tokens = eff.scenario in (TestScenario.SingleStream, TestScenario.MultiStream)
        self.done_samples = 0
        self.done_queries = 0
        self.target_samples = self.n_samples  # lowered when the phase stops issuing early
        self.errors: list[str] = []
        self.keep_all_data = keep_all_data
        self.log_mask = log_mask
        self.wants_data = keep_all_data or log_mask is not None  # payloads are kept at all
        self.data: dict[int, bytes] = {}
        self.first_token_ns: np.ndarray | None = None
        self.n_tokens: np.ndarray | None = None
        self.token_data: dict[int, bytes] = {}
        self.progress = progress
        self.timeout_ns = eff.sut_timeout_ms * 1_000_000

    # ---------------------------------------------------------------- completion intake
    def complete_one(self, i: int) -> None:
        """Completion of one sample id (a Python int) with no payload: the leanest intake."""
        now = _pc()
        with self.lock:
            cmv = self._cmv
            if i < 0 or i >= self.n_samples or cmv[i]:
                self._bad_ids(np.array([i], dtype=np.int64))
                return
            cmv[i] = now
            self.done_samples += 1
            if self.spq == 1:
                self.done_queries += 1
                if self.want_tokens:
                    self._wake_issuer()
            else:
                q = i // self.spq
                self.remaining[q] -= 1
                if not self.remaining[q]:
                    self.done_queries += 1
                    if self.want_tokens:
                        self._wake_issuer()
            if self.done_samples >= self.target_samples:
                self.all_done.set()

    def complete(self, ids, data=None, n_tokens=None) -> None:
        """Record completion of response ids (an int or an array of ints); any thread.

        ``data``/``n_tokens``: one entry per id (for an int id, the payload itself or a
        one-element list)."""
        if type(ids) is not int:
            if len(ids) != 1:
                self._complete_many(_pc(), ids, data, n_tokens)
                return
            ids = int(ids[0])
            data = None if data is None else data[0]
            n_tokens = None if n_tokens is None else n_tokens[0]
        elif isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if (data is not None or n_tokens is not None) and 0 <= ids < self.n_samples:
            with self.lock:  # extras first: the phase may be seen as done right after
                if data is not None:
                    self._keep_data(np.array([ids]), [data])
                if n_tokens is not None:
                    if self.n_tokens is None:
                        self.n_tokens = np.zeros(self.n_samples, dtype=np.int64)
                    self.n_tokens[ids] = n_tokens
        self.complete_one(ids)

    def _wake_issuer(self) -> None:
        try:
            self._wake.release()
        except RuntimeError:  # already released (only after an error)
            pass

    def _complete_many(self, now: int, ids, data, n_tokens) -> None:
        arr = np.asarray(ids).reshape(-1)
        if arr.dtype.kind not in "iu":
            arr = arr.astype(np.int64)
        with self.lock:
            if arr.size == 0:
                return
            if int(arr.min()) < 0 or int(arr.max()) >= self.n_samples:
                self._bad_ids(arr)
                return
            if self.complete_ns[arr].any() or _has_duplicates(arr):
                self._bad_ids(arr)
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
        arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        with self.lock:
            if self.first_token_ns is None:
                self.first_token_ns = np.zeros(self.n_samples, dtype=np.int64)
            ok = (arr >= 0) & (arr < self.n_samples)
            self.first_token_ns[arr[ok]] = now
            if data is not None and self.wants_data:
                for k in np.flatnonzero(ok).tolist():
                    i = int(arr[k])
                    if (self.keep_all_data or self.log_mask[i]) and data[k] is not None:
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
        self.all_done.set()
        if self.want_tokens:
            self._wake_issuer()

    def _bad_ids(self, arr: np.ndarray) -> None:
        bad = [int(i) for i in arr.tolist() if i < 0 or i >= self.n_samples]
        if bad:
            msg = f"SUT completed unknown response id {bad[0]} (valid ids are 0..{self.n_samples - 1})"
        else:
            seen: set[int] = set()
            dup = -1
            for i in arr.tolist():
                if self.complete_ns[i] or i in seen:
                    dup = int(i)
                    break
                seen.add(i)
            msg = f"SUT completed response id {dup} more than once"
        if msg not in self.errors:
            self.errors.append(msg)
        self.all_done.set()
        if self.want_tokens:
            self._wake_issuer()

    # ---------------------------------------------------------------- issuing
    def run(self, sut, *, natural_stop: bool) -> PhaseRecord:
        """Issue the plan to ``sut`` and wait for the completions. Never raises for SUT faults."""
        scen = self.eff.scenario
        start = _pc()
        self.start_ns = start
        issued = 0
        end_message = END_ALL_ISSUED
        interrupted = False
        try:
            if scen is TestScenario.Offline:
                issued, end_message = self._run_offline(sut, start)
            elif scen is TestScenario.Server:
                # SUT threads that hold the GIL would delay arrivals by up to the switch
                # interval (5 ms by default); a short interval bounds the issue lag.
                old_interval = sys.getswitchinterval()
                sys.setswitchinterval(min(old_interval, 0.0001))
                old_slack = _set_timer_slack_ns(1000)
                try:
                    issued, end_message = self._run_server(sut, start)
                finally:
                    sys.setswitchinterval(old_interval)
                    if old_slack is not None:
                        _set_timer_slack_ns(old_slack)
            else:
                issued, end_message = self._run_stream(sut, start, natural_stop)
        except KeyboardInterrupt:
            interrupted = True
            issued = int(np.count_nonzero(self.issue_ns))
            end_message = "Ending early: interrupted by the user (Ctrl-C)."
        except _SUTFault as exc:
            issued = exc.issued
            if str(exc) not in self.errors:
                self.errors.append(str(exc))
            end_message = "Ending early: " + str(exc)
        if not interrupted and not self.errors:
            try:
                self._drain(issued)
            except KeyboardInterrupt:
                interrupted = True
                end_message = "Ending early: interrupted by the user (Ctrl-C) while waiting for completions."
            except _SUTFault as exc:
                if str(exc) not in self.errors:
                    self.errors.append(str(exc))
        try:
            sut.flush_queries()
        except Exception as exc:  # noqa: BLE001 - a SUT fault becomes a reason
            self.errors.append(f"SUT raised {type(exc).__name__} in flush_queries: {exc}")
        return PhaseRecord(
            plan=self.plan,
            start_ns=start,
            issued_queries=issued,
            issue_ns=self.issue_ns[:issued],
            complete_ns=self.complete_ns[: issued * self.spq],
            end_message=end_message,
            errors=list(self.errors),
            interrupted=interrupted,
            data=self.data,
            first_token_ns=None if self.first_token_ns is None else self.first_token_ns[: issued * self.spq],
            n_tokens=None if self.n_tokens is None else self.n_tokens[: issued * self.spq],
            token_data=self.token_data,
        )

    def _run_stream(self, sut, start: int, natural_stop: bool):
        eff = self.eff
        spq = self.spq
        issue_mv = self._imv
        ids = self.ids
        idx = self.plan.sample_index
        issue = sut.issue_queries
        acquire = self._wake.acquire
        errors = self.errors
        min_ns = eff.min_duration_ms * 1_000_000
        max_ns = eff.max_duration_ms * 1_000_000 or (1 << 62)
        min_q = eff.min_query_count
        max_q = eff.max_query_count or (1 << 62)
        wait = 0.25 if not self.timeout_ns else min(0.25, self.timeout_ns / 1e9)
        progress = self.progress
        next_progress = start + 100_000_000 if progress is not None else (1 << 62)
        nq = self.n_queries
        q = 0
        lo = 0
        end = END_RAN_OUT if natural_stop else END_ALL_ISSUED
        stop_q = min_q if natural_stop else (1 << 62)  # natural stop is checked from here on
        single = getattr(sut, "_issue_single", None) if spq == 1 else None
        if single is not None:
            return self._run_stream_single(single, start, natural_stop)
        while q < nq:
            now = _pc()
            elapsed = now - start
            if q >= max_q:
                end = END_MAX_QUERIES
                break
            if elapsed >= max_ns:
                end = END_MAX_DURATION
                break
            if now >= next_progress:
                progress(q, nq, elapsed)
                next_progress = now + 100_000_000
            issue_mv[q] = now
            hi = lo + spq
            try:
                issue(ids[lo:hi], idx[lo:hi])
            except Exception as exc:  # noqa: BLE001
                raise _SUTFault(f"SUT raised {type(exc).__name__} in issue_queries: {exc}", q + 1) from exc
            q += 1
            lo = hi
            if not acquire(True, wait):
                self._wait_token(q, now)
            if errors:
                raise _SUTFault(errors[0], q)
            # the official rule: the last query is the first one issued at or after
            # min_duration once min_query_count queries have been issued
            if q >= stop_q and elapsed >= min_ns:
                end = END_NATURAL
                break
        return q, end

    def _run_stream_single(self, single, start: int, natural_stop: bool):
        """SingleStream for SUTs that take one (id, index) as Python ints (``mlpace.compat``).

        Kept apart from ``_run_stream`` on purpose: this is the hottest loop, and a shared
        one would pay a per-query branch or call in both shapes."""
        eff = self.eff
        issue_mv = self._imv
        acquire = self._wake.acquire
        errors = self.errors
        min_ns = eff.min_duration_ms * 1_000_000
        max_ns = eff.max_duration_ms * 1_000_000 or (1 << 62)
        max_q = eff.max_query_count or (1 << 62)
        wait = 0.25 if not self.timeout_ns else min(0.25, self.timeout_ns / 1e9)
        progress = self.progress
        next_progress = start + 100_000_000 if progress is not None else (1 << 62)
        nq = self.n_queries
        stop_q = eff.min_query_count if natural_stop else (1 << 62)
        q = 0
        for c0 in range(0, nq, _CHUNK):
            for index in self.plan.sample_index[c0 : c0 + _CHUNK].tolist():
                now = _pc()
                elapsed = now - start
                if q >= max_q:
                    return q, END_MAX_QUERIES
                if elapsed >= max_ns:
                    return q, END_MAX_DURATION
                if now >= next_progress:
                    progress(q, nq, elapsed)
                    next_progress = now + 100_000_000
                issue_mv[q] = now
                try:
                    single(q, index)
                except Exception as exc:  # noqa: BLE001
                    raise _SUTFault(f"SUT raised {type(exc).__name__} in issue_queries: {exc}", q + 1) from exc
                q += 1
                if not acquire(True, wait):
                    self._wait_token(q, now)
                if errors:
                    raise _SUTFault(errors[0], q)
                if q >= stop_q and elapsed >= min_ns:
                    return q, END_NATURAL
        return q, END_RAN_OUT if natural_stop else END_ALL_ISSUED

    def _wait_token(self, q: int, issued_at: int) -> None:
        while True:
            if self.errors:
                return
            if self.timeout_ns and _pc() - issued_at > self.timeout_ns:
                raise _SUTFault(
                    f"SUT did not complete query {q - 1} within sut_timeout_ms="
                    f"{self.eff.sut_timeout_ms}",
                    q,
                )
            if self._wake.acquire(True, 0.25):
                return

    def _run_server(self, sut, start: int):
        eff = self.eff
        issue_mv = self._imv
        ids = self.ids
        idx = self.plan.sample_index
        issue = sut.issue_queries
        errors = self.errors
        sched = self.plan.scheduled_ns
        max_ns = eff.max_duration_ms * 1_000_000 or (1 << 62)
        max_q = eff.max_query_count or (1 << 62)
        max_async = eff.max_async_queries or (1 << 62)
        progress = self.progress
        next_progress = start + 100_000_000 if progress is not None else (1 << 62)
        nq = self.n_queries
        sleep = time.sleep
        spin_from = 2 * _SPIN_NS
        chunk = _CHUNK
        single = getattr(sut, "_issue_single", None)
        q = 0
        for c0 in range(0, nq, chunk):
            indices = idx[c0 : c0 + chunk].tolist() if single is not None else None
            for offset in sched[c0 : c0 + chunk].tolist():
                target = start + offset
                now = _pc()
                if now < target:
                    if target - now > spin_from:
                        sleep((target - now - _SPIN_NS) * 1e-9)
                        now = _pc()
                    while now < target:  # spin on the clock for the last stretch
                        now = _pc()
                if q >= max_q:
                    return q, END_MAX_QUERIES
                if now - start >= max_ns:
                    return q, END_MAX_DURATION
                if q - self.done_queries >= max_async:
                    raise _SUTFault(
                        f"Too many outstanding queries ({q - self.done_queries} outstanding, "
                        f"server_max_async_queries={max_async})",
                        q,
                    )
                if now >= next_progress:
                    progress(q, nq, now - start)
                    next_progress = now + 100_000_000
                issue_mv[q] = now
                hi = q + 1
                try:
                    if single is not None:
                        single(q, indices[q - c0])
                    else:
                        issue(ids[q:hi], idx[q:hi])
                except Exception as exc:  # noqa: BLE001
                    raise _SUTFault(
                        f"SUT raised {type(exc).__name__} in issue_queries: {exc}", hi
                    ) from exc
                q = hi
                if errors:
                    raise _SUTFault(errors[0], q)
        return q, END_ALL_ISSUED

    def _run_offline(self, sut, start: int):
        self.issue_ns[0] = start
        try:
            sut.issue_queries(self.ids, self.plan.sample_index)
        except Exception as exc:  # noqa: BLE001
            raise _SUTFault(f"SUT raised {type(exc).__name__} in issue_queries: {exc}", 1) from exc
        return 1, END_NATURAL

    def _drain(self, issued: int) -> None:
        """Wait until every issued sample completed (or the timeout passes)."""
        with self.lock:
            self.target_samples = issued * self.spq
            if self.done_samples >= self.target_samples:
                self.all_done.set()
        last_done = self.done_samples
        last_change = _pc()
        while not self.all_done.wait(0.1):
            if self.progress is not None:
                self.progress(issued, self.n_queries, _pc() - self.start_ns)
            if self.timeout_ns:
                if self.done_samples != last_done:
                    last_done, last_change = self.done_samples, _pc()
                elif _pc() - last_change > self.timeout_ns:
                    raise _SUTFault(
                        f"SUT left {self.target_samples - self.done_samples} of "
                        f"{self.target_samples} samples unanswered for sut_timeout_ms="
                        f"{self.eff.sut_timeout_ms}",
                        issued,
                    )
        if self.errors:
            return


def _set_timer_slack_ns(ns: int) -> int | None:
    """Set this thread's Linux timer slack (how late a sleep may end); returns the old one.

    The default 50 µs slack makes ``time.sleep`` overshoot; 1 µs lets the Server loop
    sleep until just before an arrival and spin only briefly (holding the GIL less).
    Returns None where unsupported (not Linux).
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_get, pr_set = 30, 29  # PR_GET_TIMERSLACK, PR_SET_TIMERSLACK
        old = libc.prctl(pr_get, 0, 0, 0, 0)
        if old < 0 or libc.prctl(pr_set, ctypes.c_ulong(ns), 0, 0, 0) != 0:
            return None
        return int(old)
    except (OSError, AttributeError):
        return None


def _has_duplicates(arr: np.ndarray) -> bool:
    """True if an id occurs twice; O(n) for the usual ascending batches, a sort otherwise."""
    if arr.size < 2:
        return False
    if bool((arr[1:] > arr[:-1]).all()):
        return False
    srt = np.sort(arr)
    return bool((srt[1:] == srt[:-1]).any())


class _SUTFault(Exception):
    def __init__(self, message: str, issued: int) -> None:
        super().__init__(message)
        self.issued = issued

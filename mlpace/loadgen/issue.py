"""The hot path: issue queries to the SUT and time them; ``Phase.run`` is one pass.

One ``Phase`` is one pass over a ``QueryPlan`` (a performance run, or one
loadable set of an accuracy run); it takes completions through its
``intake.CompletionIntake`` base (an array store per completion). Everything is
preallocated from the plan; no object is created per sample. Timing uses
``time.perf_counter_ns``; waiting for the next Server arrival sleeps until
shortly before it, then spins on the clock (precision matters, so no plain
sleep to the deadline).

The SUT answers through ``mlpace.loadgen.complete``. A bad id, a duplicate
completion, an exception in ``issue_queries``, or a query
unanswered (or an ``issue_queries`` call blocked) for ``sut_timeout_ms`` ends
the phase early with a recorded error; the caller turns that into an INVALID
result. The official stops (max query count, max duration, too many outstanding
Server queries) end issuing with the official message and then wait for the
queries in flight, as the official does.

The issue loop runs on its own thread while the calling thread watches it: a SUT
that blocks inside ``issue_queries`` longer than ``sut_timeout_ms`` (with no
completion arriving meanwhile) ends the phase INVALID; Python cannot stop that
thread, so it is left blocked (a daemon thread) and, should the call return,
issues nothing more. During a phase the cyclic garbage collector is off (its
full collections stall the issue loop for milliseconds) and the heap built
before the phase is frozen; Server phases also lower the GIL switch interval.
Every process-wide setting is restored when the phase ends.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from mlpace.loadgen.effective import EffectiveSettings
from mlpace.loadgen.intake import CompletionIntake
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
# The official's early stops (issue thread 0: mlpace issues from one thread).
END_TOO_MANY = "IssueQueryThread 0 Ending early: Too many outstanding queries. issued {issued} outstanding {outstanding}"
END_MAX_QUERIES = "IssueQueryThread 0 Ending early: Max query count reached. query_count {count}"
END_MAX_DURATION = "IssueQueryThread 0 Ending early: Max test duration reached. duration_ns {duration}"

# How the detail log records a phase's end message (as the official does).
END_GENERIC, END_ERROR, END_SILENT = "generic_message", "error_runtime", ""

_SPIN_NS = 40_000  # wake this long before a Server arrival (1 µs timer slack), then spin on the clock
_CHUNK = 65536  # queries converted to Python ints at a time (bounded memory)
# Server converts its schedule in small chunks: converting 65,536 arrivals takes
# milliseconds (measured 2-7 ms), a stall every arrival behind it would count as
# latency (it was the p99.9 tail); 512 take ~15 µs.
_SERVER_CHUNK = 512
_INF = 1 << 62


def end_kind(message: str) -> str:
    """The detail-log key the official writes a phase's end message under (or none)."""
    if message == END_NATURAL:
        return END_GENERIC
    if message == END_RAN_OUT or message.startswith("IssueQueryThread 0 Ending early"):
        return END_ERROR
    return END_SILENT


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
    late_completions: int = 0  # completions of an earlier phase of the same test, dropped
    sut_thread_abandoned: bool = False  # the issue thread was left blocked in issue_queries

    @property
    def end_kind(self) -> str:
        return end_kind(self.end_message)

    @property
    def issued_samples(self) -> int:
        return self.issued_queries * self.plan.samples_per_query

    @property
    def failed(self) -> bool:
        return bool(self.errors) or self.interrupted


class Phase(CompletionIntake):
    """One pass over a plan: the completion intake (``intake.py``) plus the issue loops."""

    def __init__(
        self,
        plan: QueryPlan,
        eff: EffectiveSettings,
        *,
        keep_all_data: bool = False,
        log_mask: np.ndarray | None = None,
        progress=None,
        test_first_generation: int | None = None,
        coalesce: bool = False,
    ) -> None:
        super().__init__(plan.sample_count, plan.query_count, plan.samples_per_query,
                         wake_per_query=eff.scenario in (TestScenario.SingleStream, TestScenario.MultiStream),
                         keep_all_data=keep_all_data, log_mask=log_mask,
                         test_first_generation=test_first_generation)
        self.plan = plan
        self.eff = eff
        self.issue_ns = np.zeros(self.n_queries, dtype=np.int64)
        self.ids = np.arange(self.base, self.base + self.n_samples, dtype=np.uint64)
        self._imv = memoryview(self.issue_ns)
        self.returned = 0  # issue calls that have returned (the watchdog reads it)
        self.progress = progress
        self.timeout_ns = eff.sut_timeout_ms * 1_000_000
        self.start_ns = 0
        # server_coalesce_queries: a late Server loop issues every arrival already due as one query
        self.coalesce = coalesce and eff.scenario is TestScenario.Server and self.spq == 1

    # ---------------------------------------------------------------- issuing
    def run(self, sut, *, natural_stop: bool) -> PhaseRecord:
        """Issue the plan to ``sut`` and wait for the completions. Never raises for SUT faults.

        ``natural_stop``: a performance phase (the official's stops apply); otherwise every
        query of the plan is issued (accuracy)."""
        gc_enabled = gc.isenabled()
        freeze = gc.get_freeze_count() == 0  # a caller's own frozen heap stays as it is
        gc.disable()
        if freeze:
            gc.freeze()
        old_interval = sys.getswitchinterval()
        if self.eff.scenario is TestScenario.Server:
            # SUT threads that hold the GIL would delay arrivals by up to the switch
            # interval (5 ms by default); a short interval bounds the issue lag.
            sys.setswitchinterval(min(old_interval, 0.0001))
        try:
            return self._run(sut, natural_stop)
        finally:
            sys.setswitchinterval(old_interval)
            if freeze:
                gc.unfreeze()
            if gc_enabled:
                gc.enable()

    def _run(self, sut, natural_stop: bool) -> PhaseRecord:
        start = _pc()
        self.start_ns = start
        issued = 0
        end_message = END_ALL_ISSUED
        interrupted = False
        abandoned = False
        outcome: list = []
        thread = threading.Thread(target=self._issue_thread, args=(sut, start, natural_stop, outcome),
                                  name="mlpace-issue", daemon=True)
        thread.start()
        try:
            abandoned = self._watch(thread)
        except KeyboardInterrupt:
            interrupted = True
            self.halt.append("interrupted")
            self._wake_issuer()
            thread.join(2.0)
            abandoned = thread.is_alive()
        if abandoned:
            issued = self.returned + (1 if self.returned < self.n_queries else 0)
            if not interrupted:
                msg = (f"SUT blocked in issue_queries (query {self.returned}) for longer than "
                       f"sut_timeout_ms={self.eff.sut_timeout_ms}; its thread is left running")
                self.errors.append(msg)
                end_message = "Ending early: " + msg
        elif outcome and isinstance(outcome[0], KeyboardInterrupt):
            interrupted = True  # raised inside issue_queries: that query counts as issued
            issued = min(self.returned + 1, self.n_queries)
        elif outcome and isinstance(outcome[0], BaseException):
            exc = outcome[0]
            issued = getattr(exc, "issued", self.returned)
            if isinstance(exc, _SUTFault):
                if str(exc) not in self.errors:
                    self.errors.append(str(exc))
                end_message = "Ending early: " + str(exc)
            elif not isinstance(exc, _Stopped):  # a bug of ours: keep it visible
                raise exc
        elif outcome:
            issued, end_message = outcome[0]
        if interrupted:
            issued = min(issued or self.returned, self.n_queries)
            end_message = "Ending early: interrupted by the user (Ctrl-C)."
        if not interrupted and not self.errors:
            try:
                self._drain(issued)
            except KeyboardInterrupt:
                interrupted = True
                end_message = "Ending early: interrupted by the user (Ctrl-C) while waiting for completions."
            except _SUTFault as exc:
                if str(exc) not in self.errors:
                    self.errors.append(str(exc))
        if not abandoned:
            try:
                sut.flush_queries()
            except Exception as exc:  # noqa: BLE001 - a SUT fault becomes a reason
                self.errors.append(f"SUT raised {type(exc).__name__} in flush_queries: {exc}")
        n = issued * self.spq
        return PhaseRecord(
            plan=self.plan,
            start_ns=start,
            issued_queries=issued,
            issue_ns=self.issue_ns[:issued].copy() if abandoned else self.issue_ns[:issued],
            complete_ns=self.complete_ns[:n].copy() if abandoned else self.complete_ns[:n],
            end_message=end_message,
            errors=list(self.errors),
            interrupted=interrupted,
            data=self.data,
            first_token_ns=None if self.first_token_ns is None else self.first_token_ns[:n],
            n_tokens=None if self.n_tokens is None else self.n_tokens[:n],
            token_data=self.token_data,
            late_completions=self.late,
            sut_thread_abandoned=abandoned,
        )

    def _watch(self, thread: threading.Thread) -> bool:
        """Wait for the issue thread; True if it stayed blocked in ``issue_queries`` for
        ``sut_timeout_ms`` with no completion meanwhile (the phase then gives up on it)."""
        timeout = self.timeout_ns
        # few wake-ups: each takes the GIL from the issue loop for a moment
        poll = 1.0 if not timeout else min(1.0, max(timeout / 4e9, 0.005))
        last_done, last_change = self.done_samples, _pc()
        while thread.is_alive():
            thread.join(poll)
            if not timeout or not thread.is_alive():
                continue
            now = _pc()
            if self.done_samples != last_done:
                last_done, last_change = self.done_samples, now
            k = self.returned
            began = int(self.issue_ns[k]) if k < self.n_queries else 0
            if began and now - began > timeout and now - last_change > timeout:
                self.halt.append("abandoned")
                return True
        return False

    def _issue_thread(self, sut, start: int, natural_stop: bool, outcome: list) -> None:
        try:
            scen = self.eff.scenario
            if scen is TestScenario.Offline:
                outcome.append(self._run_offline(sut, start))
            elif scen is TestScenario.Server:
                old_slack = _set_timer_slack_ns(1000)  # per thread: this one sleeps to arrivals
                try:
                    run_server = self._run_server_coalescing if self.coalesce else self._run_server
                    outcome.append(run_server(sut, start, natural_stop))
                finally:
                    if old_slack is not None:
                        _set_timer_slack_ns(old_slack)
            else:
                outcome.append(self._run_stream(sut, start, natural_stop))
        except BaseException as exc:  # noqa: BLE001 - handed to the watching thread
            outcome.append(exc)

    def _halted(self, q: int):
        """The issue loop saw ``halt``: a SUT fault ends the phase; otherwise (Ctrl-C, a
        blocked SUT given up on) it just stops issuing."""
        if self.errors:
            raise _SUTFault(self.errors[0], q)
        raise _Stopped(q)

    def _run_stream(self, sut, start: int, natural_stop: bool):
        eff = self.eff
        spq = self.spq
        issue_mv = self._imv
        ids = self.ids
        idx = self.plan.sample_index
        issue = sut.issue_queries
        acquire = self._wake.acquire
        halt = self.halt
        min_ns = eff.min_duration_ms * 1_000_000
        max_ns = (eff.max_duration_ms * 1_000_000 or _INF) if natural_stop else _INF
        max_q = (eff.max_query_count or _INF) if natural_stop else _INF
        wait = 0.25 if not self.timeout_ns else min(0.25, self.timeout_ns / 1e9)
        progress = self.progress
        next_progress = start + 100_000_000 if progress is not None else _INF
        nq = self.n_queries
        q = 0
        lo = 0
        stop_q = eff.min_query_count if natural_stop else _INF  # natural stop is checked from here on
        single = getattr(sut, "issue_sample", None) if spq == 1 else None
        if single is not None:
            return self._run_stream_single(single, start, natural_stop)
        while q < nq:
            now = _pc()
            elapsed = now - start
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
            self.returned = q
            lo = hi
            if not acquire(True, wait):
                self._wait_token(q, now)
            if halt:
                self._halted(q)
            # the official rules, checked after each issue: the last query is the first one
            # issued at or after min_duration once min_query_count queries were issued; then
            # max_query_count; then max_duration
            if q >= stop_q and elapsed >= min_ns:
                return q, END_NATURAL
            if q >= max_q:
                return q, END_MAX_QUERIES.format(count=q)
            if elapsed > max_ns:
                return q, END_MAX_DURATION.format(duration=elapsed)
        return q, END_RAN_OUT if natural_stop else END_ALL_ISSUED

    def _run_stream_single(self, single, start: int, natural_stop: bool):
        """SingleStream for SUTs that take one (id, index) as Python ints (``mlpace.compat``).

        Kept apart from ``_run_stream`` on purpose: this is the hottest loop, and a shared
        one would pay a per-query branch or call in both shapes."""
        eff = self.eff
        issue_mv = self._imv
        acquire = self._wake.acquire
        halt = self.halt
        min_ns = eff.min_duration_ms * 1_000_000
        max_ns = (eff.max_duration_ms * 1_000_000 or _INF) if natural_stop else _INF
        max_q = (eff.max_query_count or _INF) if natural_stop else _INF
        wait = 0.25 if not self.timeout_ns else min(0.25, self.timeout_ns / 1e9)
        progress = self.progress
        next_progress = start + 100_000_000 if progress is not None else _INF
        nq = self.n_queries
        stop_q = eff.min_query_count if natural_stop else _INF
        base = self.base
        q = 0
        for c0 in range(0, nq, _CHUNK):
            for index in self.plan.sample_index[c0 : c0 + _CHUNK].tolist():
                now = _pc()
                elapsed = now - start
                if now >= next_progress:
                    progress(q, nq, elapsed)
                    next_progress = now + 100_000_000
                issue_mv[q] = now
                try:
                    single(base + q, index)
                except Exception as exc:  # noqa: BLE001
                    raise _SUTFault(f"SUT raised {type(exc).__name__} in issue_queries: {exc}", q + 1) from exc
                q += 1
                self.returned = q
                if not acquire(True, wait):
                    self._wait_token(q, now)
                if halt:
                    self._halted(q)
                if q >= stop_q and elapsed >= min_ns:
                    return q, END_NATURAL
                if q >= max_q:
                    return q, END_MAX_QUERIES.format(count=q)
                if elapsed > max_ns:
                    return q, END_MAX_DURATION.format(duration=elapsed)
        return q, END_RAN_OUT if natural_stop else END_ALL_ISSUED

    def _wait_token(self, q: int, issued_at: int) -> None:
        while True:
            if self.halt:
                return
            if self.timeout_ns and _pc() - issued_at > self.timeout_ns:
                raise _SUTFault(
                    f"SUT did not complete query {q - 1} within sut_timeout_ms="
                    f"{self.eff.sut_timeout_ms}",
                    q,
                )
            if self._wake.acquire(True, 0.25):
                return

    def _run_server(self, sut, start: int, natural_stop: bool):
        eff = self.eff
        issue_mv = self._imv
        ids = self.ids
        idx = self.plan.sample_index
        issue = sut.issue_queries
        halt = self.halt
        sched = self.plan.scheduled_ns
        max_ns = (eff.max_duration_ms * 1_000_000 or _INF) if natural_stop else _INF
        max_q = (eff.max_query_count or _INF) if natural_stop else _INF
        max_async = (eff.max_async_queries or _INF) if natural_stop else _INF
        progress = self.progress
        next_progress = start + 100_000_000 if progress is not None else _INF
        nq = self.n_queries
        sleep = time.sleep
        spin_from = 2 * _SPIN_NS
        chunk = _SERVER_CHUNK
        single = getattr(sut, "issue_sample", None)
        base = self.base
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
                if now >= next_progress:
                    progress(q, nq, now - start)
                    next_progress = now + 100_000_000
                issue_mv[q] = now
                hi = q + 1
                try:
                    if single is not None:
                        single(base + q, indices[q - c0])
                    else:
                        issue(ids[q:hi], idx[q:hi])
                except Exception as exc:  # noqa: BLE001
                    raise _SUTFault(
                        f"SUT raised {type(exc).__name__} in issue_queries: {exc}", hi
                    ) from exc
                q = hi
                self.returned = q
                if halt:
                    self._halted(q)
                # the official's checks after each issue: outstanding queries, then
                # max_query_count, then max_duration (Server has no natural stop)
                outstanding = q - self.done_queries
                if outstanding > max_async:
                    return q, END_TOO_MANY.format(issued=q, outstanding=outstanding)
                if q >= max_q:
                    return q, END_MAX_QUERIES.format(count=q)
                if now - start > max_ns:
                    return q, END_MAX_DURATION.format(duration=now - start)
        return q, END_ALL_ISSUED

    def _run_server_coalescing(self, sut, start: int, natural_stop: bool):
        """Server with ``server_coalesce_queries``, as the official: when the loop reaches an
        arrival late, every later arrival already due joins it in one ``issue_queries`` call
        (each sample keeps its own scheduled time; all share the issue time)."""
        eff = self.eff
        ids = self.ids
        idx = self.plan.sample_index
        issue = sut.issue_queries
        halt = self.halt
        sched = self.plan.scheduled_ns
        issue_ns = self.issue_ns
        max_ns = (eff.max_duration_ms * 1_000_000 or _INF) if natural_stop else _INF
        max_q = (eff.max_query_count or _INF) if natural_stop else _INF
        max_async = (eff.max_async_queries or _INF) if natural_stop else _INF
        progress = self.progress
        next_progress = start + 100_000_000 if progress is not None else _INF
        nq = self.n_queries
        sleep = time.sleep
        q = 0
        while q < nq:
            target = start + int(sched[q])
            now = _pc()
            if now < target:
                if target - now > 2 * _SPIN_NS:
                    sleep((target - now - _SPIN_NS) * 1e-9)
                    now = _pc()
                while now < target:
                    now = _pc()
            if now >= next_progress:
                progress(q, nq, now - start)
                next_progress = now + 100_000_000
            hi = max(q + 1, min(int(np.searchsorted(sched, now - start, side="right")), nq))
            issue_ns[q:hi] = now
            try:
                issue(ids[q:hi], idx[q:hi])
            except Exception as exc:  # noqa: BLE001
                raise _SUTFault(f"SUT raised {type(exc).__name__} in issue_queries: {exc}", hi) from exc
            q = hi
            self.returned = q
            if halt:
                self._halted(q)
            outstanding = q - self.done_queries
            if outstanding > max_async:
                return q, END_TOO_MANY.format(issued=q, outstanding=outstanding)
            if q >= max_q:
                return q, END_MAX_QUERIES.format(count=q)
            if now - start > max_ns:
                return q, END_MAX_DURATION.format(duration=now - start)
        return q, END_ALL_ISSUED

    def _run_offline(self, sut, start: int):
        self.issue_ns[0] = start
        try:
            sut.issue_queries(self.ids, self.plan.sample_index)
        except Exception as exc:  # noqa: BLE001
            raise _SUTFault(f"SUT raised {type(exc).__name__} in issue_queries: {exc}", 1) from exc
        self.returned = 1
        if self.halt:
            self._halted(1)
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


class _SUTFault(Exception):
    def __init__(self, message: str, issued: int) -> None:
        super().__init__(message)
        self.issued = issued


class _Stopped(Exception):
    """The issue loop stopped on request (Ctrl-C, or a blocked SUT given up on)."""

    def __init__(self, issued: int) -> None:
        super().__init__("stopped")
        self.issued = issued

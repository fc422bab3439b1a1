"""Continuous-batching greedy generation for the ``textgen`` model, on one worker thread.

``Engine.submit(Generation(...))`` queues a request; the worker advances every active
sequence by one token per step (a sequence still reading its prompt feeds its next
prompt token, a generating one its last output), admits queued requests into free slots
between steps, and calls the request's ``on_token`` / ``on_done`` callbacks from the
worker thread. The per-sequence state (GRU hidden vector) lives in one preallocated
``(max_batch, H)`` array. Greedy decoding; EOS is masked while fewer than
``min_tokens`` tokens were produced, and always with ``ignore_eos``. While the worker
has sequences to advance, BLAS is limited to one thread (process-wide, via threadpoolctl;
released whenever the engine goes idle).

Both the in-process LoadGen SUT and the HTTP server (``mlpace serve``) use this engine,
so they generate the same tokens.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mlpace.workloads.textgen_model import BOS, EOS, GRU


class _BlasLimit:
    """One BLAS thread while any engine of the process is generating.

    The (64 x 128) matmuls of a step run ~20x slower when OpenBLAS splits them over busy
    cores (measured 1.5 ms vs 31 ms per step). The limit is process-wide, so it is counted:
    the first busy engine sets it, the last one to go idle restores the original, and an
    idle process leaves other computations (e.g. another model's training) as they were."""

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._limiter = None

    def acquire(self) -> None:
        with self._lock:
            self._users += 1
            if self._users == 1:
                from threadpoolctl import ThreadpoolController

                self._limiter = ThreadpoolController().limit(limits=1, user_api="blas")

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._limiter is not None:
                self._limiter.restore_original_limits()
                self._limiter = None


_ONE_BLAS_THREAD = _BlasLimit()


@dataclass(eq=False)
class Generation:
    """One request: prompt ids (BOS added by the engine), limits, callbacks, and the result."""

    prompt: np.ndarray
    max_tokens: int
    min_tokens: int = 0
    ignore_eos: bool = False
    on_token: Callable[["Generation", int], None] | None = None
    on_done: Callable[["Generation"], None] | None = None
    tag: object = None  # caller's handle (a LoadGen response id, ...)
    tokens: list[int] = field(default_factory=list)
    finish_reason: str | None = None  # "stop" (EOS), "length", "cancelled", "error: ..."
    done: threading.Event = field(default_factory=threading.Event)
    _feed: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # BOS + prompt, set on admit
    _cursor: int = 0

    def wait(self, timeout: float | None = None) -> list[int]:
        if not self.done.wait(timeout):
            raise TimeoutError("generation did not finish in time")
        return self.tokens


class Engine:
    def __init__(self, model: GRU, max_batch: int = 64):
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1 (got {max_batch})")
        self.model = model
        self.max_batch = int(max_batch)
        self._state = model.zero_state(self.max_batch)
        self._slots: list[Generation | None] = [None] * self.max_batch
        self._queue: deque[Generation] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.steps = 0
        self.tokens_generated = 0
        self.busy_ns = 0

    # ------------------------------------------------------------------ public API
    def submit(self, gen: Generation) -> Generation:
        if gen.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1 (got {gen.max_tokens})")
        gen._feed = np.concatenate([[BOS], np.asarray(gen.prompt, dtype=np.int64).reshape(-1)])
        with self._cond:
            if self._closed:
                raise RuntimeError("engine is closed")
            self._queue.append(gen)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="textgen-engine", daemon=True)
                self._thread.start()
            self._cond.notify()
        return gen

    def generate(self, prompt, max_tokens: int, min_tokens: int = 0, ignore_eos: bool = False,
                 timeout: float | None = 60.0) -> list[int]:
        """Blocking helper: the output token ids of one prompt."""
        gen = self.submit(Generation(np.asarray(prompt), max_tokens, min_tokens, ignore_eos))
        return gen.wait(timeout)

    def cancel(self, gen: Generation) -> None:
        """Stop a request (a client went away); its slot is freed at the next step."""
        with self._cond:
            if gen in self._queue:
                self._queue.remove(gen)
                self._finish(gen, "cancelled")
            elif gen.finish_reason is None:
                gen.finish_reason = "cancelled"

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for gen in list(self._queue) + [g for g in self._slots if g is not None]:
            if not gen.done.is_set():
                self._finish(gen, "cancelled")

    @property
    def active(self) -> int:
        return sum(g is not None for g in self._slots)

    # ------------------------------------------------------------------ worker
    def _finish(self, gen: Generation, reason: str) -> None:
        if gen.finish_reason is None or gen.finish_reason == "cancelled":
            gen.finish_reason = reason
        gen.done.set()
        if gen.on_done is not None:
            try:
                gen.on_done(gen)
            except Exception:  # noqa: BLE001 - a caller's callback must not stop the engine
                pass

    def _admit(self) -> None:
        for i in range(self.max_batch):
            if not self._queue:
                return
            if self._slots[i] is None:
                self._slots[i] = self._queue.popleft()
                self._state[i] = 0.0

    def _run(self) -> None:
        import time

        limited = False
        try:
            while True:
                with self._cond:
                    if not self._closed and not self._queue and self.active == 0:
                        if limited:
                            _ONE_BLAS_THREAD.release()
                            limited = False
                        while not self._closed and not self._queue and self.active == 0:
                            self._cond.wait()
                    if self._closed:
                        return
                    self._admit()
                if not limited:
                    _ONE_BLAS_THREAD.acquire()
                    limited = True
                t0 = time.perf_counter_ns()
                self._step()
                self.busy_ns += time.perf_counter_ns() - t0
        finally:
            if limited:
                _ONE_BLAS_THREAD.release()

    def _step(self) -> None:
        active = [(i, g) for i, g in enumerate(self._slots) if g is not None]
        for i, g in active:  # cancelled while active: free the slot
            if g.finish_reason == "cancelled":
                self._slots[i] = None
                self._finish(g, "cancelled")
        live = [(i, g) for i, g in active if self._slots[i] is not None]
        if not live:
            return
        idx = np.fromiter((i for i, _ in live), dtype=np.int64, count=len(live))
        tokens = np.empty(len(live), dtype=np.int64)
        pos = np.empty(len(live), dtype=np.int64)
        for k, (_, g) in enumerate(live):
            c = g._cursor
            tokens[k] = g._feed[c] if c < len(g._feed) else g.tokens[-1]
            pos[k] = c
        logits, h = self.model.step(tokens, pos, self._state[idx])
        self._state[idx] = h
        self.steps += 1
        for k, (i, g) in enumerate(live):
            g._cursor += 1
            if g._cursor < len(g._feed):
                continue  # still reading the prompt
            row = logits[k]
            if g.ignore_eos or len(g.tokens) < g.min_tokens:
                row = row.copy()
                row[EOS] = -np.inf
            tok = int(np.argmax(row))
            g.tokens.append(tok)
            self.tokens_generated += 1
            if g.on_token is not None:
                try:
                    g.on_token(g, tok)
                except Exception as exc:  # noqa: BLE001
                    g.finish_reason = f"error: {type(exc).__name__}: {exc}"
            if g.finish_reason is not None and g.finish_reason != "cancelled":
                reason = g.finish_reason
            elif tok == EOS:
                reason = "stop"
            elif len(g.tokens) >= g.max_tokens:
                reason = "length"
            else:
                continue
            self._slots[i] = None
            self._finish(g, reason)

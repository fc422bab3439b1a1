"""SUT and QSL shapes, plus two small adapters.

A QSL is any object with ``name``, ``total_sample_count``,
``performance_sample_count``, ``load_samples(indices)`` and
``unload_samples(indices)``. A SUT is any object with ``name``,
``issue_queries(ids, indices)`` (uint64 response ids, int64 QSL indices) and
``flush_queries()``; it answers with ``mlpace.loadgen.complete``. Response ids are
opaque: they carry the phase's generation in their high bits (so a late answer for an
ended test is recognised), hence they do not start at 0.

Optional fast path: a SUT may also define ``issue_sample(response_id, sample_index)``
(two Python ints). For one-sample queries (SingleStream, Server) the engine then calls it
instead of ``issue_queries``, skipping the array slices; ``mlpace.compat`` uses it.

``SimpleQSL`` wraps counts and optional callbacks. ``FunctionSUT`` turns a
function ``fn(indices) -> outputs`` into a SUT that runs inline or on worker
threads, splits large queries into batches, and returns each output as the
response payload.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Protocol, Sequence

import numpy as np


class QuerySampleLibrary(Protocol):
    name: str
    total_sample_count: int
    performance_sample_count: int

    def load_samples(self, indices: np.ndarray) -> None: ...
    def unload_samples(self, indices: np.ndarray) -> None: ...


class SystemUnderTest(Protocol):
    name: str

    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None: ...
    def flush_queries(self) -> None: ...


class SingleSampleSUT(SystemUnderTest, Protocol):
    """A SUT with the optional one-sample fast path (see the module docstring)."""

    def issue_sample(self, response_id: int, sample_index: int) -> None: ...


class SimpleQSL:
    """A QSL from counts and optional load/unload callbacks."""

    def __init__(self, name: str, total: int, performance: int | None = None,
                 load: Callable | None = None, unload: Callable | None = None) -> None:
        self.name = name
        self.total_sample_count = int(total)
        self.performance_sample_count = int(performance if performance is not None else total)
        self._load = load
        self._unload = unload

    def load_samples(self, indices: np.ndarray) -> None:
        if self._load is not None:
            self._load(indices)

    def unload_samples(self, indices: np.ndarray) -> None:
        if self._unload is not None:
            self._unload(indices)


class FunctionSUT:
    """A SUT from ``fn(indices) -> outputs`` (a sequence/array with one output per index).

    ``workers=0`` answers inside ``issue_queries``; ``workers>0`` queues queries
    to that many threads. ``batch_size`` splits large queries (Offline).
    ``with_data=False`` completes without payloads (performance runs). An exception in
    ``fn`` on a worker thread is kept and raised to the LoadGen on its next
    ``issue_queries`` or ``flush_queries`` call, so the run ends INVALID with the cause.
    """

    def __init__(self, fn: Callable[[np.ndarray], Sequence], name: str = "FunctionSUT",
                 workers: int = 0, batch_size: int = 256, with_data: bool = True,
                 complete: Callable | None = None) -> None:
        from mlpace.loadgen.api import complete as _complete

        self.name = name
        self.fn = fn
        self.batch_size = max(1, int(batch_size))
        self.with_data = with_data
        self._complete = complete or _complete
        self._queue: queue.SimpleQueue | None = None
        self._threads: list[threading.Thread] = []
        self.error: BaseException | None = None  # first exception raised by fn on a worker
        if workers > 0:
            self._queue = queue.SimpleQueue()
            for i in range(workers):
                t = threading.Thread(target=self._worker, name=f"{name}-worker-{i}", daemon=True)
                t.start()
                self._threads.append(t)

    def _answer(self, ids: np.ndarray, indices: np.ndarray) -> None:
        for lo in range(0, len(ids), self.batch_size):
            i = ids[lo : lo + self.batch_size]
            out = self.fn(indices[lo : lo + self.batch_size])
            self._complete(i, list(out) if self.with_data else None)

    def _worker(self) -> None:
        queue_ = self._queue
        assert queue_ is not None
        while True:
            item = queue_.get()
            if item is None:
                return
            if self.error is not None:
                continue  # a failed SUT answers nothing more; the LoadGen reports it
            try:
                self._answer(*item)
            except Exception as exc:  # noqa: BLE001 - ends the test now; re-raised on the next call
                self.error = exc
                from mlpace.errors import SUTError
                from mlpace.loadgen.api import fail

                try:
                    fail(f"SUT worker thread raised {type(exc).__name__}: {exc}")
                except SUTError:  # no test running any more
                    pass

    def _raise_worker_error(self) -> None:
        exc = self.error
        if exc is not None:
            raise RuntimeError(f"worker thread failed: {type(exc).__name__}: {exc}") from exc

    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:
        if self._queue is None:
            self._answer(ids, indices)
        else:
            self._raise_worker_error()
            self._queue.put((ids, indices))

    def flush_queries(self) -> None:
        self._raise_worker_error()

    def close(self) -> None:
        if self._queue is not None:
            for _ in self._threads:
                self._queue.put(None)
            for t in self._threads:
                t.join(timeout=5)
            self._queue = None

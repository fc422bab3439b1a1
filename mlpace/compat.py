"""Drop-in replacement for the official ``mlperf_loadgen`` Python module.

An existing harness runs unchanged except for its import line::

    import mlpace.compat as lg

Names, signatures and enums follow the official bindings (``TestSettings``
with the official attribute names and ``FromConfig``, ``LogSettings`` with
``log_output``, ``QuerySample(id, index)``, ``QuerySampleResponse(id, data,
size[, n_tokens])`` where ``data`` is a memory address read with ``size``
bytes, ``ConstructSUT``/``ConstructFastSUT``/``ConstructQSL``, ``StartTest``,
``StartTestWithLogSettings``, ``QuerySamplesComplete``, ``FirstTokenComplete``,
the Network division's ``ConstructQDL`` and the ``Destroy*`` calls). Underneath runs
mlpace's engine.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

import numpy as np

from mlpace.loadgen import api as _api
from mlpace.loadgen import running as _running
from mlpace.loadgen.settings import LoggingMode, TestMode, TestScenario, TestSettings

__all__ = [
    "ConstructFastSUT", "ConstructQDL", "ConstructQSL", "ConstructSUT", "DestroyFastSUT",
    "DestroyQDL", "DestroyQSL", "DestroySUT", "FirstTokenComplete", "LogOutputSettings", "LogSettings", "LoggingMode",
    "QuerySample", "QuerySampleResponse", "QuerySamplesComplete", "StartTest",
    "StartTestWithLogSettings", "TestMode", "TestScenario", "TestSettings",
    "VectorQuerySample", "VectorQuerySampleResponse",
]


_CHUNK = 65536


class QuerySample:
    """One sample of a query: ``id`` to answer with, ``index`` into the QSL."""

    __slots__ = ("id", "index")

    def __init__(self, id: int = 0, index: int = 0) -> None:  # noqa: A002 - official name
        self.id = id
        self.index = index

    def __reduce__(self):
        return (QuerySample, (self.id, self.index))

    def __repr__(self) -> str:
        return f"QuerySample(id={self.id}, index={self.index})"


class QuerySampleList(Sequence):
    """The samples of a large query (more than 65,536), made into ``QuerySample`` objects as
    they are read. It behaves as a read-only list (``len``, indexing, slicing, iteration)
    but holds only the two id/index arrays, so a million-sample Offline query costs no
    million objects up front; ``list(samples)`` gives a plain list where one is needed."""

    __slots__ = ("_ids", "_indices")

    def __init__(self, ids: np.ndarray, indices: np.ndarray) -> None:
        self._ids = ids
        self._indices = indices

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(map(QuerySample, self._ids[i].tolist(), self._indices[i].tolist()))
        return QuerySample(int(self._ids[i]), int(self._indices[i]))

    def __iter__(self):
        ids, indices = self._ids, self._indices
        for lo in range(0, len(ids), _CHUNK):
            yield from map(QuerySample, ids[lo : lo + _CHUNK].tolist(), indices[lo : lo + _CHUNK].tolist())


class QuerySampleResponse:
    """A response: ``data`` is the address of ``size`` bytes (0/0 for no payload)."""

    __slots__ = ("id", "data", "size", "n_tokens")

    def __init__(self, id: int = 0, data: int = 0, size: int = 0, n_tokens: int = 0) -> None:  # noqa: A002
        # plain ints, as the official binding converts them (a numpy integer id works)
        self.id = id if type(id) is int else int(id)
        self.data = data if type(data) is int else int(data)
        self.size = size if type(size) is int else int(size)
        self.n_tokens = n_tokens if type(n_tokens) is int else int(n_tokens)


class VectorQuerySample(list):
    """The official bindings' list of ``QuerySample`` (``append``/``extend``/``insert``/
    ``pop``/``clear``): a plain list here; the SUT may receive either."""


class VectorQuerySampleResponse(list):
    """The official bindings' list of ``QuerySampleResponse``, accepted by
    ``QuerySamplesComplete`` like any sequence."""


class LogOutputSettings:
    def __init__(self) -> None:
        self.outdir = "."
        self.prefix = "mlperf_log_"
        self.suffix = ""
        self.prefix_with_datetime = False
        self.copy_detail_to_stdout = False
        self.copy_summary_to_stdout = False


class LogSettings:
    def __init__(self) -> None:
        self.log_output = LogOutputSettings()
        self.log_mode = LoggingMode.AsyncPoll
        self.log_mode_async_poll_interval_ms = 1000
        self.enable_trace = True

    def _native(self) -> _api.LogSettings:
        o = self.log_output
        return _api.LogSettings(
            outdir=o.outdir, prefix=o.prefix, suffix=o.suffix,
            prefix_with_datetime=o.prefix_with_datetime,
            copy_detail_to_stdout=o.copy_detail_to_stdout,
            copy_summary_to_stdout=o.copy_summary_to_stdout,
            enable_trace=self.enable_trace,
        )


class _PySUT:
    name = "PySUT"

    def __init__(self, issue_cb, flush_cb) -> None:
        self._issue = issue_cb
        self._flush = flush_cb

    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:
        if len(ids) <= _CHUNK:
            self._issue(list(map(QuerySample, ids.tolist(), indices.tolist())))
            return
        self._issue(QuerySampleList(ids, indices))

    def issue_sample(self, id: int, index: int) -> None:  # noqa: A002
        """A one-sample query as Python ints (the engine's optional fast path, ``sut.py``)."""
        self._issue([QuerySample(id, index)])

    def flush_queries(self) -> None:
        self._flush()


class _PyFastSUT(_PySUT):
    name = "PyFastSUT"

    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:
        self._issue(ids.tolist(), indices.tolist())

    def issue_sample(self, id: int, index: int) -> None:  # noqa: A002
        self._issue([id], [index])  # the fast callback takes (ids, indices) lists


class _PyQDL(_PySUT):
    """A Query Dispatch Library (LoadGen over the Network): a SUT whose name comes from
    ``name_cb`` on every call, so the name round trip to the SUT nodes is what the
    LoadGen times as ``get_sut_name_duration_ns`` and logs as ``sut_name``."""

    def __init__(self, issue_cb, flush_cb, name_cb) -> None:
        super().__init__(issue_cb, flush_cb)
        self._name_cb = name_cb

    def name(self) -> str:  # type: ignore[override]  # a method: the engine calls a callable name
        try:
            return str(self._name_cb())
        except Exception as exc:  # the name round trip to the SUT nodes failed
            from mlpace.errors import SUTError

            raise SUTError(f"QDL name callback raised {type(exc).__name__}: {exc}") from exc


class _PyQSL:
    name = "PyQSL"

    def __init__(self, total: int, performance: int, load_cb, unload_cb) -> None:
        self.total_sample_count = int(total)
        self.performance_sample_count = int(performance)
        self._load = load_cb
        self._unload = unload_cb

    def load_samples(self, indices: np.ndarray) -> None:
        self._load(indices.tolist())

    def unload_samples(self, indices: np.ndarray) -> None:
        self._unload(indices.tolist())


def ConstructSUT(issue_cb, flush_queries_cb):  # noqa: N802 - official names
    return _PySUT(issue_cb, flush_queries_cb)


def ConstructFastSUT(fast_issue_cb, flush_queries_cb):  # noqa: N802
    return _PyFastSUT(fast_issue_cb, flush_queries_cb)


def ConstructQDL(issue_cb, flush_queries_cb, name_cb):  # noqa: N802
    """Network division: the QDL stands where a SUT goes in ``StartTest``."""
    return _PyQDL(issue_cb, flush_queries_cb, name_cb)


def ConstructQSL(total_sample_count, performance_sample_count, load_samples_to_ram, unload_samples_from_ram):  # noqa: N802
    return _PyQSL(total_sample_count, performance_sample_count, load_samples_to_ram, unload_samples_from_ram)


def DestroySUT(sut) -> None:  # noqa: N802
    """Nothing to free: kept for source compatibility."""


def DestroyFastSUT(sut) -> None:  # noqa: N802
    """Nothing to free: kept for source compatibility."""


def DestroyQDL(qdl) -> None:  # noqa: N802
    """Nothing to free: kept for source compatibility."""


def DestroyQSL(qsl) -> None:  # noqa: N802
    """Nothing to free: kept for source compatibility."""


def StartTest(sut, qsl, settings, audit_config_filename: str = "audit.config"):  # noqa: N802
    return StartTestWithLogSettings(sut, qsl, settings, LogSettings(), audit_config_filename)


def StartTestWithLogSettings(sut, qsl, settings, log_settings, audit_config_filename: str = "audit.config"):  # noqa: N802
    """Run the test. Returns mlpace's ``TestResult`` (the official returns None).

    Ctrl-C, SIGTERM or SIGHUP end the test with its logs written, then stop the harness (Ctrl-C
    raises ``KeyboardInterrupt``; SIGTERM/SIGHUP end the process by that signal)."""
    from mlpace import signals

    with signals.terminate_as_interrupt() as received:
        result = _api.start_test(sut, qsl, settings, log_settings._native(), audit_config_filename)
    if result.interrupted:
        signals.stop_like(received)
    return result


def _payload(r: QuerySampleResponse) -> bytes:
    if not r.data or not r.size:
        return b""
    return ctypes.string_at(r.data, r.size)


def QuerySamplesComplete(responses, response_cb=None) -> None:  # noqa: N802
    """Report responses; any thread. Payloads are read only when a log needs them.

    Responses for a test that has already ended are ignored with a warning."""
    phase = _running.phase
    if phase is None:
        if len(responses):
            _running.late_completion(int(responses[0].id))
        return
    if response_cb is None and len(responses) == 1 and not phase.wants_data:
        r = responses[0]
        if not r.n_tokens:
            phase.complete_one(r.id)
            return
    if response_cb is not None:
        for r in responses:
            response_cb(r)
    wants_data = phase.wants_data
    ids = np.fromiter((r.id for r in responses), dtype=np.int64, count=len(responses))
    data = [_payload(r) for r in responses] if wants_data else None
    tokens = [r.n_tokens for r in responses] if any(r.n_tokens for r in responses) else None
    phase.complete(ids, data, tokens)


def FirstTokenComplete(responses, response_cb=None) -> None:  # noqa: N802
    phase = _running.phase
    if phase is None:
        if len(responses):
            _running.late_completion(int(responses[0].id))
        return
    if response_cb is not None:
        for r in responses:
            response_cb(r)
    data = [_payload(r) for r in responses] if phase.wants_data else None
    phase.first_token([r.id for r in responses], data)

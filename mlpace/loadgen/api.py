"""Native LoadGen API: ``start_test`` runs a test end to end; ``complete`` takes responses.

``start_test`` checks the settings at the edge (refusing what mlpace does not
implement, applying the default ``sut_timeout_ms``) and hands the test to
``orchestrate.TestRun`` (settings -> plan -> issue -> verdict -> logs). The SUT
and QSL are duck-typed objects (see ``sut.py``). One test runs at a time in a
process; ``complete`` routes to its running phase (``running.phase``).
"""

from __future__ import annotations

import os

import numpy as np

from mlpace.errors import ConfigError, SUTError
from mlpace.loadgen import running
from mlpace.loadgen.orchestrate import LogSettings, Progress, TestResult, TestRun
from mlpace.loadgen.settings import TestScenario, TestSettings

__all__ = ["DEFAULT_SUT_TIMEOUT_MS", "LogSettings", "Progress", "TestResult", "complete", "fail",
           "first_token_complete", "refuse_unsupported", "start_test", "unsupported_settings"]

# sut_timeout_ms when the settings leave it unset: a SUT silent (or blocked in
# issue_queries) this long ends the run INVALID instead of hanging it forever. 30 minutes:
# well above the official 10-minute minimum duration, so an Offline SUT that answers the
# whole query at the end of a submission-length run is not cut off. An explicit 0 still
# means "wait forever".
DEFAULT_SUT_TIMEOUT_MS = 1_800_000


def complete(ids, data=None, n_tokens=None) -> None:
    """Report responses for response ids (an int, a numpy integer, or an array of them);
    callable from any thread.

    ``data`` is None or one payload per id (bytes, numpy array, memoryview; or a numpy
    array with one row per id, which makes no per-sample objects), logged in accuracy
    mode. ``n_tokens`` (LLM) is one count per id. A completion that arrives after its
    test ended is ignored with a warning.
    """
    phase = running.phase
    if phase is None:
        arr = np.asarray(ids).reshape(-1)
        if arr.size:
            running.late_completion(int(arr[0]))
            return
        raise SUTError("complete() called while no test is running")
    phase.complete(ids, data, n_tokens)


def fail(message: str) -> None:
    """Report a SUT fault from any thread (e.g. a worker that crashed): the running test
    ends INVALID with ``message`` as its cause instead of waiting for answers that will
    never come."""
    phase = running.phase
    if phase is None:
        raise SUTError(f"fail() called while no test is running: {message}")
    phase.fail(str(message))


def first_token_complete(ids, data=None) -> None:
    """Report the first token of sample ids (LLM token latencies); ``data`` (optional, one
    payload per id, e.g. the first token id as int32) is logged as ``token_data`` in the
    accuracy log, as the official LoadGen logs its FirstTokenComplete payloads."""
    phase = running.phase
    if phase is None:
        raise SUTError("first_token_complete() called while no test is running")
    phase.first_token(ids, data)


def start_test(
    sut,
    qsl,
    settings: TestSettings,
    log_settings: LogSettings | None = None,
    audit_config: str | os.PathLike | None = "audit.config",
    *,
    model: str = "*",
    progress: Progress | None = None,
    confirm_peak: bool = False,
) -> TestResult:
    """Run one test; blocks until done. SUT faults give an INVALID result, not an exception.

    ``confirm_peak`` (FindPeakPerformance only, an mlpace addition): after the official
    search, find the highest QPS whose run is VALID under the full rules
    (``confirm_peak.py``); the official outputs stay as they are."""
    if running.phase is not None:
        raise SUTError("a test is already running in this process")
    refuse_unsupported(settings)
    settings = settings.model_copy()
    if "sut_timeout_ms" not in settings.model_fields_set:
        settings.sut_timeout_ms = DEFAULT_SUT_TIMEOUT_MS
    return TestRun(sut, qsl, settings, log_settings, audit_config, model=model, progress=progress,
                   confirm_peak=confirm_peak).execute()


_UNSUPPORTED = (
    # (setting, applies to, why): settings of the official struct mlpace does not implement;
    # a run that sets them is refused rather than run without them
    ("server_num_issue_query_threads", "Server", "mlpace issues every query from one thread"),
    ("print_timestamps", None, "mlpace does not print per-query timestamps; use the trace "
                               "(LogSettings.enable_trace)"),
)


def unsupported_settings(settings: TestSettings) -> list[str]:
    """Messages for the settings this test sets that mlpace does not implement."""
    scen = TestScenario(settings.scenario).name
    out = []
    for key, only, why in _UNSUPPORTED:
        value = getattr(settings, key)
        if value and (only is None or only == scen):
            out.append(f"{key}={int(value)} is not supported by mlpace: {why}")
    return out


def refuse_unsupported(settings: TestSettings) -> None:
    """Raise ``ConfigError`` if the test sets a setting mlpace would otherwise ignore."""
    problems = unsupported_settings(settings)
    if problems:
        raise ConfigError("; ".join(problems) + " (unset it to run)")

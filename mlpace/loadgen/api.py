"""Native LoadGen API: ``start_test`` runs a test end to end; ``complete`` takes responses.

A test is: settings (+ ``audit.config``) -> effective settings -> loadable sets
-> for each phase, a seeded ``QueryPlan`` issued by ``issue.Phase`` -> verdict
(``results``) -> log files (``logs``). The SUT and QSL are duck-typed objects
(see ``sut.py``). One test runs at a time in a process; ``complete`` routes to it.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from mlpace import __version__
from mlpace.errors import ConfigError, SUTError
from mlpace.loadgen import schedule
from mlpace.loadgen.effective import EffectiveSettings, derive, requested_items
from mlpace.loadgen.issue import END_SILENT, Phase, PhaseRecord, is_stale_id, warn_late
from mlpace.loadgen.logs.accuracy import write_accuracy_log
from mlpace.loadgen.logs.detail import DetailLog
from mlpace.loadgen.logs.result_keys import log_results
from mlpace.loadgen.logs.summary import render_accuracy_only, render_summary
from mlpace.loadgen.logs.trace import write_trace
from mlpace.loadgen.results import PerformanceResult, TokenSettings, evaluate, performance_metrics
from mlpace.loadgen.settings import TestMode, TestScenario, TestSettings

if TYPE_CHECKING:
    from mlpace.loadgen.confirm_peak import ConfirmedPeak

Progress = Callable[[str, int, int, float], None]  # (phase label, done, total, elapsed_s)


@dataclass
class LogSettings:
    """Where and how logs are written (official ``LogOutputSettings`` + ``LogSettings``)."""

    outdir: str | os.PathLike = "."
    prefix: str = "mlperf_log_"
    suffix: str = ""
    prefix_with_datetime: bool = False
    copy_detail_to_stdout: bool = False
    copy_summary_to_stdout: bool = False
    enable_trace: bool = False

    def path(self, name: str, stamp: str) -> Path:
        prefix = (stamp + "_" if self.prefix_with_datetime else "") + self.prefix
        return Path(self.outdir) / f"{prefix}{name}{self.suffix}"


@dataclass
class TestResult:
    """Outcome of ``start_test``: verdict, reasons with numbers, metrics, where logs are."""

    scenario: TestScenario
    mode: TestMode
    valid: bool
    reasons: list[str]
    metrics: dict[str, float]
    log_dir: Path
    performance: PerformanceResult | None = None
    accuracy_samples: int = 0
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    summary_path: Path | None = None
    detail_path: Path | None = None
    accuracy_path: Path | None = None
    peak_qps: float | None = None
    confirmed_peak: "ConfirmedPeak | None" = None  # with confirm_peak=True (mlpace addition)

    @property
    def verdict(self) -> str:
        return "VALID" if self.valid else "INVALID"


_active: Phase | None = None

# sut_timeout_ms when the settings leave it unset: a SUT silent (or blocked in
# issue_queries) this long ends the run INVALID instead of hanging it forever. 30 minutes:
# well above the official 10-minute minimum duration, so an Offline SUT that answers the
# whole query at the end of a submission-length run is not cut off. An explicit 0 still
# means "wait forever".
DEFAULT_SUT_TIMEOUT_MS = 1_800_000


def running_phase() -> Phase | None:
    """The running phase's completion intake, None between tests: the interface adapters such
    as ``mlpace.compat`` use (``complete_one(id)``, ``complete(ids, data, n_tokens)``,
    ``first_token(ids)``, ``wants_data``), documented in ``issue.Phase``."""
    return _active


def late_completion(first_id: int) -> None:
    """A completion arrived while no test runs: ignore it with a warning if its id belongs
    to a test that has ended, else it is a SUT error (no test was ever given that id)."""
    if is_stale_id(first_id):
        warn_late(first_id)
        return
    raise SUTError(f"completion for response id {first_id} while no test is running")


def complete(ids, data=None, n_tokens=None) -> None:
    """Report responses for response ids (an int, a numpy integer, or an array of them);
    callable from any thread.

    ``data`` is None or one payload per id (bytes, numpy array, memoryview; or a numpy
    array with one row per id, which makes no per-sample objects), logged in accuracy
    mode. ``n_tokens`` (LLM) is one count per id. A completion that arrives after its
    test ended is ignored with a warning.
    """
    phase = _active
    if phase is None:
        arr = np.asarray(ids).reshape(-1)
        if arr.size:
            late_completion(int(arr[0]))
            return
        raise SUTError("complete() called while no test is running")
    phase.complete(ids, data, n_tokens)


def fail(message: str) -> None:
    """Report a SUT fault from any thread (e.g. a worker that crashed): the running test
    ends INVALID with ``message`` as its cause instead of waiting for answers that will
    never come."""
    phase = _active
    if phase is None:
        raise SUTError(f"fail() called while no test is running: {message}")
    phase.fail(str(message))


def first_token_complete(ids) -> None:
    """Report the first token of sample ids (LLM token latencies)."""
    phase = _active
    if phase is None:
        raise SUTError("first_token_complete() called while no test is running")
    phase.first_token(ids)


def _name_of(obj, default: str) -> str:
    name = getattr(obj, "name", None)
    if callable(name):
        name = name()
    return str(name) if name else default


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
    global _active
    if _active is not None:
        raise SUTError("a test is already running in this process")
    refuse_unsupported(settings)
    settings = settings.model_copy()
    if "sut_timeout_ms" not in settings.model_fields_set:
        settings.sut_timeout_ms = DEFAULT_SUT_TIMEOUT_MS
    scen_name = TestScenario(settings.scenario).name
    conf_warnings: list[str] = list(getattr(settings, "_conf_warnings", None) or [])
    if audit_config is not None and Path(audit_config).is_file():
        from mlpace.loadgen.config import apply_audit_config

        conf_warnings += apply_audit_config(settings, audit_config, model, scen_name)
        conf_warnings.append(f"audit.config applied: {Path(audit_config).resolve()}")
    total = int(qsl.total_sample_count)
    perf = int(qsl.performance_sample_count)
    eff = derive(settings, total, perf)

    ls = log_settings or LogSettings()
    outdir = Path(ls.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    detail = DetailLog(ls.path("detail.txt", stamp), ls.copy_detail_to_stdout)
    t_origin = time.perf_counter_ns()
    t0 = time.perf_counter_ns()
    sut_name = _name_of(sut, "PySUT")
    name_ns = time.perf_counter_ns() - t0
    detail.point("loadgen_version", f"mlpace {__version__}")
    detail.point("test_datetime", _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    detail.point("sut_name", sut_name)
    detail.point("get_sut_name_duration_ns", name_ns)
    detail.point("qsl_name", _name_of(qsl, "PyQSL"))
    detail.point("qsl_reported_total_count", total)
    detail.point("qsl_reported_performance_count", perf)
    for k, v in requested_items(settings):
        detail.point(f"requested_{k}", v)
    for k, v in eff.logged_items():
        detail.point(f"effective_{k}", v)
    for w in conf_warnings:
        detail.point("generic_message", w, warning=True)

    spans: list[tuple[str, int, int, dict]] = []
    phases: list[PhaseRecord] = []
    acc_records: list[tuple[int, int, bytes]] = []
    perf_result: PerformanceResult | None = None
    errors: list[str] = []
    interrupted = False
    peak_qps = None
    confirmed = None
    mode = eff.mode
    if confirm_peak and mode is not TestMode.FindPeakPerformance:
        raise ConfigError(f"confirm_peak needs mode FindPeakPerformance (got {mode.name})")
    first_generation: list[int] = []  # the test's first phase generation (late completions)

    def run_phase(plan, loaded, label, *, keep_all, log_mask, natural_stop) -> PhaseRecord:
        global _active
        nonlocal interrupted
        detail.point("generic_message", f"Starting {label} mode")
        detail.point("loaded_qsl_set", loaded.tolist() if len(loaded) <= 100_000 else f"{len(loaded)} samples")
        detail.point("generated_query_count", plan.query_count)
        detail.point("generated_samples_per_query", plan.samples_per_query)
        detail.point("generated_query_duration", plan.duration_ns)
        t_load = time.perf_counter_ns()
        try:
            qsl.load_samples(loaded)
        except Exception as exc:  # noqa: BLE001
            raise _QSLFault(f"QSL raised {type(exc).__name__} in load_samples: {exc}") from exc
        spans.append(("LoadSamples", t_load, time.perf_counter_ns() - t_load, {"count": int(len(loaded))}))
        cb = None
        if progress is not None:
            cb = lambda q, n, el: progress(label, q, n, el / 1e9)  # noqa: E731
        phase = Phase(plan, eff, keep_all_data=keep_all, log_mask=log_mask, progress=cb,
                      test_first_generation=first_generation[0] if first_generation else None,
                      coalesce=bool(settings.server_coalesce_queries))
        first_generation[:1] = [phase.test_first_generation]
        wall_begin = _dt.datetime.now()
        _active = phase
        try:
            rec = phase.run(sut, natural_stop=natural_stop)
        finally:
            _active = None
        wall_end = _dt.datetime.now()
        if rec.errors or rec.interrupted:
            for e in rec.errors:
                detail.point("error_runtime", e, error=True)
            if rec.interrupted:
                detail.point("error_runtime", rec.end_message, error=True)
        elif label == "performance" and rec.end_kind != END_SILENT:
            # the official's end message: "Ending naturally" as a message, an early stop
            # (max query count, max duration, too many outstanding, ran out) as an error
            detail.point(rec.end_kind, rec.end_message, error=rec.end_kind == "error_runtime")
        if rec.late_completions:
            detail.point("mlpace_late_completions", rec.late_completions, warning=True)
        detail.point("power_begin", wall_begin.strftime("%m-%d-%Y %H:%M:%S.%f")[:-3])
        detail.point("power_end", wall_end.strftime("%m-%d-%Y %H:%M:%S.%f")[:-3])
        try:
            qsl.unload_samples(loaded)
        except Exception as exc:  # noqa: BLE001
            raise _QSLFault(f"QSL raised {type(exc).__name__} in unload_samples: {exc}") from exc
        phases.append(rec)
        if rec.interrupted:
            interrupted = True
        errors.extend(rec.errors)
        return rec

    def performance_run(run_eff: EffectiveSettings) -> PerformanceResult:
        nonlocal eff
        eff = run_eff
        t = time.perf_counter_ns()
        loaded = schedule.performance_set(run_eff, total)
        spans.append(("GenerateLoadableSets", t, time.perf_counter_ns() - t, {}))
        t = time.perf_counter_ns()
        plan = schedule.performance_plan(run_eff, loaded)
        spans.append(("GenerateQueries", t, time.perf_counter_ns() - t, {}))
        mask = schedule.accuracy_log_mask(run_eff, plan.sample_count, float(plan.sample_count))
        rec = run_phase(plan, loaded, "performance", keep_all=False, log_mask=mask, natural_stop=True)
        if mask is not None:
            n = rec.issued_samples
            for i in sorted(rec.data):
                if i < n:
                    acc_records.append((i, int(plan.sample_index[i]), rec.data[i]))
        return evaluate(run_eff, rec, TokenSettings.of(settings))

    try:
        if mode in (TestMode.AccuracyOnly, TestMode.SubmissionRun):
            seq = 0
            t = time.perf_counter_ns()
            sets = schedule.loadable_sets(eff.accuracy_sample_count if eff.accuracy_sample_count <= total else total,
                                          eff.performance_sample_count, eff.qsl_rng_seed)
            spans.append(("GenerateLoadableSets", t, time.perf_counter_ns() - t, {}))
            for loaded in sets:
                plan = schedule.accuracy_plan(eff, loaded)
                rec = run_phase(plan, loaded, "accuracy", keep_all=True, log_mask=None, natural_stop=False)
                n_unique = len(loaded)
                for i in range(min(rec.issued_samples, n_unique)):
                    acc_records.append((seq + i, int(plan.sample_index[i]), rec.data.get(i, b"")))
                seq += n_unique
                if rec.failed:
                    break
        if mode in (TestMode.PerformanceOnly, TestMode.SubmissionRun) and not errors and not interrupted:
            perf_result = performance_run(eff)
        if mode is TestMode.FindPeakPerformance:
            from mlpace.loadgen.peak import find_peak

            peak_qps, perf_result = find_peak(settings, total, perf, performance_run, detail)
            if confirm_peak and peak_qps is not None and not interrupted:
                from mlpace.loadgen import confirm_peak as _confirm

                peak_run = perf_result
                confirmed = _confirm.confirm_peak(peak_qps, peak_run.eff, performance_run, detail)
                perf_result = peak_run  # the official outputs describe the FindPeak result
    except _QSLFault as exc:
        errors.append(str(exc))
        detail.point("error_runtime", str(exc), error=True)
    except KeyboardInterrupt:
        interrupted = True
        detail.point("error_runtime", "Interrupted by the user (Ctrl-C).", error=True)
    finally:
        _active = None

    # ---------------------------------------------------------------- results and files
    if perf_result is not None:
        perf_result.errors = list(dict.fromkeys(perf_result.errors + errors))
        perf_result.interrupted = perf_result.interrupted or interrupted
        log_results(detail, perf_result)
        if confirmed is not None:
            detail.point("mlpace_confirmed_peak_qps", confirmed.qps if confirmed.qps is not None else 0)
            detail.point("mlpace_confirmed_peak_tries", [[t.target_qps, "VALID" if t.valid else "INVALID"]
                                                         for t in confirmed.tries])
    elif errors or interrupted:
        detail.point("result_validity", "INVALID")
    detail.point("num_errors", detail.errors)

    summary_path = ls.path("summary.txt", stamp)
    if perf_result is not None:
        text = render_summary(sut_name, mode.name, perf_result, detail.warnings, detail.errors)
    else:
        text = render_accuracy_only(detail.warnings, detail.errors)
    summary_path.write_text(text, encoding="utf-8")
    if ls.copy_summary_to_stdout:
        print(text, end="")
    acc_path = ls.path("accuracy.json", stamp)
    write_accuracy_log(acc_path, acc_records)
    if ls.enable_trace:
        write_trace(ls.path("trace.json", stamp), spans, phases, t_origin)
    detail.close()

    if perf_result is not None:
        valid = perf_result.valid
        reasons = perf_result.reasons()
        metrics = performance_metrics(perf_result)
    else:
        valid = not errors and not interrupted
        reasons = list(errors) + (["interrupted by the user (Ctrl-C)"] if interrupted else [])
        metrics = {}
    if mode is TestMode.FindPeakPerformance and peak_qps is not None:
        metrics["peak_qps"] = peak_qps
    if confirmed is not None:
        from mlpace.loadgen import confirm_peak as _confirm

        _confirm.write(confirmed, outdir)
        if confirmed.qps is not None:
            metrics["confirmed_peak_qps"] = confirmed.qps
    return TestResult(
        scenario=eff.scenario,
        mode=mode,
        valid=valid,
        reasons=reasons,
        metrics=metrics,
        log_dir=outdir,
        performance=perf_result,
        accuracy_samples=len(acc_records) if mode in (TestMode.AccuracyOnly, TestMode.SubmissionRun) else 0,
        interrupted=interrupted,
        errors=list(dict.fromkeys(errors)),
        summary_path=summary_path,
        detail_path=detail.path,
        accuracy_path=acc_path,
        peak_qps=peak_qps,
        confirmed_peak=confirmed,
    )


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


class _QSLFault(Exception):
    pass

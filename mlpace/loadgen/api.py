"""Native LoadGen API: ``start_test`` runs a test end to end; ``complete`` takes responses.

A test is: settings (+ ``audit.config``) -> effective settings -> loadable sets
-> for each phase, a seeded ``QueryPlan`` issued by ``issue.Phase`` -> verdict
(``results``) -> log files (``logs``). The SUT and QSL are duck-typed objects
(see ``sut.py``). One test runs at a time in a process; ``complete`` routes to it.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from mlpace import __version__
from mlpace.errors import ConfigError, SUTError
from mlpace.loadgen import schedule
from mlpace.loadgen.effective import EffectiveSettings, derive, requested_items
from mlpace.loadgen.issue import END_NATURAL, END_RAN_OUT, Phase, PhaseRecord
from mlpace.loadgen.logs.accuracy import write_accuracy_log
from mlpace.loadgen.logs.detail import DetailLog
from mlpace.loadgen.logs.summary import render_accuracy_only, render_summary
from mlpace.loadgen.logs.trace import write_trace
from mlpace.loadgen.results import PERCENTILES, PerformanceResult, TokenSettings, evaluate
from mlpace.loadgen.settings import TestMode, TestScenario, TestSettings

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

    @property
    def verdict(self) -> str:
        return "VALID" if self.valid else "INVALID"


_active: Phase | None = None


def complete(ids, data=None, n_tokens=None) -> None:
    """Report responses for sample ids (an int or array); callable from any thread.

    ``data`` is None or one payload per id (bytes, numpy array, memoryview; or a numpy
    array with one row per id, which makes no per-sample objects), logged in accuracy
    mode. ``n_tokens`` (LLM) is one count per id.
    """
    phase = _active
    if phase is None:
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


def first_token_complete(ids, data=None) -> None:
    """Report the first token of sample ids (LLM token latencies); ``data`` (optional, one
    payload per id, e.g. the first token id as int32) is logged as ``token_data`` in the
    accuracy log, as the official LoadGen logs its FirstTokenComplete payloads."""
    phase = _active
    if phase is None:
        raise SUTError("first_token_complete() called while no test is running")
    phase.first_token(ids, data)


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
) -> TestResult:
    """Run one test; blocks until done. SUT faults give an INVALID result, not an exception."""
    global _active
    if _active is not None:
        raise SUTError("a test is already running in this process")
    settings = settings.model_copy()
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
    for w in unsupported_settings(settings):
        detail.point("generic_message", w, warning=True)

    spans: list[tuple[str, int, int, dict]] = []
    phases: list[PhaseRecord] = []
    acc_records: list[tuple] = []  # (seq_id, qsl_idx, data[, token_data, token_count])
    log_tokens = bool(settings.use_token_latencies)

    def acc_record(seq: int, idx: int, rec, i: int) -> tuple:
        data = rec.data.get(i, b"")
        if not log_tokens:
            return (seq, idx, data)
        offline = TestScenario(settings.scenario) is TestScenario.Offline
        token_data = None if offline else rec.token_data.get(i, b"")
        count = int(rec.n_tokens[i]) if rec.n_tokens is not None and i < len(rec.n_tokens) else 0
        return (seq, idx, data, token_data, count)

    perf_result: PerformanceResult | None = None
    errors: list[str] = []
    interrupted = False
    peak_qps = None
    mode = eff.mode

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
        phase = Phase(plan, eff, keep_all_data=keep_all, log_mask=log_mask, progress=cb)
        wall_begin = _dt.datetime.now()
        _active = phase
        try:
            rec = phase.run(sut, natural_stop=natural_stop)
        finally:
            _active = None
        wall_end = _dt.datetime.now()
        if rec.end_message == END_RAN_OUT:
            detail.point("error_runtime", rec.end_message, error=True)
        elif rec.errors or rec.interrupted:
            for e in rec.errors:
                detail.point("error_runtime", e, error=True)
            if rec.interrupted:
                detail.point("error_runtime", rec.end_message, error=True)
        elif label == "performance":
            detail.point("generic_message", rec.end_message)
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
                    acc_records.append(acc_record(i, int(plan.sample_index[i]), rec, i))
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
                    acc_records.append(acc_record(seq + i, int(plan.sample_index[i]), rec, i))
                seq += n_unique
                if rec.failed:
                    break
        if mode in (TestMode.PerformanceOnly, TestMode.SubmissionRun) and not errors and not interrupted:
            perf_result = performance_run(eff)
        if mode is TestMode.FindPeakPerformance:
            from mlpace.loadgen.peak import find_peak

            peak_qps, perf_result = find_peak(settings, total, perf, performance_run, detail)
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
        _log_results(detail, perf_result)
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
        metrics = _metrics(perf_result)
    else:
        valid = not errors and not interrupted
        reasons = list(errors) + (["interrupted by the user (Ctrl-C)"] if interrupted else [])
        metrics = {}
    if mode is TestMode.FindPeakPerformance and peak_qps is not None:
        metrics["peak_qps"] = peak_qps
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
    )


def unsupported_settings(settings: TestSettings) -> list[str]:
    """Warnings for settings mlpace accepts (for conf compatibility) but does not act on."""
    out = []
    scen = TestScenario(settings.scenario)
    if scen is TestScenario.Server and settings.server_coalesce_queries:
        out.append("server_coalesce_queries is not supported by mlpace: queries are issued one by one")
    if scen is TestScenario.Server and settings.server_num_issue_query_threads:
        out.append("server_num_issue_query_threads is not supported by mlpace: one thread issues every query")
    if settings.infer_token_latencies:
        out.append("infer_token_latencies is not supported by mlpace: token figures come only from "
                   "FirstTokenComplete and the n_tokens of each completion (use_token_latencies)")
    return out


class _QSLFault(Exception):
    pass


def _metrics(r: PerformanceResult) -> dict[str, float]:
    m: dict[str, float] = {
        "query_count": r.query_count,
        "sample_count": r.sample_count,
        "min_latency_ns": r.latency.min,
        "max_latency_ns": r.latency.max,
        "mean_latency_ns": r.latency.mean,
    }
    for p in PERCENTILES:
        m[f"p{p * 100:g}_latency_ns"] = r.latency.percentiles[p]
    s = r.eff.scenario
    if s is TestScenario.Offline:
        m["samples_per_second"] = r.samples_per_second
    elif s is TestScenario.Server:
        m["completed_samples_per_sec"] = r.completed_samples_per_sec
        m["scheduled_samples_per_sec"] = r.scheduled_samples_per_sec
        m["overlatency_query_count"] = r.overlatency_count
        if r.issue_lag_p50_ns is not None:
            m["issue_lag_p50_ns"] = r.issue_lag_p50_ns
            m["issue_lag_p99_ns"] = r.issue_lag_p99_ns
    else:
        m["qps_with_loadgen_overhead"] = r.qps_with_overhead
        m["qps_without_loadgen_overhead"] = r.qps_without_overhead
        if r.es_latency_ss is not None:
            m["early_stopping_latency_ss"] = r.es_latency_ss
        if r.es_latency_ms is not None:
            m["early_stopping_latency_ms"] = r.es_latency_ms
    tk = r.tokens
    if tk is not None:
        m["token_count"] = tk.token_count
        if s is TestScenario.Offline:
            m["tokens_per_second"] = tk.tokens_per_second
        else:
            m["completed_tokens_per_sec"] = tk.completed_tokens_per_sec
            for name, st in (("ttft", tk.ttft), ("tpot", tk.tpot)):
                m[f"min_{name}_ns"], m[f"max_{name}_ns"], m[f"mean_{name}_ns"] = st.min, st.max, st.mean
                for p in PERCENTILES:
                    m[f"p{p * 100:g}_{name}_ns"] = st.percentiles[p]
    m["result_metric"] = r.metric_value
    return m


def _g6(x: float) -> float:
    """A double as the official's detail log prints it (six significant digits)."""
    return float(format(x, ".6g"))


def _log_results(detail: DetailLog, r: PerformanceResult) -> None:
    s = r.eff.scenario
    detail.point("result_validity", "VALID" if r.valid else "INVALID")
    if s is TestScenario.Server:
        detail.point("result_perf_constraints_met", bool(r.perf_constraints_met))
    detail.point("result_min_duration_met", r.min_duration_met)
    detail.point("result_min_queries_met", r.min_queries_met)
    detail.point("early_stopping_met", r.early_stopping_met)
    if not r.valid:
        texts = list(r.recommendations) + [f"Run failed: {e}" for e in r.errors]
        if r.interrupted:
            texts.append("Interrupted by the user (Ctrl-C).")
        detail.point("result_invalid_reason", "".join(t + " " for t in texts))
    tk = r.tokens
    if tk is not None:
        detail.point("early_stopping_ttft_result", " ".join(l.replace("\n", " ") for l in tk.ttft_es_lines))
        detail.point("early_stopping_tpot_result", " ".join(l.replace("\n", " ") for l in tk.tpot_es_lines))
    else:
        detail.point("early_stopping_result", " ".join(l.replace("\n", " ") for l in r.early_stopping_lines))
    detail.point("result_query_count", r.query_count)
    if s is TestScenario.Server:
        detail.point("result_overlatency_query_count", r.overlatency_count)
        detail.point("result_scheduled_samples_per_sec", round(r.scheduled_samples_per_sec, 3))
        detail.point("result_completed_samples_per_sec", round(r.completed_samples_per_sec, 3))
        if r.issue_lag_p50_ns is not None:
            detail.point("mlpace_issue_lag_p50_ns", r.issue_lag_p50_ns)
            detail.point("mlpace_issue_lag_p99_ns", r.issue_lag_p99_ns)
    elif s is TestScenario.Offline:
        detail.point("result_samples_per_second", round(r.samples_per_second, 3))
    elif s is TestScenario.SingleStream:
        detail.point("result_qps_with_loadgen_overhead", round(r.qps_with_overhead, 2))
        detail.point("result_qps_without_loadgen_overhead", round(r.qps_without_overhead, 2))
        detail.point("early_stopping_latency_ss", r.es_latency_ss or 0)
        detail.point("early_stopping_latency_ms", r.es_latency_ms or 0)
    else:  # MultiStream: the per-query figures (a query's latency is its slowest sample)
        _log_latency(detail, r.latency, "_query", "_per_query")
        detail.point("early_stopping_latency_ms", r.es_latency_ms or 0)
    _log_latency(detail, r.latency, "", "")
    if tk is not None:
        _log_token_results(detail, r)


def _log_token_results(detail: DetailLog, r: PerformanceResult) -> None:
    """The official's token keys, in its order (Offline: only the token rate)."""
    tk, s = r.tokens, r.eff.scenario
    if s is TestScenario.Offline:
        detail.point("result_tokens_per_second", _g6(tk.tokens_per_second))
        return
    detail.point("result_first_token_min_latency_ns", tk.ttft.min)
    detail.point("result_first_token_max_latency_ns", tk.ttft.max)
    detail.point("result_first_token_mean_latency_ns", tk.ttft.mean)
    for p in PERCENTILES:
        detail.point(f"result_first_token_{p * 100:.2f}_percentile_latency_ns", tk.ttft.percentiles[p])
    detail.point("result_token_throughput_with_loadgen_overhead", _g6(tk.tokens_per_sec_with_overhead))
    detail.point("result_token_throughput", _g6(tk.token_throughput))  # sic: tokens / (mean ns * samples)
    for p in PERCENTILES:
        detail.point(f"result_time_per_output_token_{p * 100:.2f}_percentile_ns", tk.tpot.percentiles[p])
    detail.point("result_time_to_output_token_min", tk.tpot.min)
    detail.point("result_time_to_output_token_max", tk.tpot.max)
    detail.point("result_time_to_output_token_mean", tk.tpot.mean)
    detail.point("result_completed_tokens_per_second", _g6(tk.completed_tokens_per_sec))


def _log_latency(detail: DetailLog, lat, stat_infix: str, pct_infix: str) -> None:
    """``result_{min,max,mean}{stat_infix}_latency_ns`` and the percentile keys."""
    detail.point(f"result_min{stat_infix}_latency_ns", lat.min)
    detail.point(f"result_max{stat_infix}_latency_ns", lat.max)
    detail.point(f"result_mean{stat_infix}_latency_ns", lat.mean)
    for p in PERCENTILES:
        detail.point(f"result_{p * 100:.2f}_percentile{pct_infix}_latency_ns", lat.percentiles[p])

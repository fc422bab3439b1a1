"""One test from settings to files: ``TestRun`` drives the steps, each in one place.

settings (+ ``audit.config``) -> ``effective.derive`` -> detail-log header ->
for each phase of the mode: a seeded ``schedule`` plan issued by ``issue.Phase``
-> ``results.evaluate`` (verdict) -> ``logs`` (summary, detail result keys,
accuracy log, trace) -> ``TestResult``. ``api.start_test`` is the public entry.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from mlpace import __version__
from mlpace.errors import ConfigError
from mlpace.loadgen import running, schedule
from mlpace.loadgen.effective import EffectiveSettings, derive, requested_items
from mlpace.loadgen.issue import END_ERROR, END_SILENT, Phase, PhaseRecord
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


class QSLFault(Exception):
    """The QSL raised in load_samples/unload_samples."""


def _name_of(obj, default: str) -> str:
    name = getattr(obj, "name", None)
    if callable(name):
        name = name()
    return str(name) if name else default


class TestRun:
    """The state of one test while it runs; ``execute()`` runs it and returns the result."""

    def __init__(self, sut, qsl, settings: TestSettings, log_settings: LogSettings | None,
                 audit_config, *, model: str, progress: Progress | None, confirm_peak: bool) -> None:
        self.sut, self.qsl, self.settings = sut, qsl, settings
        self.progress = progress
        self.confirm = confirm_peak
        # ---- config: audit.config on top of the settings, then the effective values
        self.conf_warnings: list[str] = list(getattr(settings, "_conf_warnings", None) or [])
        if audit_config is not None and Path(audit_config).is_file():
            from mlpace.loadgen.config import apply_audit_config

            scen_name = TestScenario(settings.scenario).name
            self.conf_warnings += apply_audit_config(settings, audit_config, model, scen_name)
            self.conf_warnings.append(f"audit.config applied: {Path(audit_config).resolve()}")
        self.total = int(qsl.total_sample_count)
        self.perf = int(qsl.performance_sample_count)
        self.eff: EffectiveSettings = derive(settings, self.total, self.perf)
        self.mode = self.eff.mode
        if confirm_peak and self.mode is not TestMode.FindPeakPerformance:
            raise ConfigError(f"confirm_peak needs mode FindPeakPerformance (got {self.mode.name})")
        # ---- outputs
        self.ls = log_settings or LogSettings()
        self.outdir = Path(self.ls.outdir)
        self.spans: list[tuple[str, int, int, dict]] = []
        self.phases: list[PhaseRecord] = []
        self.acc_records: list[tuple] = []  # (seq_id, qsl_idx, data[, token_data, token_count])
        self.generated = 0  # samples generated so far in this test (the official SequenceGen)
        self.perf_result: PerformanceResult | None = None
        self.errors: list[str] = []
        self.interrupted = False
        self.peak_qps: float | None = None
        self.confirmed: ConfirmedPeak | None = None
        self.first_generation: int | None = None  # of the test's first phase (late completions)

    # ---------------------------------------------------------------- steps
    def execute(self) -> TestResult:
        self.outdir.mkdir(parents=True, exist_ok=True)
        self.stamp = _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        self.detail = DetailLog(self.ls.path("detail.txt", self.stamp), self.ls.copy_detail_to_stdout)
        self.t_origin = time.perf_counter_ns()
        self._write_header()
        try:
            self._run_mode()
        except QSLFault as exc:
            self.errors.append(str(exc))
            self.detail.point("error_runtime", str(exc), error=True)
        except KeyboardInterrupt:
            self.interrupted = True
            self.detail.point("error_runtime", "Interrupted by the user (Ctrl-C).", error=True)
        finally:
            running.phase = None
        return self._finish()

    def _write_header(self) -> None:
        detail = self.detail
        t0 = time.perf_counter_ns()
        self.sut_name = _name_of(self.sut, "PySUT")
        name_ns = time.perf_counter_ns() - t0
        detail.point("loadgen_version", f"mlpace {__version__}")
        detail.point("test_datetime", _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        detail.point("sut_name", self.sut_name)
        detail.point("get_sut_name_duration_ns", name_ns)
        detail.point("qsl_name", _name_of(self.qsl, "PyQSL"))
        detail.point("qsl_reported_total_count", self.total)
        detail.point("qsl_reported_performance_count", self.perf)
        for k, v in requested_items(self.settings):
            detail.point(f"requested_{k}", v)
        for k, v in self.eff.logged_items():
            detail.point(f"effective_{k}", v)
        for w in self.conf_warnings:
            detail.point("generic_message", w, warning=True)

    def _run_mode(self) -> None:
        mode, eff, total = self.mode, self.eff, self.total
        if mode in (TestMode.AccuracyOnly, TestMode.SubmissionRun):
            t = time.perf_counter_ns()
            sets = schedule.accuracy_sets(eff, total)
            self.spans.append(("GenerateLoadableSets", t, time.perf_counter_ns() - t, {}))
            for loaded in sets:
                plan = schedule.accuracy_plan(eff, loaded)
                seq = self.generated
                self.generated += plan.sample_count
                rec = self.run_phase(plan, loaded, "accuracy", keep_all=True, log_mask=None, natural_stop=False)
                for i in range(rec.issued_samples):  # every issued sample, as officially
                    self.acc_records.append(self._acc_record(seq + i, int(plan.sample_index[i]), rec, i))
                if rec.failed:
                    break
        if mode in (TestMode.PerformanceOnly, TestMode.SubmissionRun) and not self.errors and not self.interrupted:
            self.perf_result = self.performance_run(eff)
        if mode is TestMode.FindPeakPerformance:
            from mlpace.loadgen.peak import find_peak

            self.peak_qps, self.perf_result = find_peak(self.settings, total, self.perf, self.performance_run,
                                                        self.detail)
            if self.confirm and self.peak_qps is not None and not self.interrupted:
                from mlpace.loadgen.confirm_peak import confirm_peak

                peak_run = self.perf_result
                self.confirmed = confirm_peak(self.peak_qps, peak_run.eff, self.performance_run, self.detail)
                self.perf_result = peak_run  # the official outputs describe the FindPeak result

    def performance_run(self, run_eff: EffectiveSettings) -> PerformanceResult:
        """One performance phase at ``run_eff`` and its verdict (FindPeak calls it per try)."""
        self.eff = run_eff
        t = time.perf_counter_ns()
        loaded = schedule.performance_set(run_eff, self.total)
        self.spans.append(("GenerateLoadableSets", t, time.perf_counter_ns() - t, {}))
        t = time.perf_counter_ns()
        plan = schedule.performance_plan(run_eff, loaded)
        self.spans.append(("GenerateQueries", t, time.perf_counter_ns() - t, {}))
        first_seq = self.generated  # sample sequence ids run on across the test's phases
        self.generated += plan.sample_count
        mask = schedule.accuracy_log_mask(run_eff, plan.sample_count, first_seq)
        rec = self.run_phase(plan, loaded, "performance", keep_all=False, log_mask=mask, natural_stop=True)
        if mask is not None:
            n = rec.issued_samples
            for i in sorted(rec.data):
                if i < n:
                    self.acc_records.append(self._acc_record(first_seq + i, int(plan.sample_index[i]), rec, i))
        return evaluate(run_eff, rec, TokenSettings.of(self.settings))

    def _acc_record(self, seq: int, idx: int, rec: PhaseRecord, i: int) -> tuple:
        """One accuracy-log record; with token latencies also the first-token payload (not in
        Offline) and the token count, as the official logs them."""
        data = rec.data.get(i, b"")
        if not self.settings.use_token_latencies:
            return (seq, idx, data)
        offline = TestScenario(self.settings.scenario) is TestScenario.Offline
        token_data = None if offline else rec.token_data.get(i, b"")
        count = int(rec.n_tokens[i]) if rec.n_tokens is not None and i < len(rec.n_tokens) else 0
        return (seq, idx, data, token_data, count)

    def run_phase(self, plan, loaded, label, *, keep_all, log_mask, natural_stop) -> PhaseRecord:
        """Load the set, issue the plan, log how the phase ended, unload."""
        detail = self.detail
        detail.point("generic_message", f"Starting {label} mode")
        detail.point("loaded_qsl_set", loaded.tolist() if len(loaded) <= 100_000 else f"{len(loaded)} samples")
        detail.point("generated_query_count", plan.query_count)
        detail.point("generated_samples_per_query", plan.samples_per_query)
        detail.point("generated_query_duration", plan.duration_ns)
        t_load = time.perf_counter_ns()
        try:
            self.qsl.load_samples(loaded)
        except Exception as exc:  # noqa: BLE001
            raise QSLFault(f"QSL raised {type(exc).__name__} in load_samples: {exc}") from exc
        self.spans.append(("LoadSamples", t_load, time.perf_counter_ns() - t_load, {"count": int(len(loaded))}))
        cb = None
        if self.progress is not None:
            progress = self.progress
            cb = lambda q, n, el: progress(label, q, n, el / 1e9)  # noqa: E731
        phase = Phase(plan, self.eff, keep_all_data=keep_all, log_mask=log_mask, progress=cb,
                      test_first_generation=self.first_generation,
                      coalesce=bool(self.settings.server_coalesce_queries))
        self.first_generation = phase.test_first_generation
        wall_begin = _dt.datetime.now()
        running.phase = phase
        try:
            rec = phase.run(self.sut, natural_stop=natural_stop)
        finally:
            running.phase = None
        _take_phase_report(self.sut, rec, detail)
        wall_end = _dt.datetime.now()
        if rec.errors or rec.interrupted:
            for e in rec.errors:
                detail.point("error_runtime", e, error=True)
            if rec.interrupted:
                detail.point("error_runtime", rec.end_message, error=True)
        elif label == "performance" and rec.end_kind != END_SILENT:
            # the official's end message: "Ending naturally" as a message, an early stop
            # (max query count, max duration, too many outstanding, ran out) as an error
            detail.point(rec.end_kind, rec.end_message, error=rec.end_kind == END_ERROR)
        if rec.late_completions:
            detail.point("mlpace_late_completions", rec.late_completions, warning=True)
        detail.point("power_begin", wall_begin.strftime("%m-%d-%Y %H:%M:%S.%f")[:-3])
        detail.point("power_end", wall_end.strftime("%m-%d-%Y %H:%M:%S.%f")[:-3])
        try:
            self.qsl.unload_samples(loaded)
        except Exception as exc:  # noqa: BLE001
            raise QSLFault(f"QSL raised {type(exc).__name__} in unload_samples: {exc}") from exc
        self.phases.append(rec)
        if rec.interrupted:
            self.interrupted = True
        self.errors.extend(rec.errors)
        return rec

    def _finish(self) -> TestResult:
        """Verdict keys, summary, accuracy log, trace; then the ``TestResult``."""
        detail, ls, mode, perf_result = self.detail, self.ls, self.mode, self.perf_result
        errors, interrupted, confirmed = self.errors, self.interrupted, self.confirmed
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

        summary_path = ls.path("summary.txt", self.stamp)
        if perf_result is not None:
            text = render_summary(self.sut_name, mode.name, perf_result, detail.warnings, detail.errors)
        else:
            text = render_accuracy_only(detail.warnings, detail.errors)
        summary_path.write_text(text, encoding="utf-8")
        if ls.copy_summary_to_stdout:
            print(text, end="")
        acc_path = ls.path("accuracy.json", self.stamp)
        write_accuracy_log(acc_path, self.acc_records)
        if ls.enable_trace:
            write_trace(ls.path("trace.json", self.stamp), self.spans, self.phases, self.t_origin)
        detail.close()

        if perf_result is not None:
            valid = perf_result.valid
            reasons = perf_result.reasons()
            metrics = performance_metrics(perf_result)
        else:
            valid = not errors and not interrupted
            reasons = list(errors) + (["interrupted by the user (Ctrl-C)"] if interrupted else [])
            metrics = {}
        if mode is TestMode.FindPeakPerformance and self.peak_qps is not None:
            metrics["peak_qps"] = self.peak_qps
        if confirmed is not None:
            from mlpace.loadgen.confirm_peak import write

            write(confirmed, self.outdir)
            if confirmed.qps is not None:
                metrics["confirmed_peak_qps"] = confirmed.qps
        return TestResult(
            scenario=self.eff.scenario,
            mode=mode,
            valid=valid,
            reasons=reasons,
            metrics=metrics,
            log_dir=self.outdir,
            performance=perf_result,
            accuracy_samples=len(self.acc_records) if mode in (TestMode.AccuracyOnly, TestMode.SubmissionRun) else 0,
            interrupted=interrupted,
            errors=list(dict.fromkeys(errors)),
            summary_path=summary_path,
            detail_path=detail.path,
            accuracy_path=acc_path,
            peak_qps=self.peak_qps,
            confirmed_peak=confirmed,
        )


def _take_phase_report(sut, rec: PhaseRecord, detail) -> None:
    """Optional SUT hook ``phase_report() -> (errors, detail_items, warnings)``, after each phase.

    A SUT that counts its own faults (e.g. the HTTP endpoint SUT: failed requests by kind,
    client send lag) returns them here: each error makes the run INVALID and becomes a
    ``Run failed:`` line; each ``(key, value)`` item is written to the detail log; each
    warning is a detail-log ``generic_message`` warning (counted in the summary)."""
    hook = getattr(sut, "phase_report", None)
    if not callable(hook):
        return
    try:
        extra_errors, items, warnings = hook()
    except Exception as exc:  # noqa: BLE001 - a SUT fault becomes a reason
        extra_errors, items, warnings = [f"SUT raised {type(exc).__name__} in phase_report: {exc}"], [], []
    for key, value in items:
        detail.point(key, value)
    for w in warnings:
        detail.point("generic_message", w, warning=True)
    for e in extra_errors:
        if e not in rec.errors:
            rec.errors.append(e)

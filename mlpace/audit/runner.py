"""Run audit tests for a workload and scenario, laying folders out as a submission does.

``run_audits(workload, scenario, out_dir)`` makes ``out_dir`` a scenario results folder::

    out_dir/accuracy/                 reference AccuracyOnly run (+ accuracy.txt)
    out_dir/performance/run_1/        reference PerformanceOnly run
    out_dir/TEST0x/audit.config       the official overrides used
    out_dir/TEST0x/performance/run_1/ the audit run's summary and detail logs
    out_dir/TEST01/accuracy/          the sampled responses (TEST01)
    out_dir/TEST0x/verify_*.txt       verdicts

LLM workloads (``textgen``) default to TEST06 and TEST09 (``llm``), which need no reference
runs: their verdicts read the audit run's accuracy log only (copied to ``TEST0x/accuracy/``).

Pass ``reference_dir`` to audit against existing reference runs instead (a folder with
``accuracy/mlperf_log_accuracy.json`` and ``performance/run_1/mlperf_log_summary.txt``).
All runs share one QSL and one SUT object, as a real submission's would.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpace.audit import configs, llm, verify
from mlpace.errors import ConfigError, DataError
from mlpace.loadgen.logs.read import ACCURACY, SUMMARY
from mlpace.loadgen.settings import TestMode

_PAYLOAD_DTYPE_NAMES = {"<i8": "int64", "<f4": "float32", "<i4": "int32"}


@dataclass
class AuditOutcome:
    test: str
    passed: bool
    accuracy: verify.Verdict | None
    performance: verify.Verdict
    folder: Path
    performance_judged: bool = True  # False for TEST06/TEST09: only the accuracy log is checked

    @property
    def why(self) -> str:
        parts = []
        if self.accuracy is not None:
            parts.append("accuracy: " + self.accuracy.reason)
        parts.append("performance: " + self.performance.reason)
        return "; ".join(parts)


def _run(sut, qsl, settings, outdir: Path, audit_config: Path | None, model: str, progress):
    from mlpace import loadgen as lg

    outdir.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"model": model}
    if progress is not None:
        kwargs["progress"] = progress
    return lg.start_test(sut, qsl, settings, lg.LogSettings(outdir=outdir), audit_config=audit_config, **kwargs)


def run_reference(wl, sut, qsl, base, out_dir: Path, progress=None) -> None:
    """AccuracyOnly run into ``accuracy/`` (scored) and PerformanceOnly into ``performance/run_1``."""
    acc = base.model_copy()
    acc.mode = TestMode.AccuracyOnly
    _run(sut, qsl, acc, out_dir / "accuracy", None, wl.name, progress)
    wl.score_accuracy_log(out_dir / "accuracy" / ACCURACY, out_dir=out_dir / "accuracy")
    perf = base.model_copy()
    perf.mode = TestMode.PerformanceOnly
    _run(sut, qsl, perf, out_dir / "performance" / "run_1", None, wl.name, progress)
    (out_dir / "performance" / "run_1" / ACCURACY).unlink(missing_ok=True)


def default_tests(wl) -> tuple[str, ...]:
    """TEST06 + TEST09 for LLM workloads (token outputs), TEST01/TEST04/TEST05 otherwise."""
    return llm.LLM_TESTS if hasattr(wl, "eos_token_id") else configs.TESTS


def run_llm_test(test: str, wl, sut, qsl, base, out: Path, progress=None) -> AuditOutcome:
    """One TEST06/TEST09 run with its audit.config, then the file-only verdict."""
    folder = out / test
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    cfg = folder / "audit.config"
    scen = base.scenario.name
    if test == "TEST06":
        cfg.write_text(llm.test06_config_text())
    else:
        cfg.write_text(llm.test09_config_text(qsl.total_sample_count, wl.reference_tokens_per_sample))
    settings = base.model_copy()
    settings.mode = "PerformanceOnly"
    run_dir = folder / "performance" / "run_1"
    result = _run(sut, qsl, settings, run_dir, cfg, wl.name, progress)
    (folder / "accuracy").mkdir()
    log = folder / "accuracy" / ACCURACY
    shutil.move(str(run_dir / ACCURACY), log)
    if test == "TEST06":
        verdict = llm.verify_test06(log, scen, wl.eos_token_id, wl.payload_dtype_name)
        verdict.write(folder / "verify_accuracy.txt")
    else:
        lo, hi = llm.read_test09_bounds(cfg)
        verdict = llm.verify_test09(log, lo, hi)
        verdict.write(folder / "verify_output_len.txt")
    # like the official scripts, only the accuracy log is judged: a 100-query audit run is
    # usually too short for early stopping, which does not matter here
    note = verify.Verdict(True, [f"audit run {result.verdict}; not judged ({test} reads the accuracy log only)"])
    return AuditOutcome(test, verdict.passed, verdict, note, folder, performance_judged=False)


def run_audits(
    workload: str,
    scenario: str,
    out_dir: str | Path,
    tests: tuple[str, ...] | None = None,
    *,
    backend: str = "onnxruntime",
    sut_factory: Callable | None = None,
    settings_overrides: dict | None = None,
    reference_dir: str | Path | None = None,
    sampling_target: int | None = None,
    progress=None,
) -> list[AuditOutcome]:
    """Run the reference runs (unless given) and each audit test; return their verdicts."""
    from mlpace import workloads
    from mlpace.runs.settings import build_settings, calibrate_claims

    wl = workloads.get(workload)
    scen = workloads.scenario_name(scenario)
    is_llm = hasattr(wl, "eos_token_id")
    if tests is None:
        tests = default_tests(wl)
    allowed = configs.TESTS + (llm.LLM_TESTS if is_llm else ())
    unknown = [t for t in tests if t not in allowed]
    if unknown:
        raise ConfigError(f"unknown audit test {unknown[0]!r} for {wl.name}; allowed: {', '.join(allowed)}")
    out = Path(out_dir)
    base = build_settings(wl, scen, overrides=settings_overrides)
    qsl = wl.make_qsl()
    sut = sut_factory(qsl) if sut_factory is not None else wl.make_sut(qsl, backend=backend)
    # audits compare timings against a reference run: both must be VALID on this machine
    calibrate_claims(sut, qsl, [(scen, base)], settings_overrides or {})

    outcomes = []
    timing_tests = [t for t in tests if t in configs.TESTS]
    for test in [t for t in tests if t in llm.LLM_TESTS]:
        outcomes.append(run_llm_test(test, wl, sut, qsl, base, out, progress))
    if not timing_tests:
        return outcomes

    ref = Path(reference_dir) if reference_dir is not None else out
    if reference_dir is None:
        run_reference(wl, sut, qsl, base, out, progress)
    ref_acc = ref / "accuracy" / ACCURACY
    ref_sum = ref / "performance" / "run_1" / SUMMARY
    for needed in (ref_acc, ref_sum):
        if not needed.is_file():
            raise DataError(f"{needed}: reference run file not found (needed by the audits)")

    for test in timing_tests:
        folder = out / test
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        target = sampling_target if sampling_target is not None else qsl.performance_sample_count
        cfg = folder / "audit.config"
        cfg.write_text(configs.audit_config_text(test, sampling_target=target))
        settings = base.model_copy()
        settings.mode = TestMode.PerformanceOnly
        if test == "TEST05":
            # LoadGen 6.0.17 takes seeds from mlperf.conf only, so the seed lines of the
            # official TEST05 audit.config are ignored there; apply them directly.
            for key, value in configs.TEST05_SEEDS.items():
                setattr(settings, key, value)
        run_dir = folder / "performance" / "run_1"
        _run(sut, qsl, settings, run_dir, cfg, wl.name, progress)
        acc_verdict = None
        if test == "TEST01":
            (folder / "accuracy").mkdir()
            shutil.move(str(run_dir / ACCURACY), folder / "accuracy" / ACCURACY)
            dtype = _PAYLOAD_DTYPE_NAMES.get(wl.payload_dtype, "byte")
            acc_verdict = verify.verify_accuracy(ref_acc, folder / "accuracy" / ACCURACY, dtype)
            acc_verdict.write(folder / "verify_accuracy.txt")
        else:
            (run_dir / ACCURACY).unlink(missing_ok=True)
        perf_verdict = verify.verify_performance(test, ref_sum, run_dir / SUMMARY)
        if test == "TEST05":
            perf_verdict.lines.insert(1, "note: alternate seeds applied to the test settings directly "
                                         "(audit.config seed lines are ignored by LoadGen 6.0.17)")
        perf_verdict.write(folder / "verify_performance.txt")
        passed = perf_verdict.passed and (acc_verdict is None or acc_verdict.passed)
        outcomes.append(AuditOutcome(test, passed, acc_verdict, perf_verdict, folder))
    return outcomes


__all__ = ["AuditOutcome", "default_tests", "run_audits", "run_llm_test", "run_reference"]

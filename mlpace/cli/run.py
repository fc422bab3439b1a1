"""``mlpace run``: run a workload through the LoadGen, show progress, verdicts and metrics.

With no arguments: the digits classifier in onnxruntime, Offline then
SingleStream, accuracy then performance (SubmissionRun), laptop-sized durations.
Settings come, in increasing precedence, from the workload's defaults, conf
files (official syntax), and ``--set key=value``.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mlpace.cli import app
from mlpace.errors import ConfigError
from mlpace.loadgen.settings import TestMode, TestSettings

console = Console(stderr=False)

_MODES = {m.name.lower(): m for m in TestMode}


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["key=value", ...]`` -> dict, with a clear error for a malformed pair."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value (got {pair!r})")
        out[key.strip()] = value.strip()
    return out


def build_settings(workload, scenario: str, mode: TestMode, conf: list[Path], model: str,
                   overrides: dict[str, str]) -> TestSettings:
    """Workload defaults, then conf files, then ``--set`` overrides; all validated."""
    values = workload.default_settings(scenario) if workload is not None else {"scenario": scenario}
    settings = TestSettings.make(**values)
    for i, path in enumerate(conf):
        if not Path(path).is_file():
            raise ConfigError(f"conf file not found: {path}")
        settings.FromConfig(str(path), model, scenario, 1)
    for key, value in overrides.items():
        if key not in TestSettings.model_fields:
            raise ConfigError(f"unknown setting {key!r} in --set; allowed: {', '.join(TestSettings.model_fields)}")
        setattr(settings, key, value)
    settings.scenario = scenario
    settings.mode = mode
    return settings


@app.command("run")
def run(
    workload: Annotated[str, typer.Argument(help="Workload to run (see `mlpace workloads`).")] = "digits",
    scenario: Annotated[Optional[list[str]], typer.Option(
        "--scenario", "-s", help="Scenario: SingleStream, MultiStream, Server or Offline. Repeat for several. "
        "Default: Offline and SingleStream.")] = None,
    mode: Annotated[str, typer.Option(
        "--mode", "-m", help="SubmissionRun (accuracy then performance), PerformanceOnly, AccuracyOnly "
        "or FindPeakPerformance (Server).")] = "SubmissionRun",
    conf: Annotated[Optional[list[Path]], typer.Option(
        "--conf", help="user.conf in the official syntax (loads the built-in mlperf.conf first, as the "
        "official LoadGen does). Repeatable.")] = None,
    model: Annotated[Optional[str], typer.Option(
        "--model", help="Model name used to look up conf-file keys (default: the workload name).")] = None,
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", help="Override one TestSettings field, e.g. --set min_duration_ms=2000. Repeatable.")] = None,
    backend: Annotated[str, typer.Option(help="Inference backend: onnxruntime or numpy.")] = "onnxruntime",
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Output folder (default: mlpace_runs/<timestamp>).")] = None,
    sut_timeout_ms: Annotated[int, typer.Option(
        help="End a run INVALID if the SUT leaves a query unanswered this long (0 = wait forever).")] = 60_000,
    trace: Annotated[bool, typer.Option(help="Also write mlperf_log_trace.json.")] = False,
    submission: Annotated[Optional[Path], typer.Option(
        help="Also lay the results out as an MLPerf submission tree under this folder.")] = None,
) -> None:
    """Run a workload through the LoadGen and report verdicts, metrics and accuracy."""
    from mlpace import workloads
    from mlpace.loadgen import LogSettings, start_test
    from mlpace.loadgen.calibrate import calibrate
    from mlpace.report import write_run_report, write_session_report

    wl = workloads.get(workload)
    scenarios = [workloads.scenario_name(s) for s in (scenario or ["Offline", "SingleStream"])]
    test_mode = _MODES.get(mode.lower())
    if test_mode is None:
        raise ConfigError(f"unknown mode {mode!r}; allowed: {', '.join(m.name for m in TestMode)}")
    overrides = parse_overrides(set_ or [])
    out_root = out or Path("mlpace_runs") / _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if wl.proxy_note:
        console.print(f"[dim]{wl.name}: {wl.proxy_note}[/dim]")
    prepared = []
    if test_mode is TestMode.FindPeakPerformance and any(s != "Server" for s in scenarios):
        raise ConfigError("--mode FindPeakPerformance searches a Server QPS: use -s Server "
                          f"(got {', '.join(scenarios)})")
    for scen in scenarios:  # validate every scenario's settings before running any
        settings = build_settings(wl, scen, test_mode, conf or [], model or wl.name, overrides)
        settings.sut_timeout_ms = sut_timeout_ms
        prepared.append((scen, settings))
    with console.status(f"preparing {wl.name} model ({backend})"):
        qsl = wl.make_qsl()
        sut = wl.make_sut(qsl, backend=backend)

    if not conf:
        for scen, settings in prepared:
            note = calibrate(sut, qsl, settings, set(overrides))
            if note:
                note += "; set it with --set to skip"
            if note:
                console.print(f"[dim]{scen}: {note}[/dim]")

    rows = []
    any_invalid = False
    interrupted = False
    for scen, settings in prepared:
        log_dir = out_root / wl.name / scen
        with Progress(
            TextColumn("[bold]{task.fields[scen]}[/bold] {task.description}"),
            BarColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("starting", total=None, scen=scen, info="")
            min_s = settings.min_duration_ms / 1000

            def on_progress(label, done, total, elapsed, task=task, bar=bar, min_s=min_s, scen=scen):
                if label == "performance" and scen != "Offline" and min_s > 0:
                    bar.update(task, description=label, completed=min(elapsed, min_s), total=min_s,
                               info=f"{done:,} queries")
                else:
                    bar.update(task, description=label, completed=done, total=max(total, 1),
                               info=f"{done:,}/{total:,} queries")

            result = start_test(sut, qsl, settings, LogSettings(outdir=log_dir, enable_trace=trace),
                                model=model or wl.name, progress=on_progress)
        acc = None
        if test_mode in (TestMode.AccuracyOnly, TestMode.SubmissionRun) and not result.interrupted:
            acc = wl.score_accuracy_log(result.accuracy_path, out_dir=log_dir)
        if submission is not None and not result.interrupted:
            _write_submission(submission, wl, scen, result, acc)
        write_run_report(log_dir, wl.name, result, acc)
        rows.append((scen, result, acc, log_dir))
        any_invalid |= not result.valid or (acc is not None and not acc.passed)
        if result.interrupted:
            interrupted = True
            break
    _print_table(wl, rows)
    report = write_session_report(out_root, wl.name, rows)
    console.print(f"logs: [bold]{out_root}[/bold]  report: [bold]{report}[/bold]")
    if interrupted:
        console.print("[yellow]interrupted: the logs written so far are kept[/yellow]")
        raise typer.Exit(130)
    if any_invalid:
        raise typer.Exit(1)


def _write_submission(root: Path, wl, scen: str, result, acc) -> None:
    from mlpace.submission import write_run

    write_run(root, wl, scen, result, acc)


def _print_table(wl, rows) -> None:
    """Verdict, headline metric, latency and accuracy per scenario; reasons only when any."""
    from mlpace.report import metric_text

    show_why = any(result.reasons for _, result, _, _ in rows)
    table = Table(title=f"mlpace run: {wl.name}", show_lines=True)
    for col in ("scenario", "verdict", "metric", "p50 / p99 latency", "accuracy") + (("why",) if show_why else ()):
        table.add_column(col)
    for scen, result, acc, log_dir in rows:
        m = result.metrics
        verdict = "[green]VALID[/green]" if result.valid else "[red]INVALID[/red]"
        lat = f"{m['p50_latency_ns'] / 1e6:.3f} / {m['p99_latency_ns'] / 1e6:.3f} ms" if m else "-"
        if m and "p99_ttft_ns" in m:  # LLM token latencies (use_token_latencies)
            lat += (f"\nTTFT {m['p50_ttft_ns'] / 1e6:.3f} / {m['p99_ttft_ns'] / 1e6:.3f} ms"
                    f"\nTPOT {m['p50_tpot_ns'] / 1e6:.3f} / {m['p99_tpot_ns'] / 1e6:.3f} ms")
        acc_text = "-"
        if acc is not None:
            colour = "green" if acc.passed else "red"
            acc_text = (f"[{colour}]{acc.metric} {acc.value:.4f} (target {acc.target:.4f}) "
                        f"{'PASS' if acc.passed else 'FAIL'}[/{colour}]")
        cells = [scen, verdict, metric_text(result), lat, acc_text]
        if show_why:
            cells.append("\n".join(result.reasons))
        table.add_row(*cells)
    console.print(table)

"""``mlpace run``: run a workload through the LoadGen, show progress, verdicts and metrics.

With no arguments: the digits classifier in onnxruntime, Offline then
SingleStream, accuracy then performance (SubmissionRun), laptop-sized durations.
Settings come, in increasing precedence, from the workload's defaults, conf
files (official syntax), and ``--set key=value``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mlpace.cli import app
from mlpace.errors import ConfigError, DataError
from mlpace.loadgen.settings import TestMode
from mlpace.runs.settings import calibrate_claims, parse_mode, parse_overrides, prepare_runs

console = Console(stderr=False)


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
        "--out", "-o", help="Output folder (default: a new mlpace_runs/<timestamp>). An existing non-empty "
        "folder is refused unless --force.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a non-empty --out folder, once the new run has finished (an interrupted "
        "or crashed run leaves the old results in place).")] = False,
    sut_timeout_ms: Annotated[int, typer.Option(
        help="End a run INVALID if the SUT leaves a query unanswered this long (0 = wait forever).")] = 60_000,
    trace: Annotated[bool, typer.Option(help="Also write mlperf_log_trace.json.")] = False,
    confirm_peak: Annotated[bool, typer.Option(
        help="With --mode FindPeakPerformance: also find the highest QPS whose run is VALID under the "
        "full rules (early stopping, min duration); search path in report.md and "
        "mlpace_confirmed_peak.json.")] = False,
    submission: Annotated[Optional[Path], typer.Option(
        help="Also lay the results out as an MLPerf submission tree under this folder.")] = None,
    endpoint: Annotated[Optional[list[str]], typer.Option(
        "--endpoint", help="Benchmark a server instead of the in-process model: base URL, e.g. "
        "http://127.0.0.1:8000/v1 (OpenAI) or http://127.0.0.1:8000 (v2). Repeat to share the load.",
        rich_help_panel="Endpoint (a server as the SUT)")] = None,
    api: Annotated[Optional[str], typer.Option(
        help="Endpoint protocol: openai-chat, openai-completions or v2 (default: openai-chat for text "
        "workloads, v2 for tensor workloads).", rich_help_panel="Endpoint (a server as the SUT)")] = None,
    served_model: Annotated[Optional[str], typer.Option(
        help="Model name the endpoint serves (default: asked from /v1/models; the workload name for v2). "
        "--model stays the conf-file model name.", rich_help_panel="Endpoint (a server as the SUT)")] = None,
    stream: Annotated[bool, typer.Option(
        help="Stream OpenAI answers (SSE; TTFT from the first content chunk).",
        rich_help_panel="Endpoint (a server as the SUT)")] = True,
    request_timeout: Annotated[float, typer.Option(
        help="A request not answered in this many seconds fails (kind 'timeout').",
        rich_help_panel="Endpoint (a server as the SUT)")] = 60.0,
    max_concurrency: Annotated[int, typer.Option(
        help="Most requests in flight at once (0 = no cap; Offline sends 256 at a time).",
        rich_help_panel="Endpoint (a server as the SUT)")] = 0,
    balance: Annotated[str, typer.Option(
        help="Several endpoints: round-robin or least-outstanding.",
        rich_help_panel="Endpoint (a server as the SUT)")] = "round-robin",
    api_key: Annotated[Optional[str], typer.Option(
        envvar="MLPACE_API_KEY", help="Bearer token sent to the endpoint (env MLPACE_API_KEY).",
        rich_help_panel="Endpoint (a server as the SUT)")] = None,
    repeat: Annotated[int, typer.Option(
        help="Run everything N times into <out>/repeat_K/, then print each metric's mean and 95% CI "
        "(repeat_summary.html/.json in <out>).")] = 1,
    ray: Annotated[Optional[str], typer.Option(
        "--ray", help="Run the model in Ray actors: 'local' starts a Ray cluster on this machine, "
        "else a cluster address (HOST:PORT, auto). Needs mlpace[ray].")] = None,
    replicas: Annotated[int, typer.Option(
        help="With --ray: number of model replicas (actors), spread over the cluster's nodes.")] = 1,
    keep_going: Annotated[bool, typer.Option(
        help="Count failed requests and run on (the run is still INVALID) instead of ending at the first; "
        "a server that is gone still ends it.", rich_help_panel="Endpoint (a server as the SUT)")] = False,
) -> None:
    """Run a workload through the LoadGen and report verdicts, metrics and accuracy."""
    if repeat != 1:
        return _run_repeats(dict(locals()))
    from mlpace import workloads

    wl = workloads.get(workload)
    scenarios = [workloads.scenario_name(s) for s in (scenario or ["Offline", "SingleStream"])]
    test_mode = parse_mode(mode)
    overrides = parse_overrides(set_ or [])
    if wl.proxy_note:
        console.print(f"[dim]{wl.name}: {wl.proxy_note}[/dim]")
    if confirm_peak and test_mode is not TestMode.FindPeakPerformance:
        raise ConfigError("--confirm-peak needs --mode FindPeakPerformance")
    prepared = prepare_runs(wl, scenarios, test_mode, conf or [], model or wl.name, overrides, sut_timeout_ms)

    def make_sut():
        """The QSL and the SUT: the in-process model, or a client of the given endpoints."""
        qsl = wl.make_qsl()
        if ray:
            from mlpace.scale.ray_sut import make_ray_sut

            return qsl, make_ray_sut(wl, qsl, ray, replicas, backend)
        if not endpoint:
            return qsl, wl.make_sut(qsl, backend=backend)
        from mlpace.endpoints.runner import make_sut as make_endpoint_sut

        sut = make_endpoint_sut(wl, qsl, endpoint, api=api, served_model=served_model, stream=stream,
                                request_timeout_s=request_timeout, max_concurrency=max_concurrency,
                                balance=balance, api_key=api_key, keep_going=keep_going)
        import atexit

        atexit.register(sut.close)  # the client's loop thread and connections
        return qsl, sut

    if ray and endpoint:
        raise ConfigError("--ray and --endpoint are two different SUTs: choose one")
    status = f"preparing {wl.name} model ({backend})" if not endpoint else f"probing {endpoint[0]}"
    if ray:
        status += f" on Ray ({ray}), {replicas} replicas"
    with console.status(status):  # a bad endpoint or cluster fails here, before any folder is made
        qsl, sut = make_sut()

    from mlpace.outdir import RunFolder

    folder = RunFolder.claim(out, force)
    try:
        _run_scenarios(folder, wl, prepared, test_mode, conf, overrides, trace, submission, model, qsl, sut,
                       confirm_peak)
    except BaseException:
        kept = folder.abandon()
        if folder.final != kept:
            console.print(f"[yellow]the run did not finish: {folder.final} is unchanged; its logs are in {kept}[/yellow]")
        raise


def _run_scenarios(folder, wl, prepared, test_mode, conf, overrides, trace, submission, model, qsl, sut,
                   confirm_peak=False) -> None:
    from mlpace.loadgen import LogSettings, start_test
    from mlpace.report import write_run_report, write_session_report

    out_root = folder.path
    client_notes: list[str] = []  # endpoint SUT: requests, failures, send lag per phase

    if not conf:
        for scen, note in calibrate_claims(sut, qsl, prepared, overrides):
            console.print(f"[dim]{scen}: {note}; set it with --set to skip[/dim]")

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

            seen = len(getattr(sut, "history", ()))
            try:
                result = start_test(sut, qsl, settings, LogSettings(outdir=log_dir, enable_trace=trace),
                                    model=model or wl.name, progress=on_progress, confirm_peak=confirm_peak)
            except OSError as exc:  # disk full, a file-size limit, the folder removed under us
                raise DataError(f"{exc.filename or log_dir}: cannot write the run's logs ({exc.strerror}); "
                                "the files written so far are kept") from None
        if hasattr(sut, "history"):  # an endpoint SUT: requests, failures and send lag per phase
            from mlpace.endpoints.runner import client_lines

            client_notes += [f"{scen}: {line}" for line in client_lines(sut, seen)]
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
    for note in client_notes:
        console.print(note, markup=False, highlight=False)
    if hasattr(sut, "replica_stats"):  # a Ray SUT: per-replica counts and times
        _print_replicas(sut, out_root)
    report = write_session_report(out_root, wl.name, rows)
    if interrupted:
        kept = folder.abandon()
        console.print(f"logs: [bold]{kept}[/bold]  report: [bold]{kept / report.relative_to(out_root)}[/bold]")
        if kept != folder.final:
            console.print(f"[yellow]{folder.final} is unchanged (the interrupted run did not replace it)[/yellow]")
        console.print("[yellow]interrupted: the logs written so far are kept[/yellow]")
        raise typer.Exit(130)
    final = folder.commit()
    console.print(f"logs: [bold]{final}[/bold]  report: [bold]{final / report.relative_to(out_root)}[/bold]")
    if any_invalid:
        raise typer.Exit(1)


def _run_repeats(params: dict) -> None:
    """``--repeat N``: N full runs into ``<out>/repeat_K/``, then the summary (mlpace.report.repeat)."""
    from mlpace.report.repeat import write_repeat_summary

    n = params["repeat"]
    if n < 1:
        raise ConfigError(f"--repeat must be >= 1 (got {n})")
    from mlpace.outdir import RunFolder

    out_root = params["out"] or RunFolder.claim(None).final  # a fresh default folder, claimed atomically
    codes = []
    for k in range(1, n + 1):
        console.print(f"[bold]repeat {k}/{n}[/bold]")
        try:
            run(**{**params, "out": out_root / f"repeat_{k}", "repeat": 1})
            codes.append(0)
        except typer.Exit as exc:
            codes.append(exc.exit_code)
            if exc.exit_code == 130:
                break
    _print_repeat_table(out_root)
    json_path, html_path = write_repeat_summary(out_root)
    console.print(f"repeat summary: [bold]{html_path}[/bold] ({json_path.name})")
    if 130 in codes or any(codes):
        raise typer.Exit(130 if 130 in codes else 1)


def _print_repeat_table(out_root: Path) -> None:
    from mlpace.report.repeat import summarize

    for key, (folders, verdicts, rows) in summarize(out_root).items():
        table = Table(title=f"{key}: {len(folders)} runs ({', '.join(verdicts)})")
        for col in ("metric", "mean", "95% CI of the mean", "±", "per run"):
            table.add_column(col)
        for m in rows:
            ci = "n/a" if m.lo is None else f"[{m.lo:,.4g}, {m.hi:,.4g}] {m.unit}"
            pct = "-" if m.half_width_pct is None else f"{m.half_width_pct:.1f}%"
            table.add_row(m.label, f"{m.mean:,.4g} {m.unit}", ci, pct, ", ".join(f"{v:.4g}" for v in m.values))
        console.print(table)


def _write_submission(root: Path, wl, scen: str, result, acc) -> None:
    from mlpace.submission import write_run
    from mlpace.submission.guard import keep_existing

    kept = keep_existing(root, wl.name, scen, result.valid and (acc is None or acc.passed))
    if kept is not None:
        console.print(f"[yellow]{scen}: not copied into the submission tree: {kept} holds a VALID run "
                      "and this one is not[/yellow]")
        return
    write_run(root, wl, scen, result, acc)


def _print_replicas(sut, out_root: Path) -> None:
    """Per-replica counts and times of a Ray SUT, on screen and in ``ray_replicas.json``."""
    import json

    stats = sut.stats()
    sut.close()
    table = Table(title="Ray replicas")
    for col in ("replica", "node", "samples", "batches", "median model ms", "median queue+transfer ms"):
        table.add_column(col)
    def fmt(v):
        return "-" if v is None else f"{v:.3f}"

    for st in stats:
        table.add_row(str(st["replica"]), st["node_id"][:12], f"{st['samples']:,}", f"{st['batches']:,}",
                      fmt(st["median_service_ms"]), fmt(st["median_overhead_ms"]))
    console.print(table)
    out_root.mkdir(parents=True, exist_ok=True)
    (out_root / "ray_replicas.json").write_text(json.dumps(stats, indent=2))


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
        if m and "p99_ttft_ns" in m:  # token latencies (LLM): TTFT and TPOT, p50 / p99
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

"""``mlpace train``: time-to-train result sets, their checks, RCP generation.

``mlpace train [BENCHMARK] --runs N [--nproc K]`` runs a set with a progress display and
ends with a table of runs and the score; ``mlpace train check DIR`` runs compliance, RCP
and scoring on any results folder and explains every failure. No training logic here:
commands parse options, draw, and call ``mlpace.training``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from mlpace.cli import app
from mlpace.errors import ConfigError


class _DefaultRun(TyperGroup):
    """``mlpace train ARGS`` means ``mlpace train run ARGS`` unless ARGS name a subcommand."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


sub = typer.Typer(cls=_DefaultRun, help="MLPerf Training method: time to a quality target over N seeded runs.")
app.add_typer(sub, name="train")
console = Console()


def _fmt_metric(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.4f}"


class _Display:
    """Rich progress bars, one per run: epoch, metric vs target."""

    def __init__(self, bench, runs: int):
        self.cfg = bench.config
        self.runs = runs
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.tasks: dict[int, int] = {}

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def run_start(self, index: int, seed: int) -> None:
        self.tasks[index] = self.progress.add_task(f"run {index + 1}/{self.runs} seed {seed}",
                                                   total=self.cfg.max_epochs, info="starting")

    def update(self, index: int, epoch: int, metric: float, target: float, goal: str) -> None:
        op = ">=" if goal == "max" else "<="
        info = f"epoch {epoch:>3}  {self.cfg.quality.metric} {metric:.4f} (target {op} {target:g})"
        self.progress.update(self.tasks[index], completed=epoch, info=info)

    def run_done(self, index: int, status: str, epochs, ttt, error) -> None:
        if status == "success":
            info = f"[green]converged at epoch {epochs} in {ttt:.2f} s"
            self.progress.update(self.tasks[index], completed=self.cfg.max_epochs, info=info)
        else:
            why = f"crashed: {error}" if error else "did not reach the target"
            self.progress.update(self.tasks[index], info=f"[red]aborted ({escape(why)})")


def _runs_table(report) -> Table:
    table = Table(title=escape(f"{report.benchmark}: {len(report.runs)} runs ({report.folder})"))
    for col in ("run", "seed", "status", "epochs", "time to train (s)", "last metric", "compliance"):
        table.add_column(col, justify="right" if col not in ("status", "compliance") else "left")
    for run in report.runs:
        comp = report.compliance.get(run.path)
        ttt = run.time_to_train_ms
        last = run.evals[-1][1] if run.evals else None
        table.add_row(str(run.index), str(run.seed), escape(str(run.status or "missing")),
                      "-" if run.converged_at is None else f"{run.converged_at:g}",
                      "-" if ttt is None else f"{ttt / 1000:.3f}", _fmt_metric(last),
                      "[green]pass" if comp and comp.passed else "[red]FAIL")
    return table


def _print_report(report) -> None:
    console.print(_runs_table(report))
    if report.rcp is not None:
        colour = "green" if report.rcp.passed else "red"
        console.print(f"RCP: [{colour}]{'PASS' if report.rcp.passed else 'FAIL'}[/] - {escape(report.rcp.explain())}",
                      soft_wrap=True)
    elif report.division == "open":
        console.print("RCP: not applied (open division)")
    if report.score_minutes is not None:
        sc = report.score
        scale = f" x scaling {report.scaling:.4f}" if report.scaling != 1 else ""
        console.print(f"Score: [bold]{report.score_minutes:.6f} min[/] ({report.score_minutes * 60:.3f} s): olympic "
                      f"mean of {len(sc.counted)} of {sc.converged + sc.failed} runs "
                      f"({sc.failed} not converged){scale}", soft_wrap=True)
    for problem in report.problems:
        console.print(f"[red]problem:[/] {escape(problem)}", soft_wrap=True)
    console.print("[green]set valid[/]" if report.passed else "[red]set NOT valid[/]")


def _parse_overrides(values: Optional[List[str]]) -> dict:
    from mlpace.training.config import parse_override

    return dict(parse_override(v) for v in values or [])


@sub.command("run")
def run_cmd(
    benchmark: str = typer.Argument("digits_cnn", help="digits_cnn, adding_gru, or module:attr / file.py:attr"),
    runs: Optional[int] = typer.Option(None, "--runs", "-n", help="runs in the set (default: the benchmark's required count)"),
    nproc: int = typer.Option(1, "--nproc", help="data-parallel processes (torchrun, gloo on CPU)"),
    out: Path = typer.Option(Path("training_results/mlpace"), "--out", help="organisation folder of the results tree"),
    org: str = typer.Option("mlpace", help="submission_org (and system-description submitter)"),
    system: str = typer.Option("cpu", help="system name: results/<system>/ and systems/<system>.json"),
    division: str = typer.Option("closed", help="closed or open"),
    status: str = typer.Option("Available on-premise", help="system availability, as the official checker allows"),
    seed: int = typer.Option(1, help="seed of run 0; run i uses seed + i"),
    overrides: Optional[List[str]] = typer.Option(None, "--set", help="config override key=value (repeatable)"),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML/JSON file of config values"),
    overwrite: bool = typer.Option(False, help="replace an earlier set in the same folder"),
    check: bool = typer.Option(True, "--check/--no-check", help="run compliance + RCP + scoring afterwards"),
    nnodes: int = typer.Option(1, "--nnodes", help="machines in the job (torchrun c10d rendezvous); run this "
                               "command once per machine", rich_help_panel="Several machines"),
    node_rank: int = typer.Option(0, "--node-rank", help="this machine's number, 0..nnodes-1; node 0 hosts the "
                                  "rendezvous", rich_help_panel="Several machines"),
    rdzv_endpoint: Optional[str] = typer.Option(None, "--rdzv-endpoint", help="HOST:PORT of the rendezvous on "
                                                "node 0, the same on every node", rich_help_panel="Several machines"),
    rdzv_id: Optional[str] = typer.Option(None, "--rdzv-id", help="job id, the same on every node (default: "
                                          "mlpace-<benchmark>)", rich_help_panel="Several machines"),
    local_addr: Optional[str] = typer.Option(None, "--local-addr", help="this machine's address as the others "
                                             "reach it (default: 127.0.0.1 for a loopback endpoint, else the "
                                             "host name)", rich_help_panel="Several machines"),
) -> None:
    """Run a result set of BENCHMARK and score it (MLPerf Training method)."""
    from mlpace.training.check import check_benchmark_folder
    from mlpace.training.results_tree import ResultsLayout
    from mlpace.training.runset import build_benchmark

    if nproc < 1:
        raise ConfigError(f"--nproc must be at least 1 (got {nproc})")
    node = _node_launch(benchmark, nnodes, node_rank, rdzv_endpoint, rdzv_id, local_addr)
    bench = build_benchmark(benchmark, _parse_overrides(overrides), config, division)
    n = runs or bench.config.required_runs
    world = nproc * nnodes
    if bench.config.global_batch_size % world:
        raise ConfigError(f"global_batch_size {bench.config.global_batch_size} does not split over {world} "
                          "processes; choose --nproc dividing it" + (" (x --nnodes)" if nnodes > 1 else ""))
    layout = ResultsLayout(out, system, bench.name)
    q = bench.config.quality
    console.print(f"[bold]{escape(bench.name)}[/]: {n} runs, target {q.metric} {'>=' if q.goal == 'max' else '<='} "
                  f"{q.target:g}, at most {bench.config.max_epochs} epochs, {nproc} process(es) -> {layout.benchmark_dir}")
    if node is not None:
        console.print(f"node {node_rank} of {nnodes}: rendezvous {node.endpoint} (job {node.rdzv_id}); the node "
                      "that gets global rank 0 writes the results")
    with _Display(bench, n) as display:
        if nproc == 1 and node is None:
            _run_in_process(bench, layout, n, seed, org, system, division, status, overwrite, display)
        else:
            wrote = _run_torchrun(benchmark, n, nproc, seed, out, org, system, division, status, overrides, config,
                                  overwrite, display, node)
    if node is not None and not wrote:
        console.print(f"node {node_rank}: done; global rank 0 ran on another node, which wrote and checks the results")
        return
    if check:
        report = check_benchmark_folder(layout.benchmark_dir, user_benchmark=bench)
        _print_report(report)
        if not report.passed:
            raise typer.Exit(1)  # a set that is not valid is an INVALID result


def _run_in_process(bench, layout, n, seed, org, system, division, status, overwrite, display) -> None:
    from mlpace.training.harness import Submission
    from mlpace.training.results_tree import capture_system, write_system_json
    from mlpace.training.runset import run_set

    layout.prepare(overwrite)
    write_system_json(layout, capture_system(system, org, division, status))
    run_set(bench, layout, runs=n, base_seed=seed, submission=Submission(org=org, platform=system, division=division),
            on_run_start=display.run_start,
            on_progress=lambda p: display.update(p.index, p.epoch, p.metric, p.target, p.goal),
            on_run_done=lambda r: display.run_done(r.index, r.status, r.epochs, r.time_to_train_s, r.error))


def _node_launch(benchmark: str, nnodes: int, node_rank: int, endpoint: str | None, rdzv_id: str | None,
                 local_addr: str | None):
    """The multi-node part of the command line, validated (None for one machine)."""
    from mlpace.training.distributed import NodeLaunch, parse_endpoint

    if nnodes < 1:
        raise ConfigError(f"--nnodes must be at least 1 (got {nnodes})")
    if nnodes == 1:
        if endpoint or node_rank:
            raise ConfigError("--rdzv-endpoint/--node-rank need --nnodes 2 or more")
        return None
    if not 0 <= node_rank < nnodes:
        raise ConfigError(f"--node-rank {node_rank} out of range: allowed 0..{nnodes - 1}")
    if not endpoint:
        raise ConfigError("--nnodes > 1 needs --rdzv-endpoint HOST:PORT (node 0's address, the same on every node)")
    parse_endpoint(endpoint)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in benchmark)
    return NodeLaunch(nnodes, node_rank, endpoint, rdzv_id or f"mlpace-{safe}", local_addr)


def _run_torchrun(benchmark, n, nproc, seed, out, org, system, division, status, overrides, config, overwrite,
                  display, node=None) -> bool:
    """Run the set under torchrun; True when this launch held global rank 0 (which writes the results)."""
    from mlpace.training.distributed import standalone_command, standalone_env

    args = [benchmark, "--runs", str(n), "--seed", str(seed), "--out", str(out), "--org", org, "--system", system,
            "--division", division, "--status", status]
    for o in overrides or []:
        args += ["--set", o]
    if config:
        args += ["--config", str(config)]
    if overwrite:
        args.append("--overwrite")
    from mlpace.training.launch import run_torchrun

    seen = []

    def on_event(ev: dict) -> None:
        seen.append(ev.get("kind"))  # only global rank 0 sends events
        if ev.get("kind") == "run_start":
            display.run_start(ev["index"], ev["seed"])
        elif ev.get("kind") == "progress":
            display.update(ev["index"], ev["epoch"], ev["metric"], ev["target"], ev["goal"])
        elif ev.get("kind") == "run_done":
            display.run_done(ev["index"], ev["status"], ev["epochs"], ev["time_to_train_s"], ev["error"])

    if node is None:
        run_torchrun(standalone_command(nproc, args), standalone_env(), on_event, nproc=nproc, out=out)
    else:
        run_torchrun(node.command(nproc, args), node.env(), on_event, nproc=nproc * node.nnodes, out=out)
    return bool(seen)


@sub.command("check")
def check_cmd(
    path: Path = typer.Argument(..., help="org folder, results/ folder, system folder or one benchmark folder"),
    benchmark: Optional[str] = typer.Option(None, "--benchmark", help="user benchmark (module:attr) for its rules"),
    rcp: Optional[Path] = typer.Option(None, "--rcp", help="RCP JSON to use instead of the benchmark's own"),
    scaling: bool = typer.Option(True, "--scaling/--no-scaling", help="write/clear scaling.json like the package checker"),
) -> None:
    """Compliance + RCP + scoring on a results folder (from mlpace or another tool)."""
    from mlpace.training.benchmarks import get_benchmark
    from mlpace.training.check import check_benchmark_folder, find_benchmark_folders

    user = get_benchmark(benchmark) if benchmark else None
    folders = find_benchmark_folders(path)
    failed = 0
    for folder in folders:
        report = check_benchmark_folder(folder, user_benchmark=user, rcp_file=rcp, update_scaling=scaling)
        _print_report(report)
        failed += not report.passed
    if failed:
        typer.secho(f"{failed} of {len(folders)} benchmark folder(s) failed the checks (reasons above)",
                    fg="red", err=True)
        raise typer.Exit(1)


@sub.command("rcp")
def rcp_cmd(
    benchmark: str = typer.Argument(..., help="benchmark to generate reference convergence points for"),
    batch_sizes: str = typer.Option("", "--batch-sizes", help="comma-separated, default: the benchmark's own"),
    points: int = typer.Option(0, "--points", help="converged runs per batch size (default: 2 x required runs)"),
    out: Optional[Path] = typer.Option(None, "--out", help="RCP JSON to write (default: print only)"),
) -> None:
    """Run reference runs per batch size; write the RCP JSON; report converged/attempted and median time."""
    from mlpace.training.benchmarks import get_benchmark
    from mlpace.training.rcpgen import generate

    bench = get_benchmark(benchmark)
    try:
        sizes = [int(x) for x in batch_sizes.split(",") if x.strip()] or [bench.config.global_batch_size]
    except ValueError:
        raise ConfigError(f"--batch-sizes must be integers separated by commas, got {batch_sizes!r}") from None
    n = points or 2 * bench.config.required_runs

    def done(bs, r):
        mark = f"epoch {r.epochs}, {r.time_to_train_s:.2f} s" if r.converged else "[red]not converged"
        console.print(f"  bs {bs} seed {r.seed}: {mark}")

    records, runs = generate(bench, sizes, n, on_run_done=done)
    table = Table(title=f"{bench.name}: reference runs (target {bench.config.quality.metric} {bench.config.quality.target:g})")
    for col in ("batch size", "lr", "converged / first 10", "median time (s)", "epochs (converged)"):
        table.add_column(col)
    for r in runs:
        ok, tried, med = r.first_n_summary(10)
        table.add_row(str(r.bs), f"{r.lr:g}", f"{ok} / {tried}", "-" if med is None else f"{med:.2f}",
                      ", ".join(str(x.epochs) for x in r.converged))
    console.print(table)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(records, indent=2) + "\n")
        console.print(f"wrote {out}")


@sub.command("list")
def list_cmd() -> None:
    """The shipped benchmarks with their targets."""
    from mlpace.training.benchmarks import BUILTIN

    table = Table(title="mlpace training benchmarks")
    for col in ("name", "target", "batch", "max epochs", "runs", "description"):
        table.add_column(col)
    for name, make in BUILTIN.items():
        c = make().config
        op = ">=" if c.quality.goal == "max" else "<="
        table.add_row(name, f"{c.quality.metric} {op} {c.quality.target:g}", str(c.global_batch_size),
                      str(c.max_epochs), str(c.required_runs), c.description)
    console.print(table)

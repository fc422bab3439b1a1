"""``mlpace workloads``: list the reference workloads with their metric, target and proxy note."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from mlpace.cli import app


@app.command("workloads")
def list_workloads() -> None:
    """List the reference inference workloads, their accuracy targets and what they stand in for."""
    from mlpace import workloads

    table = Table(title="mlpace reference workloads")
    for col in ("name", "task", "metric", "target", "data / model"):
        table.add_column(col, overflow="fold")
    for name in workloads.names():
        wl = workloads.get(name)
        table.add_row(
            wl.name,
            wl.description,
            wl.metric,
            f"{wl.target:.4f}\n({wl.target_note})",
            wl.proxy_note or "MLPerf data set",
        )
    Console().print(table)
    typer.echo("Proxy workloads use small bundled or seeded data, not the MLPerf data sets.")


@app.command("accuracy")
def score_accuracy(
    workload: str = typer.Argument(..., help="Workload name (see `mlpace workloads`)."),
    log: str = typer.Argument(..., help="mlperf_log_accuracy.json, or the folder holding it (mlpace or official LoadGen)."),
    out: str = typer.Option(None, "--out", help="Folder to write accuracy.txt into (default: the log's folder)."),
) -> None:
    """Score an accuracy log with the workload's accuracy script and write accuracy.txt."""
    from pathlib import Path

    from mlpace import workloads

    wl = workloads.get(workload)
    log_path = Path(log)
    out_dir = Path(out) if out else (log_path if log_path.is_dir() else log_path.parent)
    report = wl.score_accuracy_log(log_path, out_dir=out_dir)
    colour = "green" if report.passed else "red"
    Console().print(
        f"{wl.name}: {report.metric} = {report.value:.4f} over {report.count} samples, "
        f"target {report.target:.4f} ({report.target_note}): [{colour}]{report.verdict}[/{colour}]"
    )
    if not report.passed:
        Console().print(f"  why: {report.why()}")
    typer.echo(f"wrote {out_dir / 'accuracy.txt'}")
    if not report.passed:
        raise typer.Exit(1)

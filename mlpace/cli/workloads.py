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

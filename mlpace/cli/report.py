"""``mlpace report DIR``: a Markdown report with a latency plot for any LoadGen run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from mlpace.cli import app


@app.command("report")
def report(
    folder: Annotated[Path, typer.Argument(help="A run folder holding mlperf_log_summary.txt "
                                           "(from mlpace or the official LoadGen).")],
) -> None:
    """Write report.md and latency.png for a run folder, from its log files alone."""
    from mlpace.report import report_from_folder
    from mlpace.tiny.check import is_tiny_tree

    if is_tiny_tree(folder):  # an MLPerf Tiny results tree: its own table (mlpace.tiny.report)
        from mlpace.tiny.report import write_report

        path = write_report(folder)
    else:
        path = report_from_folder(folder)
    Console().print(f"report: [bold]{path}[/bold]")

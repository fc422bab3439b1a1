"""``mlpace report PATH``: a report for any LoadGen run folder (Markdown + plot), and with
``--html`` / ``--json`` the self-contained HTML page / the versioned JSON document; also for
training and Tiny results folders and for a ``report.json`` written earlier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from mlpace.cli import app


@app.command("report")
def report(
    folder: Annotated[Path, typer.Argument(help="A run folder holding mlperf_log_summary.txt (mlpace or the "
                                           "official LoadGen), an output folder (every run folder below it), a training "
                                           "results folder (result_N.txt), a Tiny results folder (results.txt), or "
                                           "a report.json to rebuild.")],
    html: Annotated[bool, typer.Option("--html", help="Write report.html: one self-contained page "
                                       "(inline SVG plots, no scripts, no network).")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Write report.json: every figure's data in one "
                                        "document (schema mlpace.report/1).")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for report.html/report.json "
                                                "(default: beside the logs).")] = None,
) -> None:
    """Write a report for a results folder, from its files alone."""
    from mlpace.report import report_from_folder
    from mlpace.report.build import build_report, write_json
    from mlpace.report.html import write_html
    from mlpace.loadgen.logs.read import SUMMARY
    from mlpace.tiny.check import is_tiny_tree

    console = Console()
    if folder.is_dir() and not (folder / SUMMARY).is_file() and not _other_results(folder):
        from mlpace.report.run_data import find_run_folders

        for run_folder in find_run_folders(folder):  # an `mlpace run` output folder: each run
            report(run_folder, html, json_, None)
        return
    is_run = folder.is_dir() and (folder / SUMMARY).is_file()
    if is_run:
        console.print(f"report: [bold]{report_from_folder(folder)}[/bold]")
    elif is_tiny_tree(folder):  # an MLPerf Tiny results tree: its own table (mlpace.tiny.report)
        from mlpace.tiny.report import write_report

        console.print(f"report: [bold]{write_report(folder)}[/bold]")
        html = html or not json_  # and the HTML page with the per-window plots
    elif not (html or json_):
        html = True  # training folders and report.json: the HTML page is the report
    if html or json_:
        doc = build_report(folder)
        dest = out or (folder.parent if folder.is_file() else folder)
        dest.mkdir(parents=True, exist_ok=True)
        if html:
            console.print(f"html: [bold]{write_html(doc, dest / 'report.html')}[/bold]")
        if json_:
            console.print(f"json: [bold]{write_json(doc, dest / 'report.json')}[/bold]")


def _other_results(folder: Path) -> bool:
    """Training (result_N.txt) or Tiny (results.txt) results in or below ``folder``."""
    return any(folder.rglob("result_*.txt")) or any(folder.rglob("results.txt"))


import mlpace.cli.compare  # noqa: E402,F401  (registers `mlpace compare`, kept beside `report`)

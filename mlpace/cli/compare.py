"""``mlpace compare A B [C ...]``: per metric, the change of each run against the first with a
confidence interval, significant or not; a table in the terminal and, with ``--html``, a page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlpace.cli import app


@app.command("compare")
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Run folders, session folders or --repeat folders "
                                               "(mlpace's or the official LoadGen's); the first is the baseline.")],
    html: Annotated[Optional[Path], typer.Option("--html", help="Also write the comparison as a "
                                                 "self-contained HTML page to this file.")] = None,
    json_: Annotated[Optional[Path], typer.Option("--json", help="Also write it as a report JSON document.")] = None,
    min_change: Annotated[Optional[float], typer.Option(
        help="Noise floor (fraction): a change is significant when its whole 95% CI lies beyond ±this. "
        "Default 0.10 for one run a side, 0.02 when both sides hold repeats.")] = None,
    hide_noise: Annotated[bool, typer.Option("--hide-noise", help="Leave out the rows that are not significant "
                                             "(pyperf's compare_to style); by default they are greyed.")] = False,
) -> None:
    """Compare runs: change per metric with a 95% CI; rows that are not significant are greyed."""
    from mlpace.errors import ConfigError
    from mlpace.report.compare import compare_paths, comparison_report, fmt_change, floor_text, fmt_value, summary_line

    if min_change is not None and not 0 <= min_change < 1:
        raise ConfigError(f"--min-change must be in [0, 1) (got {min_change})")
    console = Console()
    pairs = compare_paths(runs, min_change)
    for pair in pairs:
        b = ", ".join(sorted({str(r.folder) for r in pair.b}))
        table = Table(title=escape(f"{pair.key} ({pair.scenario}): B = {b}"))
        for col in ("metric", "A", "B", "change", "95% CI", "verdict"):
            table.add_column(col, justify="right" if col in ("A", "B", "change") else "left", no_wrap=col != "metric")
        notes = []
        for r in pair.rows:
            if hide_noise and not r.significant:
                continue
            ch, ci = fmt_change(r)
            style = ("green" if r.direction == "better" else "red") if r.significant else "dim"
            table.add_row(r.label, fmt_value(r.a, r.unit), fmt_value(r.b, r.unit), ch, ci, r.verdict_text(),
                          style=style)
            if r.note and r.note not in notes:
                notes.append(r.note)
        console.print(table)
        console.print(f"[dim]{floor_text(pair)}[/dim]")
        for n in notes:
            plain = "CI not available" in n or n.startswith("too few")
            console.print(f"[yellow]{escape(n)}[/yellow]" if plain else f"[dim]CI of: {escape(n)}[/dim]")
    console.print(f"[bold]{escape(summary_line(pairs))}[/bold]")
    if html or json_:
        doc = comparison_report(pairs, runs)
        if html:
            from mlpace.report.html import write_html

            console.print(f"html: [bold]{write_html(doc, html)}[/bold]")
        if json_:
            from mlpace.report.build import write_json

            console.print(f"json: [bold]{write_json(doc, json_)}[/bold]")

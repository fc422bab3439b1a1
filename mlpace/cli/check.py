"""``mlpace check DIR``: validate a submission results tree and print what passed and why."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from mlpace.cli import app


@app.command("check")
def check(
    tree: Path = typer.Argument(..., help="Root of a submission tree (holds closed/ or open/)."),
    failures_only: bool = typer.Option(False, "--failures-only", help="List only the checks that failed."),
) -> None:
    """Check a results tree (files, logs, VALID, accuracy, settings, audits); exit 1 on any failure."""
    from mlpace.submission.checker import check_tree
    from mlpace.tiny.check import check_tiny_tree, is_tiny_tree

    findings = check_tiny_tree(tree) if is_tiny_tree(tree) else check_tree(tree)  # MLPerf Tiny trees: own rules
    table = Table(title=f"mlpace check {tree}", show_lines=False)
    for col in ("folder", "check", "result", "why"):
        table.add_column(col, overflow="fold")
    for f in findings:
        if failures_only and f.passed:
            continue
        table.add_row(f.where, f.check, "[green]PASS[/green]" if f.passed else "[red]FAIL[/red]", f.why)
    console = Console()
    console.print(table)
    failed = [f for f in findings if not f.passed]
    if failed:
        for f in failed:  # unwrapped, so paths can be copied whole
            console.print(f"FAIL {f.where} [{f.check}]: {f.why}", soft_wrap=True, markup=False, highlight=False)
        console.print(f"[red]{len(failed)} of {len(findings)} checks failed[/red]")
        raise typer.Exit(1)
    console.print(f"[green]all {len(findings)} checks passed[/green]")

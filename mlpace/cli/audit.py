"""``mlpace audit WORKLOAD SCENARIO``: run TEST01/TEST04/TEST05 (TEST06/TEST09 for textgen) and show their verdicts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from mlpace.cli import app


@app.command("audit")
def audit(
    workload: str = typer.Argument(..., help="Workload name (see `mlpace workloads`)."),
    scenario: str = typer.Argument(..., help="SingleStream, MultiStream, Server or Offline."),
    out: Path = typer.Option(None, "--out", help="Scenario results folder to write (default: audit/<workload>/<scenario>)."),
    test: list[str] = typer.Option(None, "--test", help="Run only this test (repeatable): TEST01, TEST04, TEST05; TEST06, TEST09 for textgen "
                             "(its default)."),
    backend: str = typer.Option("onnxruntime", "--backend", help="onnxruntime or numpy."),
    set_: list[str] = typer.Option(None, "--set", help="Override a TestSettings field, e.g. --set min_duration_ms=2000."),
    reference: Path = typer.Option(
        None, "--reference", help="Existing scenario results folder (accuracy/ + performance/run_1/) to audit against."
    ),
) -> None:
    """Run the audit tests with the official audit.config overrides and write the verdict files."""
    from mlpace.audit import run_audits
    from mlpace.runs.settings import parse_overrides
    from mlpace.workloads import scenario_name

    scen = scenario_name(scenario)
    overrides = parse_overrides(set_ or [])
    out_dir = out or Path("audit") / workload / scen
    tests = tuple(t.upper() for t in test) if test else None  # None: the workload's default tests
    console = Console()
    with console.status(f"auditing {workload} {scen} ({', '.join(tests or ('default tests',))})..."):
        outcomes = run_audits(workload, scen, out_dir, tests, backend=backend, reference_dir=reference,
                              settings_overrides=overrides)
    table = Table(title=f"audit {workload} {scen}")
    for col in ("test", "accuracy", "performance", "verdict", "why"):
        table.add_column(col, overflow="fold")
    for o in outcomes:
        acc = "-" if o.accuracy is None else ("PASS" if o.accuracy.passed else "FAIL")
        perf = "PASS" if o.performance.passed else "FAIL"
        verdict = "[green]PASS[/green]" if o.passed else "[red]FAIL[/red]"
        why = next((line for line in o.performance.lines if line.startswith("rule:")), o.performance.reason)
        if not o.performance_judged:
            perf, why = "-", o.performance.lines[0]
        if o.accuracy is not None and not o.accuracy.passed:
            why = o.accuracy.reason + "\n" + why
        table.add_row(o.test, acc, perf, verdict, why)
    console.print(table)
    typer.echo(f"verdict files under {out_dir}")
    if not all(o.passed for o in outcomes):
        raise typer.Exit(1)

"""The ``mlpace`` command line: one typer app, one module per command group.

This module only assembles the groups and turns ``MlpaceError`` into one clear
line and an exit code; the commands themselves hold no benchmark logic.
"""

from __future__ import annotations

import sys

import typer

from mlpace.errors import MlpaceError

app = typer.Typer(
    name="mlpace",
    help="MLPerf's benchmark method from Python: inference LoadGen, time-to-train, TinyML runner.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    """Import each command-group module; each adds its commands to ``app``."""
    import importlib

    for name in ("run", "report", "workloads", "audit", "check", "train", "tiny", "serve"):
        try:
            importlib.import_module(f"mlpace.cli.{name}")
        except ModuleNotFoundError as exc:  # a group not written yet
            if exc.name != f"mlpace.cli.{name}":
                raise


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mlpace`` script; returns the exit code when given ``argv``."""
    _register()
    try:
        app(args=argv, prog_name="mlpace")
        code = 0
    except MlpaceError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        typer.secho("interrupted", fg="yellow", err=True)
        code = 130
    except SystemExit as exc:  # typer's standalone exits: --help, usage errors, Abort
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    if argv is None:
        sys.exit(code)
    return code

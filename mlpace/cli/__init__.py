"""The ``mlpace`` command line: one typer app, one module per command group.

This module only assembles the groups and turns every way a command can end into
one clear line and an exit code: 0 ok, 1 INVALID or failed accuracy, 2 bad input,
3 SUT, 4 device, 70 internal error (traceback saved to a file), 130 Ctrl-C,
143 SIGTERM, 129 SIGHUP. The commands themselves hold no benchmark logic.
"""

from __future__ import annotations

import sys

import typer

from mlpace.errors import MlpaceError
from mlpace.extras import missing_extra

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
        importlib.import_module(f"mlpace.cli.{name}")  # a missing module is a bug: let it raise


EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in mlpace, not a verdict (1) nor bad input (2)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _save_traceback() -> str:
    """Write the current exception's traceback to a file; return its path."""
    import datetime as _dt
    import os
    import tempfile
    import traceback

    name = f"mlpace-crash-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    path = os.path.join(tempfile.gettempdir(), name)
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("mlpace " + " ".join(sys.argv[1:]) + "\n\n" + traceback.format_exc())
    except OSError:
        return "(could not be saved)"
    return path


def _run(argv: list[str] | None, received) -> int:
    """Run the app; every way it can end becomes an exit code and at most one line."""
    try:
        app(args=argv, prog_name="mlpace")
        return 0
    except MlpaceError as exc:
        typer.secho(f"error: {_one_line(exc)}", fg="red", err=True)
        return exc.exit_code
    except ModuleNotFoundError as exc:  # an optional dependency: name the extra; anything else is a bug
        missing = missing_extra(exc)
        if missing is None:
            raise
        typer.secho(f"error: {missing}", fg="red", err=True)
        return missing.exit_code
    except KeyboardInterrupt:
        import signal

        what = f" by {signal.Signals(received.signum).name}" if received.signum else ""
        typer.secho(f"interrupted{what}: the logs written so far are kept", fg="yellow", err=True)
        return 130
    except SystemExit as exc:  # typer's standalone exits: --help, usage errors, Abort
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except OSError as exc:  # a file or folder the user named: missing, unwritable, disk full, a loop
        where = f" ({exc.filename})" if exc.filename else ""
        typer.secho(f"error: {exc.strerror or _one_line(exc)}{where}", fg="red", err=True)
        return 2
    except (RecursionError, MemoryError) as exc:
        typer.secho(f"error: input too large or too deeply nested to read ({type(exc).__name__})", fg="red",
                    err=True)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback in a file
        saved = _save_traceback()
        typer.secho(f"internal error (a bug in mlpace, please report it): {type(exc).__name__}: "
                    f"{_one_line(exc)[:300]}; traceback saved to {saved}", fg="red", err=True)
        return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mlpace`` script; returns the exit code when given ``argv``.

    SIGTERM and SIGHUP take the Ctrl-C path (logs kept) and give ``128 + signum``."""
    import signal

    from mlpace import signals

    _register()
    if hasattr(signal, "SIGXFSZ"):  # a file-size limit: an error to report, not a silent death
        try:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        except ValueError:  # not the main thread
            pass
    with signals.terminate_as_interrupt() as received:
        code = _run(argv, received)
    if code == 130 and received.signum:
        code = received.exit_code()
    if argv is None:
        sys.exit(code)
    return code

"""Shared bits of the example harnesses: which LoadGen module to import, log settings, a sidecar.

Each harness is written against the official ``mlperf_loadgen`` API. The
environment variable ``HARNESS_LOADGEN`` picks the module (``mlperf_loadgen``,
the default, or ``mlpace.compat``) so the same file runs on both.
"""

import importlib
import json
import os
import sys
from pathlib import Path

MODULES = ("mlperf_loadgen", "mlpace.compat")


def loadgen():
    name = os.environ.get("HARNESS_LOADGEN", "mlperf_loadgen")
    if name not in MODULES:
        raise SystemExit(f"HARNESS_LOADGEN must be one of {MODULES}, got {name!r}")
    return importlib.import_module(name)


def outdir() -> Path:
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} OUTDIR")
    path = Path(sys.argv[1])
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_settings(lg, out: Path):
    ls = lg.LogSettings()
    ls.log_output.outdir = str(out)
    ls.log_output.copy_summary_to_stdout = False
    ls.enable_trace = False
    return ls


def write_sidecar(out: Path, **facts) -> None:
    """What the harness itself observed (issue calls, loads), for the test to compare."""
    (out / "harness.json").write_text(json.dumps(facts), encoding="utf-8")

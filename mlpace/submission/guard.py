"""A failed run never replaces good results in a submission tree.

``mlpace run --submission TREE`` copies each finished run into TREE. Before it does, this
module asks whether the scenario folder already holds a VALID performance run; a new run that
is INVALID (or failed its accuracy target) is then not written over it.
"""

from __future__ import annotations

import socket
from pathlib import Path

from mlpace.errors import DataError
from mlpace.submission.layout import scenario_dir
from mlpace.loadgen.logs.read import SUMMARY, read_summary


def keep_existing(tree_root, workload: str, scenario: str, new_ok: bool, *, division: str = "open",
                  org: str = "mlpace", system: str | None = None) -> Path | None:
    """The folder whose VALID result a not-ok new run must not replace, else None."""
    if new_ok:
        return None
    system = system or socket.gethostname().split(".")[0]
    dest = scenario_dir(Path(tree_root), division, org, system, workload, scenario)
    summary = dest / "performance" / "run_1" / SUMMARY
    if not summary.is_file():
        return None
    try:
        return dest if read_summary(summary).valid else None
    except DataError:
        return None

"""``mlperf_log_detail.txt``: one ``:::MLLOG {json}`` line per event, written as it happens.

Each line carries ``key``, ``value``, ``time_ms`` (since the log opened),
``namespace`` ``mlperf::logging``, ``event_type`` ``POINT_IN_TIME`` and
``metadata`` with ``is_error``/``is_warning``, ``file``, ``line_no``, ``pid``,
``tid`` — the layout MLPerf's submission-checker log parser reads. Lines are
flushed as they are written, so a crashed or interrupted run keeps its log.

Numbers are written as the official LoadGen writes them (a C++ ``ostream`` with
its default precision): a float with 6 significant digits in ``%g`` form
(``0.95``, ``500``, ``3333.33``, ``1e+06``), an integer in full, ``time_ms``
with 6 decimals, lists and objects without spaces. Non-finite floats are
written as JSON's ``NaN``/``Infinity`` (the official writes ``nan``/``inf``,
which no JSON reader accepts).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from pathlib import Path

import numpy as np


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "name") and hasattr(value, "value") and not isinstance(value, (int, float)):
        return value.name
    return value


def format_value(value) -> str:
    """The JSON text of a logged value, numbers formatted as the official LoadGen does."""
    value = _jsonable(value)
    if isinstance(value, float) and math.isfinite(value):
        return "%.6g" % value  # ostream << double, default precision 6
    return json.dumps(value, separators=(",", ":"))


class DetailLog:
    """Append-only MLLOG writer; counts errors and warnings for the summary footer."""

    def __init__(self, path: Path | None, copy_to_stdout: bool = False) -> None:
        self.path = path
        self._fh = open(path, "w", encoding="utf-8", buffering=1) if path is not None else None
        self._t0 = time.perf_counter_ns()
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self.errors = 0
        self.warnings = 0
        self.copy_to_stdout = copy_to_stdout
        self.error_messages: list[str] = []
        self.warning_messages: list[str] = []

    def point(self, key: str, value, *, error: bool = False, warning: bool = False) -> None:
        if error:
            self.errors += 1
            self.error_messages.append(f"{key}: {value}")
        if warning:
            self.warnings += 1
            self.warning_messages.append(f"{key}: {value}")
        metadata = {
            "is_error": error,
            "is_warning": warning,
            "file": "mlpace/loadgen",
            "line_no": 0,
            "pid": self._pid,
            "tid": threading.get_native_id(),
        }
        line = (f':::MLLOG {{"key": {json.dumps(key)}, "value": {format_value(value)}, '
                f'"time_ms": {(time.perf_counter_ns() - self._t0) / 1e6:.6f}, '
                f'"namespace": "mlperf::logging", "event_type": "POINT_IN_TIME", '
                f'"metadata": {json.dumps(metadata, separators=(", ", ": "))}}}\n')
        with self._lock:
            if self._fh is not None:
                self._fh.write(line)
            if self.copy_to_stdout:
                print(line, end="")

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


def read_detail_log(path: Path) -> list[dict]:
    """Parse a detail log (ours or the official LoadGen's) into its JSON records."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(":::MLLOG "):
                out.append(json.loads(line[len(":::MLLOG "):]))
    return out

"""mllog wiring: every event of a run goes through the official ``mlperf_logging.mllog``.

One :class:`RunLogger` per run owns one ``result_N.txt``. It builds a private Python
logger (no propagation, so nothing is echoed to stdout) with a file handler and hands
it to ``mllog.MLLogger``, which formats the ``:::MLLOG {...}`` lines. Ranks other than
0 get a :class:`NullRunLogger`, so a data-parallel run logs once.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any

from mlperf_logging.mllog import constants as C
from mlperf_logging.mllog.mllog import MLLogger

_ids = itertools.count()


class RunLogger:
    """Writes the mllog lines of one run to ``path`` (created, truncated)."""

    def __init__(self, path: str | Path, listener=None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._pylogger = logging.getLogger(f"mlpace.training.run.{next(_ids)}")
        self._pylogger.propagate = False
        self._pylogger.setLevel(logging.INFO)
        self._handler = logging.FileHandler(self.path, mode="w", encoding="utf-8")
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        self._pylogger.addHandler(self._handler)
        # stack offset 3 skips mllog's helper, this class's method and _emit, so "file" and
        # "lineno" name the line that asked for the event; paths are relative to the repo
        self._ml = MLLogger(logger=self._pylogger, default_namespace="", default_stack_offset=3,
                            root_dir=str(Path(__file__).resolve().parents[2]))
        self._listener = listener
        self.last_time_ms: dict[str, int] = {}

    def _emit(self, method: str, key: str, value: Any = None, metadata: dict | None = None) -> None:
        from mlperf_logging.mllog.mllog import _current_time_ms

        time_ms = _current_time_ms()
        getattr(self._ml, method)(key=key, value=value, metadata=metadata, time_ms=time_ms)
        self.last_time_ms[key] = time_ms
        if self._listener is not None:
            self._listener(key, value, metadata or {}, time_ms)

    def start(self, key: str, value: Any = None, metadata: dict | None = None) -> None:
        self._emit("start", key, value, metadata)

    def end(self, key: str, value: Any = None, metadata: dict | None = None) -> None:
        self._emit("end", key, value, metadata)

    def event(self, key: str, value: Any = None, metadata: dict | None = None) -> None:
        self._emit("event", key, value, metadata)

    def close(self) -> None:
        self._handler.flush()
        self._handler.close()
        self._pylogger.removeHandler(self._handler)


class NullRunLogger(RunLogger):
    """The logger of ranks other than 0: records nothing."""

    def __init__(self):  # noqa: D107 - deliberately no file
        self.path = None
        self.last_time_ms = {}

    def _emit(self, method, key, value=None, metadata=None):
        return None

    def close(self) -> None:
        return None


STATUS_SUCCESS = C.SUCCESS
STATUS_ABORTED = C.ABORTED

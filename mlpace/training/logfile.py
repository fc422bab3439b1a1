"""Reading result logs back: one ``result_N.txt`` into the facts scoring and RCPs need.

mlpace's own reader of the mllog format (text after ``:::MLLOG `` on any line, one JSON
object), independent of the harness, so it reads logs from any tool. It follows the
official tools' conventions: the time to train is ``run_stop - run_start`` in ms; the
convergence point is the ``samples_count`` (LLM/FLUX benchmarks) or ``epoch_num`` (all
others) of the last ``eval_accuracy`` before a ``run_stop`` with status ``success``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from mlpace.errors import DataError

TOKEN = ":::MLLOG "
# benchmarks whose convergence point is counted in samples (the RCP checker's list)
SAMPLES_BENCHMARKS = frozenset({"llama2_70b_lora", "flux1", "llama31_405b", "llama31_8b", "gpt_oss_20b",
                                "deepseekv3_671b", "qwen35_397b_grpo", "dlrmv4"})
_RESULT_NAME = re.compile(r"^result_(\d+)\.txt$")


@dataclass
class RunLog:
    """What one result file says."""

    path: Path
    benchmark: str | None = None
    division: str | None = None
    org: str | None = None
    global_batch_size: int | float | None = None
    seed: int | None = None
    run_start_ms: float | None = None
    run_stop_ms: float | None = None
    status: str | None = None
    converged_at: float | None = None  # epochs or samples, per the benchmark's unit
    evals: list[tuple[float | None, float]] = field(default_factory=list)
    error: str | None = None
    parse_errors: int = 0
    order_problems: list[str] = field(default_factory=list)  # run_stop before run_start, ...

    @property
    def converged(self) -> bool:
        return (self.status == "success" and self.run_start_ms is not None and self.run_stop_ms is not None
                and not self.order_problems)

    @property
    def time_to_train_ms(self) -> float | None:
        if self.run_start_ms is None or self.run_stop_ms is None:
            return None
        return self.run_stop_ms - self.run_start_ms

    @property
    def index(self) -> int | None:
        m = _RESULT_NAME.match(self.path.name)
        return int(m.group(1)) if m else None


def iter_events(path: Path):
    """Yield the decoded mllog events of a file; undecodable lines are counted, not fatal."""
    with open(path, encoding="latin-1") as f:
        for line in f:
            pos = line.find(TOKEN)
            if pos < 0:
                continue
            try:
                yield json.loads(line[pos + len(TOKEN):])
            except json.JSONDecodeError:
                yield None


def read_run_log(path: str | Path) -> RunLog:
    """Parse one result file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"result file not found: {path}")
    log = RunLog(path)
    last_eval_point = None
    for ev in iter_events(path):
        if ev is None or not isinstance(ev, dict) or "key" not in ev:
            log.parse_errors += 1
            continue
        key, value, meta = ev["key"], ev.get("value"), ev.get("metadata") or {}
        if key == "submission_benchmark":
            log.benchmark = value
        elif key == "submission_division":
            log.division = value
        elif key == "submission_org":
            log.org = value
        elif key == "global_batch_size":
            log.global_batch_size = value
        elif key == "seed":
            log.seed = value
        elif key == "run_start" and log.run_start_ms is None:
            log.run_start_ms = float(ev["time_ms"])
        elif key == "mlpace_run_error":
            log.error = value
        elif key in ("eval_accuracy", "eval_error"):
            unit = "samples_count" if log.benchmark in SAMPLES_BENCHMARKS else "epoch_num"
            last_eval_point = meta.get(unit)
            log.evals.append((last_eval_point, value))
        elif key == "run_stop" and log.run_stop_ms is None:
            log.run_stop_ms = float(ev["time_ms"])
            if log.run_start_ms is None:
                log.order_problems.append("run_stop comes before any run_start")
            elif log.run_stop_ms < log.run_start_ms:
                log.order_problems.append(f"run_stop time_ms {log.run_stop_ms:g} is earlier than run_start "
                                          f"time_ms {log.run_start_ms:g}")
            log.status = meta.get("status")
            if log.status == "success":
                log.converged_at = (round(last_eval_point, 3) if isinstance(last_eval_point, float)
                                    else last_eval_point)
    return log


def result_files(folder: str | Path) -> list[Path]:
    """The ``result_*.txt`` files of a benchmark folder, in run-number order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"results folder not found: {folder}")
    files = [p for p in folder.glob("result_*.txt") if p.is_file()]
    return sorted(files, key=lambda p: (int(m.group(1)) if (m := _RESULT_NAME.match(p.name)) else 1 << 30, p.name))

"""Generating reference convergence points for a benchmark: seeded runs per batch size.

For each batch size the benchmark is run with a learning rate scaled from its base
(``lr * sqrt(bs / base_bs)``, the usual rule for Adam, unless given), one fresh seed per
run, until ``points`` runs have converged (at most ``2 * points`` attempts). The epochs to
converge go into an RCP JSON in the official layout; the converged count and times are
returned too, which is how each benchmark's target was chosen (docs/training.md).
"""

from __future__ import annotations

import datetime
import math
import platform
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from mlpace.errors import DataError
from mlpace.training.api import Benchmark
from mlpace.training.harness import RunResult, run_once
from mlpace.training.rcp import rcp_json_record

RCP_SEED_BASE = 10_001  # far from the default submission seeds (1, 2, ...)


@dataclass
class BatchSizeRuns:
    """All attempts at one batch size."""

    bs: int
    lr: float
    results: list[RunResult] = field(default_factory=list)

    @property
    def converged(self) -> list[RunResult]:
        return [r for r in self.results if r.converged]

    def first_n_summary(self, n: int) -> tuple[int, int, float | None]:
        """(converged, attempted, median time in s) over the first ``n`` attempts."""
        head = self.results[:n]
        ok = [r.time_to_train_s for r in head if r.converged]
        return len(ok), len(head), (statistics.median(ok) if ok else None)


def scaled_lr(bench: Benchmark, bs: int) -> float:
    cfg = bench.config
    return cfg.opt_base_learning_rate * math.sqrt(bs / cfg.global_batch_size)


def generate(bench: Benchmark, batch_sizes: list[int], points: int, *, lrs: dict[int, float] | None = None,
             seed_base: int = RCP_SEED_BASE,
             on_run_done: Callable[[int, RunResult], None] | None = None) -> tuple[dict, list[BatchSizeRuns]]:
    """Run the reference runs; return (RCP JSON mapping, per-batch-size runs)."""
    records, all_runs = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for bs in batch_sizes:
            lr = (lrs or {}).get(bs) or scaled_lr(bench, bs)
            cfg = bench.config.with_overrides({"global_batch_size": bs, "opt_base_learning_rate": round(lr, 6)})
            b = bench.with_config(cfg)
            runs = BatchSizeRuns(bs, cfg.opt_base_learning_rate)
            attempt = 0
            while len(runs.converged) < points and attempt < 2 * points:
                seed = seed_base + attempt
                res = run_once(b, index=attempt, seed=seed, log_path=Path(tmp) / f"rcp_{bs}_{attempt}.txt")
                runs.results.append(res)
                attempt += 1
                if on_run_done:
                    on_run_done(bs, res)
            all_runs.append(runs)
            if len(runs.converged) < points:
                raise DataError(f"{bench.name} at batch size {bs}: only {len(runs.converged)} of {attempt} "
                                f"reference runs converged; the target or epoch limit does not suit this batch size")
            hyper = {"opt_base_learning_rate": cfg.opt_base_learning_rate}
            records[f"{bench.name}_ref_{bs}"] = rcp_json_record(
                bench.name, bs, sorted(r.epochs for r in runs.converged[:points]), hyper,
                creator="mlpace rcpgen", platform=f"{platform.machine()} CPU, torch",
                when=datetime.date.today().isoformat())
    return records, all_runs

"""One timed run: cache clear, untimed init, clock, train/eval until the target or the limit.

The order of events follows the MLPerf Training rules: ``cache_clear``, ``init_start``,
submission and hyperparameter events, the loop's untimed ``init``, ``init_stop``, then
``run_start`` *before* the loop touches the data, epochs with evaluations at the
configured cadence, and ``run_stop`` with status ``success`` at the first evaluation
that meets the target, or ``aborted`` at the epoch limit or when the loop raises.
The time to train is read back from the logged timestamps, so it is exactly what the
official tools compute from the file.
"""

from __future__ import annotations

import gc
import os
import random
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from mlpace.training.api import Benchmark, RunContext
from mlpace.training.mllogging import STATUS_ABORTED, STATUS_SUCCESS, NullRunLogger, RunLogger


@dataclass(frozen=True)
class Submission:
    """The submission fields every log carries."""

    org: str = "mlpace"
    platform: str = "cpu"
    division: str = "closed"
    status: str = "onprem"


@dataclass
class RunResult:
    """The outcome of one run, as read back from its log events."""

    index: int
    seed: int
    status: str  # "success" | "aborted"
    epochs: int | None  # epoch of the first evaluation meeting the target
    last_metric: float | None
    time_to_train_s: float | None  # run_stop - run_start, seconds
    error: str | None = None
    log_path: Path | None = None

    @property
    def converged(self) -> bool:
        return self.status == STATUS_SUCCESS


@dataclass(frozen=True)
class Progress:
    """One update for a progress display (sent after every evaluation)."""

    index: int
    epoch: int
    max_epochs: int
    metric: float
    target: float
    goal: str
    elapsed_s: float


def drop_page_cache(paths) -> int:
    """Ask the OS to drop cached pages of ``paths`` (no root needed); returns files dropped."""
    dropped = 0
    for path in paths or ():
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if hasattr(os, "posix_fadvise"):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                dropped += 1
        finally:
            os.close(fd)
    return dropped


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch for one run."""
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def run_once(
    benchmark: Benchmark,
    *,
    index: int,
    seed: int,
    log_path: str | Path | None,
    submission: Submission = Submission(),
    rank: int = 0,
    world_size: int = 1,
    on_progress: Callable[[Progress], None] | None = None,
    barrier: Callable[[], None] | None = None,
) -> RunResult:
    """Execute one run of ``benchmark`` and write its log to ``log_path`` (rank 0 only).

    A loop that raises is logged as ``aborted`` and reported in ``RunResult.error``;
    ``KeyboardInterrupt`` is not caught (the caller keeps finished logs).
    """
    cfg = benchmark.config
    log = RunLogger(log_path) if (rank == 0 and log_path is not None) else NullRunLogger()
    ctx = RunContext(config=cfg, seed=seed, rank=rank, world_size=world_size)
    status, epochs, metric, error = STATUS_ABORTED, None, None, None
    epoch = 0
    try:
        loop = benchmark.make_loop(cfg)
        files = loop.data_files() if hasattr(loop, "data_files") else ()
        gc.collect()
        drop_page_cache(files)
        log.event("cache_clear", True)
        log.start("init_start")
        log.event("submission_org", submission.org)
        log.event("submission_platform", submission.platform)
        log.event("submission_division", submission.division)
        log.event("submission_status", submission.status)
        log.event("submission_benchmark", cfg.name)
        log.event("seed", seed)
        for key, value in cfg.logged_hyperparameters().items():
            log.event(key, value)
        seed_everything(seed)
        loop.init(ctx)
        if barrier:
            barrier()
        log.end("init_stop")
        log.start("run_start")
        t0 = time.perf_counter()
        info = loop.load_data(ctx)
        log.event("train_samples", int(info.train_samples))
        log.event("eval_samples", int(info.eval_samples))
        for epoch in range(1, cfg.max_epochs + 1):
            log.start("epoch_start", metadata={"epoch_num": epoch})
            loop.train_epoch(ctx, epoch)
            log.end("epoch_stop", metadata={"epoch_num": epoch})
            if epoch % cfg.eval_every_epochs and epoch != cfg.max_epochs:
                continue
            log.start("eval_start", metadata={"epoch_num": epoch})
            metric = float(loop.evaluate(ctx))
            log.event("eval_accuracy", metric, metadata={"epoch_num": epoch})
            log.end("eval_stop", metadata={"epoch_num": epoch})
            if on_progress is not None and rank == 0:
                on_progress(Progress(index, epoch, cfg.max_epochs, metric, cfg.quality.target,
                                     cfg.quality.goal, time.perf_counter() - t0))
            if cfg.quality.reached(metric):
                status, epochs = STATUS_SUCCESS, epoch
                break
    except KeyboardInterrupt:
        log.close()
        raise
    except Exception as exc:  # noqa: BLE001 - a crashing loop is an aborted run, the set goes on
        error = f"{type(exc).__name__}: {exc}"
        log.event("mlpace_run_error", error, metadata={"traceback": traceback.format_exc(limit=5)})
    # a loop that crashed before run_start gets no invented clock events: its log is
    # incomplete on purpose, and the checker says so
    log.end("run_stop", metadata={"status": status, "epoch_num": epoch})
    log.close()
    start_ms = log.last_time_ms.get("run_start")
    stop_ms = log.last_time_ms.get("run_stop")
    ttt = (stop_ms - start_ms) / 1000.0 if (start_ms is not None and stop_ms is not None) else None
    return RunResult(index=index, seed=seed, status=status, epochs=epochs, last_metric=metric,
                     time_to_train_s=ttt, error=error,
                     log_path=Path(log_path) if log_path is not None else None)

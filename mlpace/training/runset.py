"""A result set: N seeded runs of one benchmark into the official results layout.

Each run logs to ``result_N.txt.partial`` and is renamed to ``result_N.txt`` when it
ends, so a folder never holds a half-written result under the name the official tools
read. A run whose loop raises after ``run_start`` is logged as aborted (with the error) and the
set goes on; one that fails before ``run_start`` (its loop cannot be built or initialised) is
a harness/setup error: it is kept as ``result_N.txt.failed`` and the set stops. Ctrl-C keeps
every finished ``result_N.txt`` and renames the interrupted log ``.interrupted``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from mlpace.errors import ConfigError, Interrupted, SUTError
from mlpace.training.api import Benchmark
from mlpace.training.benchmarks import get_benchmark
from mlpace.training.config import load_config_file
from mlpace.training.harness import Progress, RunResult, Submission, run_once
from mlpace.training.results_tree import ResultsLayout

# closed division: what a submitter may change (MLPerf closed allows batch size, learning
# rate and similar hyperparameters; the model, data, target and run count are fixed)
CLOSED_TUNABLE = ("global_batch_size", "opt_base_learning_rate", "gradient_accumulation_steps",
                  "hyperparameters", "max_epochs")


def build_benchmark(spec: str, overrides: dict | None = None, config_file: str | Path | None = None,
                    division: str = "closed") -> Benchmark:
    """The benchmark ``spec`` with a config file and ``key=value`` overrides applied."""
    if division not in ("closed", "open"):
        raise ConfigError(f"division {division!r} must be 'closed' or 'open'")
    bench = get_benchmark(spec)
    changes: dict = {}
    if config_file:
        raw = load_config_file(config_file)
        base = bench.config.model_dump()
        changes.update({k: v for k, v in raw.items() if base.get(k) != v})
    changes.update(overrides or {})
    if not changes:
        return bench
    if division == "closed":
        fixed = sorted({k.split(".")[0] for k in changes} - set(CLOSED_TUNABLE))
        if fixed:
            raise ConfigError(f"closed division fixes {', '.join(fixed)} of {bench.name}; "
                              f"only {', '.join(CLOSED_TUNABLE)} may change (or use --division open)")
    return bench.with_config(bench.config.with_overrides(changes))


def run_set(
    benchmark: Benchmark,
    layout: ResultsLayout,
    *,
    runs: int,
    base_seed: int,
    submission: Submission,
    rank: int = 0,
    world_size: int = 1,
    barrier: Callable[[], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_run_start: Callable[[int, int], None] | None = None,
    on_run_done: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run ``runs`` seeded runs (seed ``base_seed + i``) and return their results."""
    if runs < 1:
        raise ConfigError(f"--runs must be at least 1 (got {runs})")
    if benchmark.config.global_batch_size % world_size:
        raise ConfigError(f"global_batch_size {benchmark.config.global_batch_size} does not split over "
                          f"{world_size} processes; choose --nproc dividing it")
    results: list[RunResult] = []
    for i in range(runs):
        final = layout.result_path(i)
        partial = final.with_name(final.name + ".partial")
        seed = base_seed + i
        if on_run_start is not None:
            on_run_start(i, seed)
        try:
            res = run_once(benchmark, index=i, seed=seed, log_path=partial if rank == 0 else None,
                           submission=submission, rank=rank, world_size=world_size,
                           on_progress=on_progress, barrier=barrier)
        except KeyboardInterrupt:
            if rank == 0 and partial.exists():
                partial.replace(final.with_name(final.name + ".interrupted"))
            raise Interrupted(f"interrupted during run {i}: kept {i} finished result file(s) in "
                              f"{layout.benchmark_dir}") from None
        if res.error and res.time_to_train_s is None:
            # it failed before run_start (building or initialising the loop): a harness or
            # setup error, not a run that did not converge; it is not written as a result
            kept = final.with_name(final.name + ".failed")
            if rank == 0 and partial.exists():
                partial.replace(kept)
            raise SUTError(f"run {i} failed before run_start: {res.error}; no result file written "
                           f"(its log is {kept})")
        if rank == 0:
            partial.replace(final)
            res.log_path = final
        results.append(res)
        if on_run_done is not None:
            on_run_done(res)
    return results

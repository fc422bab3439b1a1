"""Convergence of mlpace's training benchmarks at candidate targets, over 10 seeds.

Each seed runs once with the target set out of reach (so it trains to the epoch limit);
from the logged evaluations, each candidate target gets the first epoch that meets it
and the time from ``run_start`` to that evaluation. Prints a Markdown table: seeds
converged out of 10, median time and epochs. This is how each benchmark's target was
chosen (at least 9 of 10 seeds must converge); docs/training.md holds the results.

    .venv/bin/python benchmarks/training_convergence.py [digits_cnn adding_gru]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from mlpace.training.benchmarks import get_benchmark
from mlpace.training.harness import run_once
from mlpace.training.logfile import iter_events

CANDIDATES = {"digits_cnn": [0.95, 0.96, 0.97, 0.98], "adding_gru": [0.02, 0.01, 0.005]}
SEEDS = range(101, 111)


def trajectory(path: Path) -> list[tuple[int, float, float]]:
    """(epoch, metric, seconds since run_start) of every evaluation in a log."""
    start, out = None, []
    for ev in iter_events(path):
        if ev and ev["key"] == "run_start":
            start = ev["time_ms"]
        elif ev and ev["key"] == "eval_accuracy":
            out.append((ev["metadata"]["epoch_num"], ev["value"], (ev["time_ms"] - start) / 1000))
    return out


def main(names: list[str]) -> None:
    print("| benchmark | target | converged / 10 | median time to train (s) | median epochs |")
    print("|---|---|---|---|---|")
    for name in names:
        bench = get_benchmark(name)
        q = bench.config.quality
        # a target no model meets (accuracy above 1, error below 0): every seed trains to the limit
        cfg = bench.config.with_overrides({"quality.target": 2.0 if q.goal == "max" else -1.0})
        trajs = []
        with tempfile.TemporaryDirectory() as tmp:
            for seed in SEEDS:
                log = Path(tmp) / f"{seed}.txt"
                run_once(bench.with_config(cfg), index=0, seed=seed, log_path=log)
                trajs.append(trajectory(log))
        for target in CANDIDATES[name]:
            hits = []
            for traj in trajs:
                ok = [(e, t) for e, m, t in traj if (m >= target if q.goal == "max" else m <= target)]
                if ok:
                    hits.append(ok[0])
            med_t = f"{statistics.median(t for _, t in hits):.2f}" if hits else "-"
            med_e = f"{statistics.median(e for e, _ in hits):g}" if hits else "-"
            op = ">=" if q.goal == "max" else "<="
            mark = " (shipped)" if target == q.target else ""
            print(f"| {name} | {q.metric} {op} {target:g}{mark} | {len(hits)} / {len(trajs)} | {med_t} | {med_e} |",
                  flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(CANDIDATES))

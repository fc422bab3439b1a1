"""Time the seeded plan generation (schedule.py) for large runs; prints one line per case.

    .venv/bin/python benchmarks/schedule_generation.py

Cases: a 1M-sample Offline plan, a 100k-query Server plan, a 100k-query
SingleStream plan, the accuracy-mode sets of a 50k-sample QSL (ImageNet size),
and the accuracy-log mask of a 100k-sample performance run (TEST01 sampling).
"""

from __future__ import annotations

import time

from mlpace.loadgen import schedule
from mlpace.loadgen.effective import derive
from mlpace.loadgen.settings import TestSettings

SEEDS = dict(qsl_rng_seed=2085463073848966840, sample_index_rng_seed=2747215439041700203,
             schedule_rng_seed=16159082839903944936, accuracy_log_rng_seed=720381539243781796)


def timed(label: str, fn, repeat: int = 3) -> None:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    print(f"{label:<52} {best * 1e3:9.1f} ms   ({out})")


def main() -> None:
    off = derive(TestSettings.make(scenario="Offline", offline_expected_qps=1_000_000 / 1.1,
                                   min_duration_ms=1000, **SEEDS), 50_000, 1024)
    loaded = schedule.performance_set(off, 50_000)
    timed("Offline performance plan, 1M samples",
          lambda: f"{schedule.performance_plan(off, loaded).sample_count} samples")

    srv = derive(TestSettings.make(scenario="Server", server_target_qps=10_000, min_duration_ms=10_000,
                                   min_query_count=100, **SEEDS), 50_000, 1024)
    timed("Server performance plan, 100k queries",
          lambda: f"{schedule.performance_plan(srv, loaded).query_count} queries")

    ss = derive(TestSettings.make(scenario="SingleStream", single_stream_expected_latency_ns=100_000,
                                  min_duration_ms=5_000, **SEEDS), 50_000, 1024)
    timed("SingleStream performance plan, 100k queries",
          lambda: f"{schedule.performance_plan(ss, loaded).query_count} queries")

    acc = derive(TestSettings.make(scenario="SingleStream", mode="AccuracyOnly", **SEEDS), 50_000, 1024)
    timed("accuracy sets + plans, 50k-sample QSL",
          lambda: f"{sum(schedule.accuracy_plan(acc, s).sample_count for s in schedule.accuracy_sets(acc, 50_000))} samples")

    test01 = derive(TestSettings.make(scenario="Server", accuracy_log_probability=0.1, **SEEDS), 50_000, 1024)
    timed("accuracy-log mask, 100k samples",
          lambda: f"{int(schedule.accuracy_log_mask(test01, 100_000).sum())} logged")


if __name__ == "__main__":
    main()

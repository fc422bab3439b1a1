"""Soak: one long Server run with a null SUT; does mlpace's memory stay flat?

    python benchmarks/soak.py                 # 10 minutes at 2,000 QPS
    python benchmarks/soak.py --minutes 1     # a quick look

The SUT answers every query at once from a worker thread (so issue and completion run
concurrently, as with a real server). A sampler thread reads the process RSS every few
seconds. Printed: RSS once the run is planned, every minute, at the end; the growth from the
first minute to the end of the issuing (before the verdict is computed) next to the size of the per-query record arrays (allocated up front
as zero pages, so they enter RSS as the run fills them); the verdict and the issue lag. Nothing is asserted: the figures are
for the reader (docs/reliability.md records one run).
"""

from __future__ import annotations

import argparse
import os
import queue
import tempfile
import threading
import time

import numpy as np


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the run (default 10)")
    ap.add_argument("--qps", type=float, default=2000.0, help="Server target QPS (default 2000)")
    ap.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    args = ap.parse_args()

    from mlpace import loadgen as lg

    work: queue.SimpleQueue = queue.SimpleQueue()

    def worker() -> None:
        while (ids := work.get()) is not None:
            lg.complete(ids)

    class NullSUT:
        name = "soak-null"

        def issue_queries(self, ids, indices):
            work.put(ids)

        def flush_queries(self):
            pass

    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    t0 = time.monotonic()

    def sampler() -> None:
        while not stop.wait(args.every):
            samples.append((time.monotonic() - t0, rss_mib()))

    duration_ms = int(args.minutes * 60_000)
    settings = lg.TestSettings.make(scenario="Server", mode="PerformanceOnly", server_target_qps=args.qps,
                                    server_target_latency_ns=100_000_000, min_duration_ms=duration_ms,
                                    max_duration_ms=duration_ms + 60_000, min_query_count=1)
    start_rss = rss_mib()
    threads = [threading.Thread(target=worker, daemon=True), threading.Thread(target=sampler, daemon=True)]
    for t in threads:
        t.start()
    with tempfile.TemporaryDirectory() as out:
        result = lg.start_test(NullSUT(), lg.SimpleQSL("soak", 1024, 1024), settings, lg.LogSettings(outdir=out),
                               audit_config=None)
    stop.set()
    work.put(None)
    end_rss = rss_mib()
    print(f"soak: Server {args.qps:g} QPS for {args.minutes:g} min, null SUT on a worker thread")
    print(f"RSS before the run            : {start_rss:8.1f} MiB")
    minute_marks = {}
    for t, r in samples:
        minute_marks.setdefault(int(t // 60), (t, r))
    for m, (t, r) in sorted(minute_marks.items()):
        print(f"RSS at {t:6.0f} s               : {r:8.1f} MiB")
    print(f"RSS after the run             : {end_rss:8.1f} MiB")
    # the issuing part of the run: after the first minute (or half), before the verdict is computed
    issuing = [(t, r) for t, r in samples if t <= duration_ms / 1000 - args.every]
    if len(issuing) >= 2:
        t_first = min(60.0, issuing[-1][0] / 2)
        t1, first = next((t, r) for t, r in issuing if t >= t_first)
        t2, last = issuing[-1]
        print(f"growth {t1:.0f} s -> {t2:.0f} s (issuing)  : {last - first:+8.1f} MiB "
              f"({100 * (last - first) / max(first, 1e-9):+.2f}%)")
        rs = np.array([r for _, r in samples])
        print(f"RSS min / max (all samples)   : {rs.min():8.1f} / {rs.max():.1f} MiB over {len(rs)} samples "
              "(the last ones include computing the verdict)")
    m = result.metrics
    arrays = 16 * m.get("query_count", 0) / 2**20
    print(f"per-query record arrays       : {arrays:8.1f} MiB (issue_ns + complete_ns, 16 B a query, "
          "zero pages filled as the run goes: RSS growth up to this is the run's own record)")
    print(f"verdict {result.verdict}; {m.get('query_count', 0):,.0f} queries; completed "
          f"{m.get('completed_samples_per_sec', 0):,.1f} samples/s; issue lag p99 "
          f"{m.get('issue_lag_p99_ns', 0) / 1e3:,.1f} us")
    if result.reasons:
        print("reasons: " + "; ".join(result.reasons))


if __name__ == "__main__":
    main()

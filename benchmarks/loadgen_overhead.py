"""LoadGen overhead, side by side: the official C++ LoadGen vs mlpace (native and compat).

    python benchmarks/loadgen_overhead.py            # full run (a few minutes)
    python benchmarks/loadgen_overhead.py --quick    # under a minute
    python benchmarks/loadgen_overhead.py --tail     # only the latency-tail table (~3 minutes)

Each measurement runs in a fresh process (``_overhead_child.py``), alternating
implementations, with the same null SUT and settings: the official module and
``mlpace.compat`` run the very same SUT code; the native row uses mlpace's array
API. Prints, per scenario, the official figure, mlpace's, and the ratio
mlpace/official; peak RSS of each; and mlpace's Server issue precision.
Server: the highest VALID QPS is searched the same way for each implementation
(doubling from a start rate, then bisection to the requested resolution).

The tail table: Server at 10k, 50k and 100k QPS with the null SUT answering inline
(``QuerySamplesComplete`` called from ``issue_query``), the same 10 s run (2 s with
``--quick``) for each implementation, interleaved, ``--tail-repeats`` times; it reports
each one's median p99 and p99.9 latency over the repeats and the ratios mlpace/official.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_overhead_child.py"
IMPLS = ("official", "compat", "native")
console = Console(width=max(140, Console().width))


def measure(impl: str, run: str, **opts) -> dict:
    args = [sys.executable, str(CHILD), impl, run] + [f"{k}={v}" for k, v in opts.items()]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{impl} {run} {opts} failed:\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def best_of(impl: str, run: str, repeats: int, key: str, **opts) -> dict:
    results = [measure(impl, run, **opts) for _ in range(repeats)]
    return max(results, key=lambda r: float(r[key] or 0))


def server_search(impl: str, duration_ms: int, start: float, resolution: float) -> tuple[float, dict | None, list]:
    """Highest VALID QPS: double from ``start`` until INVALID, then bisect to ``resolution``."""
    tried = []
    lo, lo_res = 0.0, None
    qps = start
    hi = None
    while hi is None:
        r = measure(impl, "server", qps=int(qps), duration_ms=duration_ms)
        tried.append((int(qps), r["valid"]))
        if r["valid"]:
            lo, lo_res = qps, r
            qps *= 2
            if qps > 3_200_000:
                hi = qps
        else:
            hi = qps
    while hi - lo > resolution * max(lo, 1):
        mid = (lo + hi) / 2
        r = measure(impl, "server", qps=int(mid), duration_ms=duration_ms)
        tried.append((int(mid), r["valid"]))
        if r["valid"]:
            lo, lo_res = mid, r
        else:
            hi = mid
    return lo, lo_res, tried


def tail_table(duration_ms: int, repeats: int, figures: dict) -> Table:
    """p99 / p99.9 latency of the LoadGen itself: Server, null SUT answering inline."""
    table = Table(title=f"LoadGen latency tail: Server, null SUT answering inline, {duration_ms / 1000:g} s runs, "
                        f"median of {repeats} (ns)")
    for c in ("QPS", "official p99", "official p99.9", "compat p99", "compat p99.9", "native p99",
              "native p99.9", "compat/off p99", "compat/off p99.9", "native/off p99", "native/off p99.9"):
        table.add_column(c, justify="right")
    for qps in (10_000, 50_000, 100_000):
        runs: dict[str, list] = {impl: [] for impl in IMPLS}
        for rep in range(repeats):
            order = IMPLS if rep % 2 == 0 else tuple(reversed(IMPLS))  # no implementation always first
            for impl in order:
                runs[impl].append(measure(impl, "server", qps=qps, duration_ms=duration_ms))
        med = {impl: {k: statistics.median(int(r[k] or 0) for r in rs) for k in ("p99_ns", "p999_ns")}
               for impl, rs in runs.items()}
        figures[f"tail_{qps}"] = {"median": med, "runs": runs}
        o = med["official"]
        table.add_row(f"{qps:,}", *(f"{med[i][k]:,.0f}" for i in IMPLS for k in ("p99_ns", "p999_ns")),
                      *(ratio(med[i][k], o[k]) for i in ("compat", "native") for k in ("p99_ns", "p999_ns")))
    return table


def ratio(a, b) -> str:
    try:
        return f"{float(a) / float(b):.2f}"
    except (TypeError, ZeroDivisionError, ValueError):
        return "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short runs (under a minute)")
    ap.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    ap.add_argument("--tail", action="store_true", help="only the latency-tail table")
    ap.add_argument("--tail-repeats", type=int, default=3, help="runs per implementation and QPS (tail table)")
    args = ap.parse_args()
    if args.quick:
        off_n, ss_ms, sv_ms, reps, sv_start, sv_res = 200_000, 1000, 1000, 1, 100_000, 0.5
    else:
        off_n, ss_ms, sv_ms, reps, sv_start, sv_res = 1_000_000, 10_000, 10_000, 2, 50_000, 0.1
    console.print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                  f"Python {platform.python_version()}")
    rows = []
    mem = []
    figures: dict = {}
    if args.tail:
        console.print(tail_table(2000 if args.quick else 10_000, args.tail_repeats, figures))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1, default=str))
        return 0
    for sut in ("inline", "thread"):
        res = {impl: best_of(impl, "offline", reps, "samples_per_second", samples=off_n, sut=sut) for impl in IMPLS}
        figures[f"offline_{sut}"] = res
        for impl in ("native", "compat"):
            rows.append((f"Offline {sut}: samples/s", impl,
                         res["official"]["samples_per_second"], res[impl]["samples_per_second"]))
        for impl in ("native", "compat"):  # the whole StartTest call, setup and results included
            rows.append((f"Offline {sut}: samples / StartTest wall s", impl,
                         off_n / res["official"]["wall_s"], off_n / res[impl]["wall_s"]))
        if sut == "inline":
            mem.append((f"Offline inline, {off_n:,} samples", res))
    res = {impl: best_of(impl, "singlestream", reps, "qps_with_overhead", duration_ms=ss_ms) for impl in IMPLS}
    figures["singlestream"] = res
    for impl in ("native", "compat"):
        rows.append((f"SingleStream {ss_ms / 1000:g} s: QPS w/ overhead", impl,
                     res["official"]["qps_with_overhead"], res[impl]["qps_with_overhead"]))
    mem.append((f"SingleStream {ss_ms / 1000:g} s", res))
    ss = res
    res = {impl: measure(impl, "server", qps=100_000, duration_ms=sv_ms) for impl in IMPLS}
    figures["server_100k"] = res
    mem.append((f"Server 100k QPS x {sv_ms / 1000:g} s", res))
    sv = {}
    for impl in IMPLS:
        sv[impl] = server_search(impl, sv_ms, sv_start, sv_res)
    figures["server"] = {k: {"peak_qps": v[0], "at_peak": v[1], "tried": v[2]} for k, v in sv.items()}
    for impl in ("native", "compat"):
        rows.append((f"Server {sv_ms / 1000:g} s, 100 ms bound: max VALID QPS", impl, sv["official"][0], sv[impl][0]))

    table = Table(title=f"LoadGen throughput: official C++ LoadGen 6.0.17 vs mlpace, null SUT"
                        f" ({'quick' if args.quick else 'full'} run)")
    for c in ("run", "mlpace API", "official", "mlpace", "mlpace/official"):
        table.add_column(c, justify="left" if c in ("run", "mlpace API") else "right")
    for run, impl, off, ours in rows:
        table.add_row(run, impl, f"{float(off or 0):,.0f}", f"{float(ours or 0):,.0f}", ratio(ours, off))
    console.print(table)
    mt = Table(title="Peak RSS (MB) of the same run; goal: mlpace <= 0.5 x official")
    for c in ("run", "official", "compat", "native", "compat/official", "native/official"):
        mt.add_column(c, justify="left" if c == "run" else "right")
    for run, res in mem:
        o, c, n = (res[k]["rss_mb"] for k in IMPLS)
        mt.add_row(run, f"{o:,.0f}", f"{c:,.0f}", f"{n:,.0f}", ratio(c, o), ratio(n, o))
    console.print(mt)
    lat = Table(title="SingleStream latency (ns), null SUT")
    for c in ("impl", "p50", "p90", "p99"):
        lat.add_column(c, justify="right")
    for impl in IMPLS:
        lat.add_row(impl, *(str(ss[impl][k]) for k in ("p50_ns", "p90_ns", "p99_ns")))
    console.print(lat)
    prec = Table(title="mlpace Server issue precision (actual - scheduled issue time, ns)")
    for c in ("impl", "QPS", "p50 lag", "p99 lag", "p99 latency"):
        prec.add_column(c, justify="right")
    for impl in ("native", "compat"):
        r = figures["server_100k"][impl]
        prec.add_row(impl, "100,000", str(r.get("issue_lag_p50_ns")), str(r.get("issue_lag_p99_ns")), str(r.get("p99_ns")))
        r = sv[impl][1] or {}
        prec.add_row(impl, f"{sv[impl][0]:,.0f} (max VALID)", str(r.get("issue_lag_p50_ns")),
                     str(r.get("issue_lag_p99_ns")), str(r.get("p99_ns")))
    console.print(prec)
    for impl in IMPLS:
        console.print(f"[dim]{impl} Server search (QPS, VALID): {sv[impl][2]}[/dim]")
    console.print(tail_table(sv_ms, args.tail_repeats, figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

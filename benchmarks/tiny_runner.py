"""Figures for the tiny runner against the simulated board (not a pass/fail test).

Prints, per benchmark: wall time of an official performance run (5 windows of >= 10 s of
virtual time), the error of the measured throughput against the cost model, wall time of
a full accuracy run, and the host's tensor-load rate over an unpaced pty.

    .venv/bin/python benchmarks/tiny_runner.py [--benchmarks ic,kws] [--energy [--monitor lpm01a]]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from mlpace.tiny import benchmarks
from mlpace.tiny.runner import make_config, run
from mlpace.tiny.sim.board import SimulatedBoard
from mlpace.tiny.sim.cost import CostModel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmarks", default="ic,vww,kws,ad")
    ap.add_argument("--energy", action="store_true", help="also time an energy run per benchmark")
    ap.add_argument("--monitor", default="mlpace", choices=["mlpace", "lpm01a"],
                    help="energy monitor protocol of the simulated board (lpm01a: the STM32 power shield's)")
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="tiny-bench-"))
    print(f"{'bench':6} {'mode':11} {'wall s':>8} {'measured':>12} {'cost model':>12} {'error %':>8}  extra")
    for name in args.benchmarks.split(","):
        bench = benchmarks.get(name)
        cost = CostModel(macs=bench.macs, jitter=0.01)
        with SimulatedBoard(name, pace=False, cost=cost) as board:
            t0 = time.monotonic()
            r = run(make_config(benchmark=name, port=board.port, results_dir=out))
            wall = time.monotonic() - t0
            err = (r.median_throughput / cost.throughput - 1) * 100
            print(f"{name:6} {'performance':11} {wall:8.2f} {r.median_throughput:12.3f} {cost.throughput:12.3f} "
                  f"{err:8.3f}  N={r.windows[0].n}")
            before = board.firmware.infer_count
            t0 = time.monotonic()
            r = run(make_config(benchmark=name, mode="accuracy", port=board.port, results_dir=out))
            wall = time.monotonic() - t0
            payloads = board.firmware.infer_count - before
            score = f"top-1 {r.top1 * 100:.1f}%" if r.top1 is not None else f"AUC {r.auc:.3f}"
            rate = payloads * bench.input_bytes / wall / 1024
            print(f"{name:6} {'accuracy':11} {wall:8.2f} {score:>12} {'':12} {'':8}  {r.files} files, "
                  f"{payloads} inferences, ~{rate:.0f} KiB/s loaded")
        if args.energy:
            with SimulatedBoard(name, mode="energy", pace=False, cost=cost, noise_ma=0.2,
                                monitor=args.monitor) as board:
                t0 = time.monotonic()
                r = run(make_config(benchmark=name, mode="energy", port=board.port, monitor_port=board.monitor_port,
                                    monitor=args.monitor, monitor_voltage_v=cost.voltage_v, results_dir=out))
                wall = time.monotonic() - t0
                err = (r.median_uj_per_inference / cost.energy_uj - 1) * 100
                print(f"{name:6} {'energy':11} {wall:8.2f} {r.median_uj_per_inference:12.3f} {cost.energy_uj:12.3f} "
                      f"{err:8.3f}  uJ/inf.")
    print(f"results under {out}")


if __name__ == "__main__":
    main()

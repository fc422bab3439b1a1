"""Figures for the Ray-backed SUT (not a pass/fail test): what replicas buy, what Ray costs.

On a two-node ``ray.cluster_utils.Cluster`` on loopback (each node 1 CPU), with a workload's
onnxruntime model (``--workload``, default digits), prints:

* Offline samples/s in-process and over Ray with 1 and 2 replicas (one per node), at the
  dispatcher's batch sizes given by ``--batches``;
* SingleStream p50/p90 latency in-process and over Ray with 1 replica: the difference is
  the latency Ray adds per query (one actor call per query: no batching to hide it).

    .venv/bin/python benchmarks/ray_scaling.py [--seconds 2] [--batches 64,1024] [--workload vww]
"""

from __future__ import annotations

import argparse
import os
import tempfile

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # loopback only

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

from mlpace import loadgen as lg  # noqa: E402
from mlpace import workloads  # noqa: E402
from mlpace.loadgen.calibrate import calibrate  # noqa: E402
from mlpace.scale.ray_sut import RaySUT  # noqa: E402


def _run(sut, qsl, wl, scenario: str, seconds: float):
    settings = lg.TestSettings.make(**wl.default_settings(scenario))
    settings.mode = lg.TestMode.PerformanceOnly
    settings.min_duration_ms = int(seconds * 1000)
    calibrate(sut, qsl, settings, set())
    if scenario == "Offline":
        settings.offline_expected_qps *= 1.5  # a run somewhat longer than min_duration
    result = lg.start_test(sut, qsl, settings, lg.LogSettings(outdir=tempfile.mkdtemp(prefix="ray-bench-")))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="min_duration of each run")
    ap.add_argument("--batches", default="64,1024", help="dispatcher batch sizes for the Offline rows")
    ap.add_argument("--workload", default="digits", help="workload whose model the replicas run")
    args = ap.parse_args()
    cluster = Cluster(initialize_head=True, connect=True,
                      head_node_args={"num_cpus": 1, "resources": {"node_a": 1}, "include_dashboard": False})
    cluster.add_node(num_cpus=1, resources={"node_b": 1})
    cluster.wait_for_nodes()
    pins = [{"resources": {"node_a": 0.01}}, {"resources": {"node_b": 0.01}}]
    wl = workloads.get(args.workload)
    qsl = wl.make_qsl()
    rows = []
    try:
        local = wl.make_sut(qsl)
        r = _run(local, qsl, wl, "Offline", args.seconds)
        rows.append(("Offline", "in-process", "-", f"{r.metrics['samples_per_second']:,.0f} samples/s", r.valid))
        for batch in [int(b) for b in args.batches.split(",")]:
            for n in (1, 2):
                sut = RaySUT(wl, qsl, n, batch_size=batch, actor_options=pins[:n])
                r = _run(sut, qsl, wl, "Offline", args.seconds)
                rows.append(("Offline", f"Ray x{n}", str(batch), f"{r.metrics['samples_per_second']:,.0f} samples/s",
                             r.valid))
                sut.close()
        r = _run(local, qsl, wl, "SingleStream", args.seconds)
        base = r.metrics["p50_latency_ns"]
        rows.append(("SingleStream", "in-process", "1", f"p50 {base / 1e3:,.0f} us, p90 "
                     f"{r.metrics['p90_latency_ns'] / 1e3:,.0f} us", r.valid))
        sut = RaySUT(wl, qsl, 1, actor_options=pins[1:])  # the replica on the other node
        r = _run(sut, qsl, wl, "SingleStream", args.seconds)
        added = r.metrics["p50_latency_ns"] - base
        rows.append(("SingleStream", "Ray x1", "1", f"p50 {r.metrics['p50_latency_ns'] / 1e3:,.0f} us, p90 "
                     f"{r.metrics['p90_latency_ns'] / 1e3:,.0f} us (Ray adds {added / 1e3:,.0f} us at p50)", r.valid))
        sut.close()
    finally:
        ray.shutdown()
        cluster.shutdown()
    print(f"{'scenario':13} {'SUT':11} {'batch':>6}  {'result':55} verdict")
    for scen, sut_name, batch, text, valid in rows:
        print(f"{scen:13} {sut_name:11} {batch:>6}  {text:55} {'VALID' if valid else 'INVALID'}")
    print(f"machine: {os.cpu_count()} CPUs; two Ray nodes of 1 CPU each on loopback")


if __name__ == "__main__":
    main()

"""One measurement of the LoadGen overhead benchmark, run in a fresh process.

``python _overhead_child.py IMPL RUN [key=value ...]`` prints one JSON line:
the run's figures and this process's peak RSS. IMPL is ``official`` (the C++
``mlperf_loadgen``), ``compat`` (``mlpace.compat`` running the very same
null-SUT code) or ``native`` (mlpace's array API). The null SUT answers inside
``issue_query`` (``inline``) or from one worker thread (``thread``).

The log readers below are deliberately tiny and standard-library only: importing
mlpace's readers would load numpy into the official LoadGen's process and
inflate the peak memory being compared.
"""

from __future__ import annotations

import json
import os
import queue
import resource
import sys
import tempfile
import threading
import time


def _parse_summary(path):
    out = {}
    with open(path) as fh:
        for line in fh:
            if ":" in line and not line.startswith((" *", "=")):
                k, _, v = line.partition(":")
                out.setdefault(k.strip(), v.strip())
    return out


def _parse_detail(path):
    out = {}
    with open(path) as fh:
        for line in fh:
            if line.startswith(":::MLLOG "):
                j = json.loads(line[9:])
                out.setdefault(j["key"], j["value"])
    return out


def main() -> None:
    impl, run = sys.argv[1], sys.argv[2]
    opts = dict(a.split("=", 1) for a in sys.argv[3:])
    worker = opts.get("sut", "inline")
    outdir = tempfile.mkdtemp(prefix=f"mlpace-bench-{impl}-")
    if impl == "official":
        import mlperf_loadgen as lg
    else:
        import mlpace.compat as lg
    settings = lg.TestSettings()
    settings.mode = lg.TestMode.PerformanceOnly
    if run == "offline":
        settings.scenario = lg.TestScenario.Offline
        settings.min_query_count = int(opts.get("samples", 1_000_000))
        settings.min_duration_ms = 0
        settings.offline_expected_qps = 1
    elif run == "singlestream":
        settings.scenario = lg.TestScenario.SingleStream
        settings.min_duration_ms = int(opts.get("duration_ms", 10_000))
        settings.min_query_count = 100
        settings.single_stream_expected_latency_ns = int(opts.get("expected_ns", 5000))
    elif run == "server":
        settings.scenario = lg.TestScenario.Server
        settings.min_duration_ms = int(opts.get("duration_ms", 10_000))
        settings.min_query_count = 100
        settings.server_target_qps = float(opts["qps"])
        settings.server_target_latency_ns = int(opts.get("latency_ns", 100_000_000))
    else:
        raise SystemExit(f"unknown run {run}")

    if impl == "native":
        from mlpace import loadgen as nlg

        complete = nlg.complete
        if worker == "thread":
            q: queue.SimpleQueue = queue.SimpleQueue()

            def work():
                while True:
                    ids = q.get()
                    if ids is None:
                        return
                    complete(ids)

            th = threading.Thread(target=work, daemon=True)
            th.start()

            class SUT:
                name = "NullSUT"

                def issue_queries(self, ids, indices):
                    q.put(ids)

                def flush_queries(self):
                    pass
        else:
            th = None

            class SUT:
                name = "NullSUT"

                def issue_queries(self, ids, indices):
                    complete(ids)

                def flush_queries(self):
                    pass

        sut = SUT()
        qsl = nlg.SimpleQSL("NullQSL", 1024, 1024)
        ls = nlg.LogSettings(outdir=outdir, enable_trace=False)
        t0 = time.perf_counter()
        nlg.start_test(sut, qsl, nlg.TestSettings.make(**{k: getattr(settings, k) for k in
                       ("scenario", "mode", "min_query_count", "min_duration_ms", "offline_expected_qps",
                        "single_stream_expected_latency_ns", "server_target_qps",
                        "server_target_latency_ns")}), ls, audit_config=None)
        wall = time.perf_counter() - t0
        if th is not None:
            q.put(None)
    else:
        # The very same null-SUT code for the official module and mlpace.compat.
        if worker == "thread":
            q = queue.SimpleQueue()

            def work():
                while True:
                    qs = q.get()
                    if qs is None:
                        return
                    lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in qs])

            th = threading.Thread(target=work, daemon=True)
            th.start()

            def issue(qs):
                q.put(qs)
        else:
            th = None

            def issue(qs):
                lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in qs])

        sut = lg.ConstructSUT(issue, lambda: None)
        qsl = lg.ConstructQSL(1024, 1024, lambda s: None, lambda s: None)
        ls = lg.LogSettings()
        ls.log_output.outdir = outdir
        ls.enable_trace = False
        t0 = time.perf_counter()
        lg.StartTestWithLogSettings(sut, qsl, settings, ls)
        wall = time.perf_counter() - t0
        if th is not None:
            q.put(None)
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)
    summary = _parse_summary(os.path.join(outdir, "mlperf_log_summary.txt"))
    detail = _parse_detail(os.path.join(outdir, "mlperf_log_detail.txt"))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "impl": impl, "run": run, "opts": opts, "wall_s": wall, "rss_mb": rss_mb,
        "valid": detail.get("result_validity") == "VALID",
        "samples_per_second": detail.get("result_samples_per_second"),
        "qps_with_overhead": detail.get("result_qps_with_loadgen_overhead"),
        "p50_ns": detail.get("result_50.00_percentile_latency_ns"),
        "p90_ns": detail.get("result_90.00_percentile_latency_ns"),
        "p99_ns": detail.get("result_99.00_percentile_latency_ns"),
        "p999_ns": detail.get("result_99.90_percentile_latency_ns"),
        "completed_sps": detail.get("result_completed_samples_per_sec"),
        "query_count": detail.get("result_query_count"),
        "issue_lag_p50_ns": detail.get("mlpace_issue_lag_p50_ns"),
        "issue_lag_p99_ns": detail.get("mlpace_issue_lag_p99_ns"),
    }))
    import shutil

    shutil.rmtree(outdir, ignore_errors=True)


if __name__ == "__main__":
    main()

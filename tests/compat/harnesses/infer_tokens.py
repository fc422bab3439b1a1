"""infer_token_latencies: token rates inferred as samples x token_latency_scaling_factor.

One worker thread answers each query after 1 ms (Offline: the one query at once). No
token is reported by the SUT: both LoadGens infer the rate from the sample rate.
"""

import queue
import threading
import time

import common

lg = common.loadgen()

FACTOR = 69


def main(scenario: str) -> None:
    out = common.outdir()
    work: queue.SimpleQueue = queue.SimpleQueue()

    def worker():
        while (samples := work.get()) is not None:
            time.sleep(0.001)
            lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    sut = lg.ConstructSUT(work.put, lambda: None)
    qsl = lg.ConstructQSL(128, 128, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = getattr(lg.TestScenario, scenario)
    settings.mode = lg.TestMode.PerformanceOnly
    settings.infer_token_latencies = True
    settings.token_latency_scaling_factor = FACTOR
    settings.min_duration_ms = 500
    settings.min_query_count = 500 if scenario == "Server" else 100
    settings.server_target_qps = 1000
    settings.server_target_latency_ns = 100_000_000
    settings.offline_expected_qps = 1000
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    work.put(None)
    thread.join()
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, factor=FACTOR)

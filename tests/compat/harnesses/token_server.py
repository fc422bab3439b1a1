"""LLM-style harness: each sample's first token after a fixed delay, then one token per interval.

The SUT reports ``FirstTokenComplete`` for a sample once its first token is "ready"
(after ``ttft_s``), then ``QuerySamplesComplete`` with ``n_tokens`` once the rest are
(``n_tokens - 1`` more intervals of ``tpot_s``). Worker threads serve a queue, so in
Server samples overlap; in Offline the one query is split over the workers;
SingleStream issues one sample at a time.
Scenario and bounds come from ``main``'s arguments (see the thin wrappers).
"""

import queue
import threading
import time

import common

lg = common.loadgen()

N_TOKENS = 8  # tokens per sample: TPOT = (complete - first token) / (N_TOKENS - 1)


def main(scenario: str = "Server", *, ttft_s: float = 0.002, tpot_s: float = 0.0005,
         ttft_bound_ns: int = 50_000_000, tpot_bound_ns: int = 20_000_000, workers: int = 4) -> None:
    out = common.outdir()
    issue_sizes = []
    work: queue.SimpleQueue = queue.SimpleQueue()

    def worker():
        while True:
            s = work.get()
            if s is None:
                return
            time.sleep(ttft_s)
            lg.FirstTokenComplete([lg.QuerySampleResponse(s.id, 0, 0)])
            time.sleep(tpot_s * (N_TOKENS - 1))
            lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0, N_TOKENS)])

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()

    def issue_queries(samples):
        issue_sizes.append(len(samples))
        for s in samples:
            work.put(s)

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(64, 64, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.mode = lg.TestMode.PerformanceOnly
    settings.use_token_latencies = True
    if scenario == "Server":
        settings.scenario = lg.TestScenario.Server
        settings.server_target_qps = 300
        settings.server_target_latency_ns = 100_000_000
        settings.ttft_latency = ttft_bound_ns
        settings.tpot_latency = tpot_bound_ns
        settings.min_duration_ms = 1000
        settings.min_query_count = 500
    elif scenario == "SingleStream":  # one sample at a time: ~5.5 ms each, 100 of them
        settings.scenario = lg.TestScenario.SingleStream
        settings.single_stream_expected_latency_ns = 5_000_000
        settings.min_duration_ms = 200
        settings.min_query_count = 100
    else:
        settings.scenario = lg.TestScenario.Offline
        settings.offline_expected_qps = 1000  # 220 samples at ~700/s: ~0.3 s > min_duration
        settings.min_duration_ms = 200
        settings.min_query_count = 100
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, issue_sizes=issue_sizes, n_tokens=N_TOKENS, ttft_s=ttft_s, tpot_s=tpot_s)


if __name__ == "__main__":
    main()

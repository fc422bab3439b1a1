"""MultiStream harness: queries of 4 samples, answered together from a worker thread after 1 ms."""

import queue
import threading
import time

import common

lg = common.loadgen()


def main() -> None:
    out = common.outdir()
    issue_sizes = []
    work: queue.SimpleQueue = queue.SimpleQueue()

    def worker():
        while True:
            samples = work.get()
            if samples is None:
                return
            time.sleep(0.001)
            lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()

    def issue_queries(samples):
        issue_sizes.append(len(samples))
        work.put(list(samples))

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(128, 64, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = lg.TestScenario.MultiStream
    settings.mode = lg.TestMode.PerformanceOnly
    settings.multi_stream_samples_per_query = 4
    settings.multi_stream_expected_latency_ns = 1_000_000
    settings.min_duration_ms = 100
    settings.min_query_count = 700  # count-bound, and enough for early stopping at p99 (662)
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    work.put(None)
    thread.join()
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, issue_sizes=issue_sizes)


if __name__ == "__main__":
    main()

"""Server harness: queries go to a queue; one worker thread answers each after 1 ms."""

import queue
import threading
import time

import common

lg = common.loadgen()


def main() -> None:
    out = common.outdir()
    issue_times = []
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
        issue_times.append(time.perf_counter_ns())
        issue_sizes.append(len(samples))
        work.put(samples)

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(128, 128, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = lg.TestScenario.Server
    settings.mode = lg.TestMode.PerformanceOnly
    settings.server_target_qps = 400
    settings.server_target_latency_ns = 100_000_000
    settings.min_duration_ms = 1000
    settings.min_query_count = 500  # enough for early stopping at p99 (459 with none over)
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    work.put(None)
    thread.join()
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, issue_sizes=issue_sizes, issue_times_ns=issue_times)


if __name__ == "__main__":
    main()

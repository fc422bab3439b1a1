"""Offline harness: a worker thread works through the one big query, 1 ms per sample."""

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
            for lo in range(0, len(samples), 100):
                batch = samples[lo : lo + 100]
                time.sleep(0.001 * len(batch))
                lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in batch])

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()

    def issue_queries(samples):
        issue_sizes.append(len(samples))
        work.put(samples)

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(256, 256, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = lg.TestScenario.Offline
    settings.mode = lg.TestMode.PerformanceOnly
    settings.offline_expected_qps = 1000
    settings.min_duration_ms = 1000  # -> 1100 samples in one query, ~1.1 s of work
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    work.put(None)
    thread.join()
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, issue_sizes=issue_sizes)


if __name__ == "__main__":
    main()

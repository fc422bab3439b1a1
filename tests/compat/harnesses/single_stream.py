"""SingleStream harness: a SUT that answers each query from a worker thread after 1 ms."""

import threading
import time

import common

lg = common.loadgen()


def main(min_duration_ms: int = 150, min_query_count: int = 300) -> None:
    out = common.outdir()
    issue_sizes = []
    sample_indices = []
    outstanding = [0]
    max_outstanding = [0]
    lock = threading.Lock()

    def answer(samples):
        time.sleep(0.001)
        with lock:
            outstanding[0] -= len(samples)
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    def issue_queries(samples):
        with lock:
            outstanding[0] += len(samples)
            max_outstanding[0] = max(max_outstanding[0], outstanding[0])
        issue_sizes.append(len(samples))
        sample_indices.extend(s.index for s in samples)
        threading.Thread(target=answer, args=(samples,)).start()

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(128, 64, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = lg.TestScenario.SingleStream
    settings.mode = lg.TestMode.PerformanceOnly
    settings.single_stream_expected_latency_ns = 1_000_000
    # defaults are count-bound: 300 queries of >= 1 ms take longer than min_duration
    settings.min_duration_ms = min_duration_ms
    settings.min_query_count = min_query_count
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, issue_sizes=issue_sizes, max_outstanding=max_outstanding[0],
                         distinct_indices=len(set(sample_indices)))


if __name__ == "__main__":
    main()

"""Server with server_coalesce_queries: an inline SUT that takes 3 ms per call at 1,000 QPS.

The issue loop falls behind, so both LoadGens hand every arrival already due to the SUT
in one call; each sample still counts from its own scheduled time. The sidecar records
the size of every call.
"""

import time

import common

lg = common.loadgen()


def main() -> None:
    out = common.outdir()
    sizes = []

    def issue_queries(samples):
        sizes.append(len(samples))
        time.sleep(0.003)
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(128, 128, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = lg.TestScenario.Server
    settings.mode = lg.TestMode.PerformanceOnly
    settings.server_target_qps = 1000
    settings.server_target_latency_ns = 100_000_000
    settings.server_coalesce_queries = True
    settings.min_duration_ms = 1000
    settings.min_query_count = 500
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, issued=len(sizes), answered=len(sizes), sizes=sizes)


if __name__ == "__main__":
    main()

"""ConstructFastSUT in SingleStream and Server: the callback gets (ids, indices) lists.

One process runs a SingleStream test, then a Server test; the SUT answers inline. The
sidecar records the argument shapes the callback saw.
"""

import common

lg = common.loadgen()


def main() -> None:
    out = common.outdir()
    shapes = set()

    def fast_issue(ids, indices):
        shapes.add((type(ids).__name__, len(ids), len(indices)))
        lg.QuerySamplesComplete([lg.QuerySampleResponse(i, 0, 0) for i in ids])

    sut = lg.ConstructFastSUT(fast_issue, lambda: None)
    qsl = lg.ConstructQSL(64, 64, lambda idx: None, lambda idx: None)
    for scenario in ("SingleStream", "Server"):
        settings = lg.TestSettings()
        settings.scenario = getattr(lg.TestScenario, scenario)
        settings.mode = lg.TestMode.PerformanceOnly
        settings.single_stream_expected_latency_ns = 1_000
        settings.server_target_qps = 2000
        settings.min_duration_ms = 100
        settings.min_query_count = 500 if scenario == "Server" else 100  # Server: enough for p99 early stopping
        ls = common.log_settings(lg, out / scenario)
        (out / scenario).mkdir(exist_ok=True)
        lg.StartTestWithLogSettings(sut, qsl, settings, ls)
    lg.DestroyQSL(qsl)
    lg.DestroyFastSUT(sut)
    common.write_sidecar(out, shapes=sorted(shapes))


if __name__ == "__main__":
    main()

"""The binding edges: VectorQuerySample / VectorQuerySampleResponse and numpy integer ids.

A SingleStream run whose SUT builds a ``VectorQuerySample`` and a
``VectorQuerySampleResponse`` from lists and answers with responses whose ids are numpy
integers. Only construction works on the official 6.0.17 binding (its ``append``/``len``
and passing a vector to ``QuerySamplesComplete`` recurse without end), so that is all
the harness asks of the vectors. The sidecar records the ids' type as read back.
"""

import numpy as np

import common

lg = common.loadgen()


def main() -> None:
    out = common.outdir()
    types = set()

    def issue_queries(samples):
        lg.VectorQuerySample(samples)
        responses = [lg.QuerySampleResponse(np.uint64(s.id), 0, 0) for s in samples]
        types.add(type(responses[0].id).__name__)
        lg.VectorQuerySampleResponse(responses)
        lg.QuerySamplesComplete(responses)

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(64, 64, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = lg.TestScenario.SingleStream
    settings.mode = lg.TestMode.PerformanceOnly
    settings.single_stream_expected_latency_ns = 2_000
    settings.min_duration_ms = 100
    settings.min_query_count = 200
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, types=sorted(types))


if __name__ == "__main__":
    main()

"""SubmissionRun harness (Offline): the accuracy pass, then the performance pass, in one test."""

import numpy as np

import common

lg = common.loadgen()


def main() -> None:
    out = common.outdir()
    issue_sizes = []

    def issue_queries(samples):
        issue_sizes.append(len(samples))
        arrays = [np.array([s.index, 7], dtype=np.int16) for s in samples]
        lg.QuerySamplesComplete(
            [lg.QuerySampleResponse(s.id, a.ctypes.data, a.nbytes) for s, a in zip(samples, arrays)]
        )

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(30, 30, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = lg.TestScenario.Offline
    settings.mode = lg.TestMode.SubmissionRun
    settings.min_duration_ms = 0
    settings.min_query_count = 100
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, issue_sizes=issue_sizes)


if __name__ == "__main__":
    main()

"""AccuracyOnly harness: each response is a small numpy array handed over by address."""

import numpy as np

import common

lg = common.loadgen()

TOTAL = 50
PERFORMANCE = 20  # smaller than TOTAL: the accuracy pass loads several sets in turn


def output_of(index: int) -> np.ndarray:
    """The SUT's answer for a QSL index: deterministic, different per index."""
    return np.array([index, index * 3 + 1, -index], dtype=np.int32)


def main() -> None:
    out = common.outdir()
    loads = []

    def issue_queries(samples):
        arrays = [output_of(s.index) for s in samples]  # alive until the call returns
        lg.QuerySamplesComplete(
            [lg.QuerySampleResponse(s.id, a.ctypes.data, a.nbytes) for s, a in zip(samples, arrays)]
        )

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(TOTAL, PERFORMANCE, lambda idx: loads.append(list(idx)), lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = lg.TestScenario.SingleStream
    settings.mode = lg.TestMode.AccuracyOnly
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, loads=loads)


if __name__ == "__main__":
    main()

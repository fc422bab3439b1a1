"""QSL loading rules and the batched SUT's completions (injected completion callable)."""

import numpy as np
import pytest

from mlpace import workloads
from mlpace.errors import ConfigError, SUTError


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, ids, data):
        self.calls.append((np.asarray(ids).copy(), [bytes(np.asarray(d)) for d in data]))


def test_sut_answers_each_id_once_with_little_endian_int64_labels():
    wl = workloads.get("digits")
    qsl = wl.make_qsl()
    rec = Recorder()
    sut = wl.make_sut(qsl, complete=rec, batch_size=100)
    idx = np.arange(qsl.total_sample_count, dtype=np.int64)
    qsl.load_samples(idx)
    ids = np.arange(1000, 1000 + len(idx), dtype=np.uint64)
    sut.issue_queries(ids, idx)
    assert [len(c[0]) for c in rec.calls] == [100] * 5 + [40]  # one Offline query, chunked
    got_ids = np.concatenate([c[0] for c in rec.calls])
    np.testing.assert_array_equal(got_ids, ids)
    payloads = [p for c in rec.calls for p in c[1]]
    assert all(len(p) == 8 for p in payloads)
    labels = np.array([int.from_bytes(p, "little", signed=True) for p in payloads])
    _, truth = wl.eval_set
    assert (labels == truth).mean() >= wl.target


def test_anomaly_payload_is_one_float32_score():
    wl = workloads.get("anomaly")
    qsl = wl.make_qsl()
    rec = Recorder()
    sut = wl.make_sut(qsl, complete=rec)
    qsl.load_samples([0, 499])
    sut.issue_queries(np.array([1, 2], np.uint64), np.array([0, 499]))
    (ids, data), = rec.calls
    assert [len(d) for d in data] == [4, 4]
    scores = [np.frombuffer(d, "<f4")[0] for d in data]
    direct = wl.make_runner("numpy")(wl.eval_set[0][[0, 499]])
    np.testing.assert_allclose(scores, direct, rtol=1e-5)


def test_reading_an_unloaded_sample_is_a_sut_error():
    wl = workloads.get("digits")
    qsl = wl.make_qsl()
    sut = wl.make_sut(qsl, complete=lambda ids, data: None)
    qsl.load_samples([1, 2, 3])
    qsl.unload_samples([2])
    with pytest.raises(SUTError, match="sample 2"):
        sut.issue_queries(np.array([0, 1], np.uint64), np.array([1, 2]))


def test_performance_sample_count_is_checked():
    wl = workloads.get("vww")
    assert wl.make_qsl(10).performance_sample_count == 10
    with pytest.raises(ConfigError, match="performance_sample_count"):
        wl.make_qsl(10_000)

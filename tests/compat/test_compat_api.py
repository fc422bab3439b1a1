"""``mlpace.compat`` API details a harness relies on, in-process (mlpace keeps no C++ state)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

import mlpace.compat as lg


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def offline_settings(samples: int, mode=lg.TestMode.PerformanceOnly):
    s = lg.TestSettings()
    s.scenario = lg.TestScenario.Offline
    s.mode = mode
    s.min_duration_ms = 0
    s.min_query_count = samples
    return s


def test_query_sample_pickles():
    q = pickle.loads(pickle.dumps(lg.QuerySample(7, 3)))
    assert (q.id, q.index) == (7, 3)


def test_large_offline_query_behaves_as_a_list(tmp_path):
    n = 70_000  # large enough for the lazy sample list
    seen = {}

    def issue(samples):
        seen["len"] = len(samples)
        seen["first"] = (samples[0].id, samples[0].index)
        seen["slice"] = [(q.id, q.index) for q in samples[10:13]]
        copy = pickle.loads(pickle.dumps(samples))
        seen["pickled"] = [(q.id, q.index) for q in copy][:5]
        items = list(samples)
        seen["ids"] = sorted(q.id for q in items)
        seen["indices"] = [q.index for q in items]
        lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in items])

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(1000, 500, lambda idx: None, lambda idx: None)
    ls = lg.LogSettings()
    ls.log_output.outdir = str(tmp_path)
    ls.enable_trace = False
    lg.StartTestWithLogSettings(sut, qsl, offline_settings(n), ls)
    assert seen["len"] == n
    base = seen["ids"][0]  # response ids are consecutive from the phase's base
    assert seen["ids"] == list(range(base, base + n))
    assert seen["slice"] == [(seen_id, seen_idx) for seen_id, seen_idx in
                             zip(range(base + 10, base + 13), seen["indices"][10:13])]
    assert seen["pickled"] == list(zip(range(base, base + 5), seen["indices"][:5]))
    assert seen["first"] == (base, seen["indices"][0])
    summary = (tmp_path / "mlperf_log_summary.txt").read_text()
    assert "Result is : VALID" in summary


def test_fast_sut_gets_id_and_index_lists(tmp_path):
    calls = []

    def fast_issue(ids, indices):
        calls.append((list(ids), list(indices)))
        lg.QuerySamplesComplete([lg.QuerySampleResponse(i, 0, 0) for i in ids])

    sut = lg.ConstructFastSUT(fast_issue, lambda: None)
    qsl = lg.ConstructQSL(100, 50, lambda idx: None, lambda idx: None)
    lg.StartTest(sut, qsl, offline_settings(200))  # default LogSettings: files in the cwd
    lg.DestroyFastSUT(sut)
    assert len(calls) == 1 and len(calls[0][0]) == 200
    base = min(calls[0][0])
    assert sorted(calls[0][0]) == list(range(base, base + 200))
    assert all(0 <= i < 100 for i in calls[0][1])
    for name in ("summary.txt", "detail.txt", "accuracy.json", "trace.json"):
        assert (tmp_path / f"mlperf_log_{name}").is_file(), name  # trace on by default, as officially


def test_response_callback_sees_each_response_and_data_is_copied_at_once(tmp_path):
    seen = []

    def issue(samples):
        for q in samples:
            buf = np.array([q.index * 2], dtype=np.int64)
            lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, buf.ctypes.data, buf.nbytes)],
                                    lambda r: seen.append((r.id, r.size)))
            buf[0] = -1  # the harness reuses its buffer: the log must hold the value at completion

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(30, 30, lambda idx: None, lambda idx: None)
    ls = lg.LogSettings()
    ls.log_output.outdir = str(tmp_path)
    lg.StartTestWithLogSettings(sut, qsl, offline_settings(30, lg.TestMode.AccuracyOnly), ls)
    base = min(seen)[0]
    assert sorted(seen) == [(base + i, 8) for i in range(30)]
    records = json.loads((tmp_path / "mlperf_log_accuracy.json").read_text())
    assert len(records) == 30
    for r in records:
        assert np.frombuffer(bytes.fromhex(r["data"]), dtype="<i8")[0] == r["qsl_idx"] * 2

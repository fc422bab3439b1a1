"""Guards the array-based hot path (issue 3): no Python object is created per sample.

Not a timing test: it counts live small-object allocations
(``sys.getallocatedblocks``) while a large Offline query is in flight and after
it completes, and checks that the engine's memory grows like its arrays (a few
int64 per sample), not like per-sample Python objects.
"""

from __future__ import annotations

import gc
import sys

import numpy as np

from mlpace import loadgen as lg

N = 200_000


class _CountingSUT:
    """Null SUT that completes the whole Offline query at once and samples allocations."""

    name = "CountingSUT"

    def __init__(self) -> None:
        self.blocks_in_issue = None
        self.ids_type = None

    def issue_queries(self, ids, indices):
        self.ids_type = (type(ids), ids.dtype, type(indices), indices.dtype, len(ids))
        self.blocks_in_issue = sys.getallocatedblocks()
        lg.complete(ids)

    def flush_queries(self):
        pass


def _settings(**kw):
    return lg.TestSettings.make(scenario="Offline", mode="PerformanceOnly", min_query_count=N,
                                min_duration_ms=0, offline_expected_qps=1, **kw)


def test_offline_issues_arrays_and_creates_no_per_sample_objects(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sut = _CountingSUT()
    qsl = lg.SimpleQSL("q", 1024, 1024)
    gc.collect()
    before = sys.getallocatedblocks()
    result = lg.start_test(sut, qsl, _settings(), lg.LogSettings(outdir=tmp_path / "logs"), audit_config=None)
    gc.collect()
    after = sys.getallocatedblocks()
    assert result.valid, result.reasons
    assert result.performance.sample_count == N
    # the SUT got numpy arrays holding all N samples, not lists of objects
    assert sut.ids_type[0] is np.ndarray and sut.ids_type[2] is np.ndarray
    assert sut.ids_type[1] == np.uint64 and sut.ids_type[3] == np.int64 and sut.ids_type[4] == N
    # while the query was in flight: far fewer new small objects than samples
    assert sut.blocks_in_issue - before < N // 20, sut.blocks_in_issue - before
    # and nothing per sample is left behind either
    assert after - before < N // 20, after - before


def test_per_sample_objects_would_be_detected(tmp_path, monkeypatch):
    """The measurement itself can fail: a SUT that makes one object per sample trips it."""
    monkeypatch.chdir(tmp_path)

    class ObjectSUT(_CountingSUT):
        def issue_queries(self, ids, indices):
            self.keep = [(i, j) for i, j in zip(ids.tolist(), indices.tolist())]
            self.blocks_in_issue = sys.getallocatedblocks()
            lg.complete(ids)

    sut = ObjectSUT()
    gc.collect()
    before = sys.getallocatedblocks()
    lg.start_test(sut, lg.SimpleQSL("q", 1024, 1024), _settings(), lg.LogSettings(outdir=tmp_path / "l"),
                  audit_config=None)
    assert sut.blocks_in_issue - before > N // 20

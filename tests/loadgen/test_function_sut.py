"""``FunctionSUT`` and ``SimpleQSL``: the adapters a native-API user starts from."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from mlpace.loadgen import FunctionSUT, LogSettings, SimpleQSL, start_test
from mlpace.loadgen.settings import TestSettings as Settings


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def model(indices: np.ndarray) -> np.ndarray:
    """A stand-in model: one float32 pair per index."""
    return np.stack([indices.astype(np.float32), indices.astype(np.float32) * 0.5], axis=1)


@pytest.mark.parametrize("workers", [0, 2])
def test_accuracy_run_logs_each_output(tmp_path, workers):
    seen_batches = []
    lock = threading.Lock()

    def fn(indices):
        with lock:
            seen_batches.append(len(indices))
        return model(indices)

    sut = FunctionSUT(fn, workers=workers, batch_size=16)
    loads = []
    qsl = SimpleQSL("q", 100, 40, load=lambda idx: loads.append(idx.copy()))
    settings = Settings.make(scenario="Offline", mode="AccuracyOnly")
    try:
        result = start_test(sut, qsl, settings, LogSettings(outdir=tmp_path))
    finally:
        sut.close()
    assert result.valid and result.accuracy_samples == 100
    assert max(seen_batches) <= 16 and sum(seen_batches) == 100  # batches split the big queries
    assert [len(x) for x in loads] == [40, 40, 20]
    records = json.loads(result.accuracy_path.read_text())
    assert sorted(r["qsl_idx"] for r in records) == list(range(100))
    for r in records:
        got = np.frombuffer(bytes.fromhex(r["data"]), dtype=np.float32)
        np.testing.assert_array_equal(got, model(np.array([r["qsl_idx"]]))[0])


def test_worker_performance_run_is_valid(tmp_path):
    sut = FunctionSUT(model, workers=2, with_data=False)
    settings = Settings.make(scenario="SingleStream", mode="PerformanceOnly", min_duration_ms=100,
                             min_query_count=100, single_stream_expected_latency_ns=10_000)
    try:
        result = start_test(sut, SimpleQSL("q", 100, 50), settings, LogSettings(outdir=tmp_path))
    finally:
        sut.close()
    assert result.valid, result.reasons
    assert result.performance.query_count >= 100


def test_worker_failure_ends_the_run_with_its_cause_and_no_traceback(tmp_path, capfd):
    calls = []

    def fn(indices):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("bad input")
        return model(indices)

    sut = FunctionSUT(fn, workers=1, with_data=False)
    settings = Settings.make(scenario="SingleStream", mode="PerformanceOnly", min_duration_ms=100,
                             min_query_count=100, sut_timeout_ms=300)
    try:
        result = start_test(sut, SimpleQSL("q", 100, 50), settings, LogSettings(outdir=tmp_path))
    finally:
        sut.close()
    assert not result.valid
    assert any("worker thread failed: ValueError: bad input" in r for r in result.reasons), result.reasons
    assert "worker thread failed: ValueError: bad input" in result.summary_path.read_text()
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


def test_simple_qsl_counts():
    qsl = SimpleQSL("q", 10)
    assert qsl.total_sample_count == qsl.performance_sample_count == 10
    qsl.load_samples(np.arange(3))  # no callbacks: nothing to do, nothing raised
    assert SimpleQSL("q", 10, 4).performance_sample_count == 4

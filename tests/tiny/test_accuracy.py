"""Accuracy mode on each benchmark with the real (cached) models, checked against an
independent offline evaluation of the same files."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mlpace.tiny import benchmarks, dataset
from mlpace.tiny.models import TinyModel
from mlpace.tiny.runner import make_config, run

CASES = [("ic", 60, 0.85), ("vww", 16, 0.75), ("kws", 120, 0.75), ("ad", 24, 0.7)]


def offline(bench, samples):
    """What the runner should score: device outputs rounded to 3 decimals, official post-processing."""
    model = TinyModel(bench)
    outs = []
    for s in samples:
        rows = [np.round(model(w), 3) for w in dataset.windows_of(bench, s)]
        rows = [r / r.sum() if bench.metric == "top1" and r.sum() > 0 else r for r in rows]
        outs.append(np.mean(rows, axis=0))
    return np.array([s.label for s in samples]), np.array(outs)


@pytest.mark.parametrize("name, n_files, floor", CASES)
def test_accuracy_mode_matches_offline_evaluation(board, tmp_path, name, n_files, floor):
    bench = benchmarks.get(name)
    b = board(name, real_model=True)
    # The first n files of the embeddable set, written in the official layout (a real set would
    # be dropped in the same way); file i is the same whatever n is.
    folder = dataset.write_dataset(bench, benchmarks.accuracy_samples(bench, limit=n_files), tmp_path / "data")
    r = run(make_config(benchmark=name, mode="accuracy", port=b.port, results_dir=tmp_path, dataset_dir=folder))
    samples = dataset.read_dataset(bench, folder)
    y, scores = offline(bench, samples)
    assert r.files == n_files == len(samples)
    text = (Path(r.folder) / "results.txt").read_text()
    if bench.metric == "top1":
        expected = float(np.mean(scores.argmax(axis=1) == y))
        assert r.top1 == pytest.approx(expected)
        assert r.top1 >= floor
        assert f"ulp-mlperf: Top-1: {r.top1 * 100:.1f}%" in text
    else:
        expected = roc_auc_score(y, scores[:, 0])
        assert r.auc == pytest.approx(expected)
        assert r.auc >= floor
        assert f"ulp-mlperf: AUC: {r.auc:.2f}" in text
    if name == "ad":
        assert b.firmware.infer_count == sum(len(dataset.windows_of(bench, s)) for s in samples)

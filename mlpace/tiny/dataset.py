"""Accuracy-set files on disk in the official layout: one ``.bin`` per input and a
``y_labels.csv`` ground truth (classifiers: ``file, n_classes, class``; ad01: ``file, 2,
class, window_bytes, stride_bytes``), so a real data set can be dropped in offline.
"""

from __future__ import annotations

import csv
from pathlib import Path

from mlpace.errors import DataError
from mlpace.tiny import benchmarks
from mlpace.tiny.benchmarks import Sample, TinyBenchmark

LABELS_FILE = "y_labels.csv"


def write_dataset(bench: TinyBenchmark, samples: list[Sample], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for s in samples:
        (folder / s.name).write_bytes(s.data)
        if bench.metric == "auc":
            rows.append([s.name, 2, s.label, bench.window_bytes, bench.stride_bytes])
        else:
            rows.append([s.name, bench.n_outputs, s.label])
    tmp = folder / (LABELS_FILE + ".tmp")
    with tmp.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    tmp.replace(folder / LABELS_FILE)  # written last: its presence marks a complete set
    return folder


def read_dataset(bench: TinyBenchmark, folder: Path) -> list[Sample]:
    """Read ``y_labels.csv`` and the files it names; check every size against the benchmark."""
    labels = folder / LABELS_FILE
    if not labels.is_file():
        raise DataError(f"no {LABELS_FILE} in {folder} (expected the official ground-truth layout)")
    out = []
    with labels.open(newline="") as fh:
        for lineno, row in enumerate(csv.reader(fh), 1):
            if not row or not row[0].strip():
                continue
            try:
                name, label = row[0].strip(), int(row[2])
            except (IndexError, ValueError):
                raise DataError(f"{labels}:{lineno}: expected 'file, n_classes, class', got {row}") from None
            path = folder / name
            if not path.is_file():
                raise DataError(f"{labels}:{lineno}: file {name!r} not found in {folder}")
            data = path.read_bytes()
            window = int(row[3]) if len(row) > 3 else bench.input_bytes
            if bench.metric == "auc":
                if window != bench.input_bytes or len(data) < window:
                    raise DataError(f"{path}: {bench.model_id} needs windows of {bench.input_bytes} bytes, "
                                    f"file has {len(data)} bytes with window {window}")
            elif len(data) != bench.input_bytes:
                raise DataError(f"{path}: {bench.model_id} inputs are {bench.input_bytes} bytes, file has {len(data)}")
            out.append(Sample(name, data, label))
    if not out:
        raise DataError(f"{labels} lists no files")
    return out


def default_dataset(bench: TinyBenchmark) -> Path:
    """The embeddable accuracy set in the user cache, built on first use."""
    from mlpace.tiny.models import cache_dir, code_hash

    folder = cache_dir() / "tiny" / "data" / f"{bench.model_id}-{code_hash(bench)}"
    if not (folder / LABELS_FILE).is_file():
        write_dataset(bench, benchmarks.accuracy_samples(bench), folder)
    return folder


def windows_of(bench: TinyBenchmark, sample: Sample) -> list[bytes]:
    """The DUT payloads of one file: itself, or its sliding windows for ad01."""
    if bench.window_bytes is None:
        return [sample.data]
    w, s = bench.window_bytes, bench.stride_bytes or bench.window_bytes
    return [sample.data[i : i + w] for i in range(0, len(sample.data) - w + 1, s)]

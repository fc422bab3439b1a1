"""In-memory query sample library over a workload's evaluation arrays.

LoadGen asks the QSL to load and unload sets of samples; the SUT may only read loaded
ones. Here the arrays are already in memory, so loading just marks samples as
available, and reading an unloaded sample is reported as a harness error.
"""

from __future__ import annotations

import numpy as np

from mlpace.errors import ConfigError, SUTError


class ArrayQSL:
    """Duck-typed QSL for ``mlpace.loadgen`` (and, via adapters, the official LoadGen)."""

    def __init__(self, name: str, features: np.ndarray, labels: np.ndarray, performance_sample_count: int | None = None):
        self.name = name
        self.features_all = np.ascontiguousarray(features, dtype=np.float32)
        self.labels = np.asarray(labels)
        self.total_sample_count = len(self.features_all)
        count = self.total_sample_count if performance_sample_count is None else int(performance_sample_count)
        if not 1 <= count <= self.total_sample_count:
            raise ConfigError(
                f"performance_sample_count {count} out of range for {name!r}: "
                f"allowed 1..{self.total_sample_count}"
            )
        self.performance_sample_count = count
        self._loaded = np.zeros(self.total_sample_count, dtype=bool)

    def load_samples(self, indices) -> None:
        self._loaded[np.asarray(indices, dtype=np.int64)] = True

    def unload_samples(self, indices) -> None:
        self._loaded[np.asarray(indices, dtype=np.int64)] = False

    @property
    def loaded_count(self) -> int:
        return int(self._loaded.sum())

    def features(self, indices: np.ndarray) -> np.ndarray:
        """Feature rows for ``indices``; every index must be loaded."""
        indices = np.asarray(indices, dtype=np.int64)
        ok = self._loaded[indices]
        if not ok.all():
            bad = int(indices[~ok][0])
            raise SUTError(f"QSL {self.name!r}: sample {bad} read before LoadSamplesToRam loaded it")
        return self.features_all[indices]

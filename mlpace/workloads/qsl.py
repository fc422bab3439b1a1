"""In-memory query sample library over a workload's evaluation arrays.

LoadGen asks the QSL to load and unload sets of samples; the SUT may only read loaded
ones. Here the arrays are already in memory, so loading just marks samples as
available, and reading an unloaded sample is reported as a harness error.
"""

from __future__ import annotations

import numpy as np

from mlpace.errors import ConfigError, SUTError


class LoadedSet:
    """What every in-memory QSL shares: the sample counts, and which samples LoadGen has
    loaded (``load_samples``/``unload_samples``); reading an unloaded one is a harness error."""

    def __init__(self, name: str, total: int, performance_sample_count: int | None = None):
        self.name = name
        self.total_sample_count = int(total)
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

    def require_loaded(self, indices) -> None:
        """``SUTError`` naming the first of ``indices`` that is not loaded."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        ok = self._loaded[indices]
        if not ok.all():
            bad = int(indices[~ok][0])
            raise SUTError(f"QSL {self.name!r}: sample {bad} read before LoadSamplesToRam loaded it")


class ArrayQSL(LoadedSet):
    """Duck-typed QSL for ``mlpace.loadgen`` (and, via adapters, the official LoadGen)."""

    def __init__(self, name: str, features: np.ndarray, labels: np.ndarray, performance_sample_count: int | None = None):
        self.features_all = np.ascontiguousarray(features, dtype=np.float32)
        self.labels = np.asarray(labels)
        super().__init__(name, len(self.features_all), performance_sample_count)

    def features(self, indices: np.ndarray) -> np.ndarray:
        """Feature rows for ``indices``; every index must be loaded."""
        indices = np.asarray(indices, dtype=np.int64)
        self.require_loaded(indices)
        return self.features_all[indices]

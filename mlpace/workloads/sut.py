"""Reference SUT: runs a workload's model on the samples of each query, batched.

Each query's QSL indices go to the model in one call (Offline queries, which hold every
sample, are cut into chunks of ``batch_size``). Each sample's response payload is the
model output as one little-endian value (int64 label or float32 score), completed
through ``complete(ids, payloads)`` - by default ``mlpace.loadgen.complete``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlpace.errors import SUTError


def payload_rows(out, n: int, dtype) -> np.ndarray:
    """A model's output for ``n`` samples as a contiguous (n, 1) array of ``dtype``: the
    first output value of each sample, the payload every workload's accuracy script reads."""
    return np.ascontiguousarray(np.asarray(out).reshape(n, -1)[:, :1].astype(dtype))


class BatchSUT:
    def __init__(
        self,
        name: str,
        qsl,
        runner: Callable[[np.ndarray], np.ndarray],
        payload_dtype: str,
        complete: Callable | None = None,
        batch_size: int = 4096,
    ):
        if complete is None:
            from mlpace.loadgen import complete as native_complete  # the native LoadGen's completion call

            complete = native_complete
        self.name = name
        self.qsl = qsl
        self.runner = runner
        self.payload_dtype = np.dtype(payload_dtype)
        self.complete = complete
        self.batch_size = batch_size
        self.samples_run = 0

    def infer(self, indices: np.ndarray) -> np.ndarray:
        """Model outputs for ``indices`` as a contiguous (n, 1) array of ``payload_dtype``."""
        out = self.runner(self.qsl.features(indices))
        if len(out) != len(indices):
            raise SUTError(f"SUT {self.name!r}: model returned {len(out)} outputs for {len(indices)} samples")
        return payload_rows(out, len(indices), self.payload_dtype)

    def issue_queries(self, ids: np.ndarray, indices: np.ndarray) -> None:
        ids = np.asarray(ids)
        indices = np.asarray(indices, dtype=np.int64)
        for start in range(0, len(ids), self.batch_size):
            stop = start + self.batch_size
            rows = self.infer(indices[start:stop])
            self.samples_run += len(rows)
            self.complete(ids[start:stop], rows)  # one payload row per id, no per-sample objects

    def flush_queries(self) -> None:
        pass

"""Inference backends for a workload's ONNX model: onnxruntime (default) and numpy (reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlpace.errors import ConfigError

BACKENDS = ("onnxruntime", "numpy")


class OrtRunner:
    """onnxruntime session on CPU; ``runner(x)`` returns the first graph output."""

    def __init__(self, path: str | Path, intra_op_threads: int = 1):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = intra_op_threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]

    def run_all(self, x: np.ndarray) -> dict[str, np.ndarray]:
        outs = self.session.run(None, {self.input_name: np.asarray(x, dtype=np.float32)})
        return dict(zip(self.output_names, outs))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(self.output_names[:1], {self.input_name: np.asarray(x, dtype=np.float32)})[0]


def make_runner(path: str | Path, backend: str):
    """Return a callable runner for ``backend`` (one of ``BACKENDS``)."""
    if backend == "onnxruntime":
        return OrtRunner(path)
    if backend == "numpy":
        from mlpace.workloads.numpy_runner import NumpyRunner

        return NumpyRunner(path)
    raise ConfigError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")

"""Pure-numpy interpreter for the few ONNX operators the reference models use.

It runs the same ``.onnx`` file as onnxruntime, node by node, with numpy arithmetic, so
tests can cross-check onnxruntime's outputs against an independent implementation.
Only the operators and attributes listed in ``_OPS`` are supported; anything else is a
``ConfigError`` naming the operator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from mlpace.errors import ConfigError


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _gemm(a, b, c=None, *, alpha=1.0, beta=1.0, transA=0, transB=0):
    a = a.T if transA else a
    b = b.T if transB else b
    y = alpha * (a @ b)
    return y if c is None else y + beta * c


def _argmax(x, *, axis=0, keepdims=1, select_last_index=0):
    if select_last_index:
        flipped = np.flip(x, axis=axis)
        y = x.shape[axis] - 1 - np.argmax(flipped, axis=axis)
    else:
        y = np.argmax(x, axis=axis)
    y = y.astype(np.int64)
    return np.expand_dims(y, axis) if keepdims else y


def _reduce_mean(x, *, axes=None, keepdims=1):
    axis = None if axes is None else tuple(axes)
    return np.mean(x, axis=axis, keepdims=bool(keepdims), dtype=np.float32)


_OPS: dict[str, Callable[..., np.ndarray]] = {
    "Gemm": _gemm,
    "Relu": lambda x: np.maximum(x, 0),
    "Identity": lambda x: x,
    "ArgMax": _argmax,
    "Sub": np.subtract,
    "Div": np.divide,
    "Mul": np.multiply,
    "Add": np.add,
    "ReduceMean": _reduce_mean,
}


class NumpyRunner:
    """Run an ONNX model with numpy; ``runner(x)`` returns the first graph output."""

    def __init__(self, model: str | Path | onnx.ModelProto):
        self.model = model if isinstance(model, onnx.ModelProto) else onnx.load(str(model))
        graph = self.model.graph
        self.inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.input_name = graph.input[0].name
        self.output_names = [o.name for o in graph.output]
        for node in graph.node:
            if node.op_type not in _OPS:
                raise ConfigError(
                    f"numpy runner: ONNX operator {node.op_type!r} is not supported; "
                    f"supported: {', '.join(sorted(_OPS))}"
                )
        self.nodes = [(n.op_type, list(n.input), list(n.output), _attrs(n)) for n in graph.node]

    def run_all(self, x: np.ndarray) -> dict[str, np.ndarray]:
        values = dict(self.inits)
        values[self.input_name] = np.asarray(x, dtype=np.float32)
        for op, inputs, outputs, attrs in self.nodes:
            args = [values[name] for name in inputs if name]
            values[outputs[0]] = _OPS[op](*args, **attrs)
        return {name: values[name] for name in self.output_names}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.run_all(x)[self.output_names[0]]

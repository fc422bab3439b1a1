"""Build the small ONNX graphs the reference workloads ship (onnx helper API, opset 17).

Two shapes cover every workload:

* ``classifier``: ``input`` float32 (N, F) -> dense ReLU layers -> ``logits`` (N, C)
  -> ``label`` int64 (N,) by ArgMax.
* ``autoencoder``: ``input`` float32 (N, F) -> standardise -> dense ReLU layers ->
  reconstruction -> ``score`` float32 (N,) = mean squared reconstruction error.

Weights use the (in, out) layout of scikit-learn's ``coefs_`` (Gemm without transB).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # readable by every onnxruntime >= 1.18


def _dense_stack(x: str, weights, biases, nodes, inits, prefix: str) -> str:
    """Append Gemm(+Relu) nodes for each layer; the last layer has no activation."""
    for i, (w, b) in enumerate(zip(weights, biases)):
        wn, bn, yn = f"{prefix}W{i}", f"{prefix}B{i}", f"{prefix}gemm{i}"
        inits += [
            numpy_helper.from_array(np.asarray(w, np.float32), wn),
            numpy_helper.from_array(np.asarray(b, np.float32), bn),
        ]
        nodes.append(helper.make_node("Gemm", [x, wn, bn], [yn], name=yn))
        x = yn
        if i < len(weights) - 1:
            rn = f"{prefix}relu{i}"
            nodes.append(helper.make_node("Relu", [x], [rn], name=rn))
            x = rn
    return x


def _model(graph: onnx.GraphProto, doc: str, metadata: dict[str, str]) -> onnx.ModelProto:
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="mlpace",
        doc_string=doc,
    )
    model.ir_version = IR_VERSION
    for k, v in metadata.items():
        model.metadata_props.add(key=k, value=str(v))
    onnx.checker.check_model(model)
    return model


def classifier(name: str, weights, biases, *, doc: str = "", metadata=None) -> onnx.ModelProto:
    """MLP classifier graph with outputs ``label`` (int64) and ``logits`` (float32)."""
    nodes: list = []
    inits: list = []
    n_in, n_out = np.shape(weights[0])[0], np.shape(weights[-1])[1]
    logits = _dense_stack("input", weights, biases, nodes, inits, "")
    nodes.append(helper.make_node("Identity", [logits], ["logits"], name="logits"))
    nodes.append(helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0, name="argmax"))
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n_in])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", n_out]),
        ],
        inits,
    )
    return _model(graph, doc, metadata or {})


def autoencoder(name: str, mean, scale, weights, biases, *, doc: str = "", metadata=None) -> onnx.ModelProto:
    """Dense autoencoder graph; output ``score`` = mean((standardised - reconstruction)^2)."""
    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["centred"], name="centre"),
        helper.make_node("Div", ["centred", "scale"], ["z"], name="standardise"),
    ]
    inits = [
        numpy_helper.from_array(np.asarray(mean, np.float32), "mean"),
        numpy_helper.from_array(np.asarray(scale, np.float32), "scale"),
    ]
    recon = _dense_stack("z", weights, biases, nodes, inits, "")
    nodes += [
        helper.make_node("Sub", ["z", recon], ["err"], name="error"),
        helper.make_node("Mul", ["err", "err"], ["sq"], name="square"),
        helper.make_node("ReduceMean", ["sq"], ["score"], axes=[1], keepdims=0, name="mse"),
    ]
    n_in = np.shape(mean)[0]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n_in])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N"])],
        inits,
    )
    return _model(graph, doc, metadata or {})

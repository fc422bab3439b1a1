"""Small seeded models for the four tiny benchmarks, exported to ONNX and cached.

Classifiers are scikit-learn MLPs ending in softmax; ad01 is a fully connected
autoencoder whose ONNX graph ends in the mean squared reconstruction error (the anomaly
score). Graphs are built from the trained weights with ``onnx.helper`` and run with
onnxruntime. Trained models are cached under the user cache dir, keyed by a hash of the
code that builds the data and the model, so training runs once per machine.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from pathlib import Path

import numpy as np

from mlpace.tiny import benchmarks, frontend
from mlpace.tiny.benchmarks import TinyBenchmark

HIDDEN = {"ic": (16,), "vww": (8,), "kws": (64,), "ad": (32, 8, 32)}
MAX_ITER = {"ic": 40, "vww": 40, "kws": 80}
MODEL_SEED = 7


def cache_dir() -> Path:
    """``$MLPACE_CACHE_DIR``, else ``$XDG_CACHE_HOME/mlpace``, else ``~/.cache/mlpace``."""
    if os.environ.get("MLPACE_CACHE_DIR"):
        return Path(os.environ["MLPACE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlpace"


def code_hash(bench: TinyBenchmark) -> str:
    """Hash of everything that determines the model and data of ``bench``."""
    import sklearn

    from mlpace.data import digits, keywords, lfw, vibration

    h = hashlib.sha256()
    for mod in (benchmarks, frontend, digits, keywords, lfw, vibration):
        h.update(inspect.getsource(mod).encode())
    h.update(inspect.getsource(_train).encode() + inspect.getsource(_onnx_graph).encode())
    h.update(f"{bench.name}|{HIDDEN[bench.name]}|{MAX_ITER.get(bench.name)}|{MODEL_SEED}|{sklearn.__version__}".encode())
    return h.hexdigest()[:12]


def model_path(bench: TinyBenchmark) -> Path:
    return cache_dir() / "tiny" / "models" / f"{bench.model_id}-{code_hash(bench)}.onnx"


def ensure_model(bench: TinyBenchmark) -> Path:
    """Path of the cached ONNX model for ``bench``, training it first if needed."""
    path = model_path(bench)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        graph = _onnx_graph(bench, *_train(bench))
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(graph.SerializeToString())
        tmp.replace(path)  # atomic: concurrent builders never see half a file
    return path


class TinyModel:
    """Callable DUT model: raw ``db`` payload bytes → output floats."""

    def __init__(self, bench: TinyBenchmark, path: Path | None = None) -> None:
        import onnxruntime as ort

        self.bench = bench
        self.path = path or ensure_model(bench)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, payload: bytes) -> np.ndarray:
        x = benchmarks.decode_input(self.bench, payload)
        return self._session.run(None, {"input": x})[0].reshape(-1)


def _train(bench: TinyBenchmark):
    """Fit the benchmark's model; return (weights, biases, input mean, input scale)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    x, y = benchmarks.training_arrays(bench)
    rows = np.concatenate([benchmarks.decode_input(bench, benchmarks._to_bytes(bench, xi)) for xi in x])
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0) + 1e-3
    z = (rows - mean) / scale
    from threadpoolctl import threadpool_limits

    # One BLAS thread: these nets are tiny, and thread oversubscription on a busy 2-core
    # machine made training several times slower.
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        if bench.metric == "auc":
            net = MLPRegressor(hidden_layer_sizes=HIDDEN[bench.name], max_iter=30, random_state=MODEL_SEED, alpha=1e-3)
            net.fit(z, z)
        else:
            net = MLPClassifier(hidden_layer_sizes=HIDDEN[bench.name], max_iter=MAX_ITER[bench.name], random_state=MODEL_SEED, alpha=1e-2)
            net.fit(z, y)
    return net.coefs_, net.intercepts_, mean, scale


def _onnx_graph(bench: TinyBenchmark, coefs, intercepts, mean, scale):
    """Standardise → dense/ReLU layers → softmax (classifiers) or reconstruction MSE (ad01)."""
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.asarray(mean, np.float32), "mean"),
             numpy_helper.from_array(np.asarray(scale, np.float32), "scale")]
    nodes = [helper.make_node("Sub", ["input", "mean"], ["centred"]),
             helper.make_node("Div", ["centred", "scale"], ["z"])]
    h = "z"
    for i, (w, b) in enumerate(zip(coefs, intercepts)):
        inits += [numpy_helper.from_array(w.astype(np.float32), f"w{i}"),
                  numpy_helper.from_array(b.astype(np.float32), f"b{i}")]
        nodes += [helper.make_node("MatMul", [h, f"w{i}"], [f"mm{i}"]),
                  helper.make_node("Add", [f"mm{i}", f"b{i}"], [f"a{i}"])]
        h = f"a{i}"
        if i < len(coefs) - 1:
            nodes.append(helper.make_node("Relu", [h], [f"r{i}"]))
            h = f"r{i}"
    if bench.metric == "auc":
        nodes += [helper.make_node("Sub", [h, "z"], ["err"]),
                  helper.make_node("Mul", ["err", "err"], ["sq"]),
                  helper.make_node("ReduceMean", ["sq"], ["output"], axes=[1], keepdims=1)]
        out_dim = 1
    elif coefs[-1].shape[1] == 1:  # binary MLPClassifier: one logistic unit → [p0, p1]
        inits.append(numpy_helper.from_array(np.array([0.0], np.float32), "zero"))
        nodes += [helper.make_node("Sub", ["zero", h], ["neg"]),
                  helper.make_node("Concat", ["neg", h], ["logits"], axis=1),
                  helper.make_node("Softmax", ["logits"], ["output"], axis=1)]
        out_dim = 2
    else:
        nodes.append(helper.make_node("Softmax", [h], ["output"], axis=1))
        out_dim = coefs[-1].shape[1]
    graph = helper.make_graph(
        nodes, f"mlpace_{bench.model_id}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, len(mean)])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, out_dim])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="mlpace")
    model.ir_version = 8
    return model

"""Models: seeded training, the ONNX cache, and onnxruntime vs the pure-numpy runner."""

import numpy as np
import onnx
import pytest

from mlpace import workloads
from mlpace.errors import ConfigError
from mlpace.workloads import models, onnx_graphs
from mlpace.workloads.numpy_runner import NumpyRunner
from mlpace.workloads.runners import OrtRunner


@pytest.mark.parametrize("name", ["digits", "vww", "anomaly"])
def test_onnxruntime_and_numpy_agree_on_every_sample(name):
    wl = workloads.get(name)
    x, _ = wl.eval_set
    ort_out = OrtRunner(wl.model_path()).run_all(x)
    np_out = NumpyRunner(wl.model_path()).run_all(x)
    assert ort_out.keys() == np_out.keys()
    for key in ort_out:
        assert ort_out[key].dtype == np_out[key].dtype
        if ort_out[key].dtype == np.int64:
            np.testing.assert_array_equal(ort_out[key], np_out[key])
        else:
            np.testing.assert_allclose(ort_out[key], np_out[key], rtol=1e-4, atol=1e-5)


def test_model_file_is_cached_and_keyed_by_seed(mlpace_cache_dir):
    calls = []

    def build():
        calls.append(1)
        return onnx_graphs.classifier("t", [np.eye(2, dtype=np.float32)], [np.zeros(2, np.float32)])

    first = models.ensure("unit", "1", 7, build)
    again = models.ensure("unit", "1", 7, build)
    other = models.ensure("unit", "1", 8, build)
    assert first == again != other
    assert len(calls) == 2
    assert first.parent == mlpace_cache_dir / "models"
    onnx.checker.check_model(onnx.load(str(first)))


def test_training_is_reproducible_from_the_seed():
    wl = workloads.get("vww")  # the quickest to train
    b = onnx.load(str(wl.model_path()))  # cached by an earlier test in this session
    a = wl.train()
    wa = [onnx.numpy_helper.to_array(t) for t in a.graph.initializer]
    wb = [onnx.numpy_helper.to_array(t) for t in b.graph.initializer]
    for u, v in zip(wa, wb):
        np.testing.assert_array_equal(u, v)


def test_numpy_runner_matches_onnxruntime_on_a_binary_classifier_with_ties():
    # logits [0, w.x + b]; check ArgMax tie handling (first index) agrees with onnxruntime
    w = np.array([[1.0], [-1.0]], np.float32)
    weights = [np.hstack([np.zeros_like(w), w])]
    biases = [np.zeros(2, np.float32)]
    model = onnx_graphs.classifier("bin", weights, biases)
    x = np.array([[1, 0], [0, 1], [2, 2]], np.float32)  # logit 1, -1, 0 (tie)
    path = models.ensure("bin-unit", "1", 0, lambda: model)
    np.testing.assert_array_equal(OrtRunner(path)(x), [1, 0, 0])
    np.testing.assert_array_equal(NumpyRunner(model)(x), [1, 0, 0])


def test_numpy_runner_rejects_an_unsupported_operator():
    node = onnx.helper.make_node("Softmax", ["input"], ["out"])
    graph = onnx.helper.make_graph(
        [node], "g",
        [onnx.helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [1, 2])],
        [onnx.helper.make_tensor_value_info("out", onnx.TensorProto.FLOAT, [1, 2])],
    )
    with pytest.raises(ConfigError, match="Softmax"):
        NumpyRunner(onnx.helper.make_model(graph))


def test_unknown_backend_is_a_config_error():
    wl = workloads.get("digits")
    with pytest.raises(ConfigError, match="onnxruntime, numpy"):
        wl.make_sut(wl.make_qsl(), backend="tensorrt", complete=lambda ids, data: None)

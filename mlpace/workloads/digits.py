"""``digits``: image classification on scikit-learn's 8x8 digits (the ``mlpace run`` default).

Proxy for MLPerf's ImageNet / ResNet-50 classification: same QSL/SUT/accuracy path,
tiny data and model. Evaluation set: a seeded, stratified 30% split (540 images);
model: a 64-unit ReLU MLP trained on the rest.
"""

from __future__ import annotations


from mlpace.data import digits as data
from mlpace.workloads import onnx_graphs, training
from mlpace.workloads.base import Workload


class Digits(Workload):
    name = "digits"
    description = "Image classification, 8x8 handwritten digits, 64-unit MLP (top-1)"
    proxy_note = "proxy for ImageNet / ResNet-50: scikit-learn's bundled 8x8 digits and a small MLP"
    metric = "top1"
    reference = 0.9759
    model_version = "2"
    seed = 0
    scenario_settings = {
        "SingleStream": {"single_stream_expected_latency_ns": 20_000, "min_duration_ms": 1000, "min_query_count": 100},
        "MultiStream": {"multi_stream_expected_latency_ns": 40_000, "min_duration_ms": 1000, "min_query_count": 100},
        "Server": {"server_target_qps": 2000, "server_target_latency_ns": 10_000_000, "min_duration_ms": 1000, "min_query_count": 100},
        "Offline": {"offline_expected_qps": 2_500_000, "min_duration_ms": 1000, "min_query_count": 1},
    }

    def _split(self):
        images, labels = data.load()
        train, test = training.stratified_split(labels, 0.3, self.seed)
        return images.reshape(len(images), -1), labels, train, test

    def load_eval(self):
        x, y, _, test = self._split()
        return x[test], y[test]

    def train(self):
        from sklearn.neural_network import MLPClassifier

        x, y, train, _ = self._split()
        mlp = training.fit_quietly(MLPClassifier((64,), batch_size=64, max_iter=60, random_state=self.seed), x[train], y[train])
        weights, biases = training.classifier_layers(mlp)
        return onnx_graphs.classifier(
            "digits_mlp", weights, biases, doc=self.description, metadata={"seed": self.seed, "workload": self.name}
        )




"""``vww``: visual-wake-words style person / no-person on scikit-image's ``lfw_subset``.

Proxy for MLPerf Tiny's Visual Wake Words (COCO person detection, MobileNet): 25x25
grey face crops (person) against non-face crops. Evaluation set: a seeded, stratified
50% split (100 images); model: a 64-unit ReLU MLP trained on the rest plus their
horizontal mirror images.
"""

from __future__ import annotations

import numpy as np

from mlpace.data import lfw as data
from mlpace.workloads import onnx_graphs, training
from mlpace.workloads.base import Workload


class VisualWakeWords(Workload):
    name = "vww"
    description = "Person / no-person, 25x25 lfw_subset faces vs non-faces, 64-unit MLP (top-1)"
    proxy_note = "proxy for Visual Wake Words (COCO person, MLPerf Tiny): scikit-image lfw_subset faces vs non-faces"
    metric = "top1"
    reference = 0.9600
    model_version = "1"
    seed = 3
    scenario_settings = {
        "SingleStream": {"single_stream_expected_latency_ns": 20_000, "min_duration_ms": 1000, "min_query_count": 100},
        "MultiStream": {"multi_stream_expected_latency_ns": 50_000, "min_duration_ms": 1000, "min_query_count": 100},
        "Server": {"server_target_qps": 2000, "server_target_latency_ns": 10_000_000, "min_duration_ms": 1000, "min_query_count": 100},
        "Offline": {"offline_expected_qps": 600_000, "min_duration_ms": 1000, "min_query_count": 1},
    }

    def _split(self):
        images, labels = data.load()
        train, test = training.stratified_split(labels, 0.5, self.seed)
        return images, labels, train, test

    def load_eval(self):
        images, labels, _, test = self._split()
        return images[test].reshape(len(test), -1), labels[test]

    def train(self):
        from sklearn.neural_network import MLPClassifier

        images, labels, train, _ = self._split()
        x = np.concatenate([images[train], images[train][:, :, ::-1]]).reshape(2 * len(train), -1)
        y = np.concatenate([labels[train], labels[train]])
        mlp = MLPClassifier((64,), alpha=1e-3, max_iter=500, random_state=self.seed)
        mlp = training.fit_quietly(mlp, x, y)
        weights, biases = training.classifier_layers(mlp)
        return onnx_graphs.classifier(
            "vww_mlp", weights, biases, doc=self.description, metadata={"seed": self.seed, "workload": self.name}
        )

"""``anomaly``: machine anomaly detection with a dense autoencoder, scored by ROC AUC.

Proxy for MLPerf Tiny's anomaly detection (ToyADMOS machine sounds, FC autoencoder):
seeded synthetic vibration clips (``mlpace.data.vibration``) turned into 64 log band
energies. The autoencoder (64-32-8-32-64) learns normal clips only; the anomaly score
is its mean squared reconstruction error. Evaluation set: 300 normal + 200 faulty clips
generated from their own seed.
"""

from __future__ import annotations

from mlpace.data import vibration
from mlpace.workloads import onnx_graphs, training
from mlpace.workloads.base import Workload

TRAIN_SEED = 1
EVAL_SEED = 2


class Anomaly(Workload):
    name = "anomaly"
    description = "Anomaly detection, synthetic machine vibration, dense autoencoder (AUC)"
    proxy_note = "proxy for ToyADMOS (MLPerf Tiny anomaly detection): seeded synthetic machine vibration"
    metric = "auc"
    reference = 0.9147
    model_version = "1"
    seed = 0
    scenario_settings = {
        "SingleStream": {"single_stream_expected_latency_ns": 20_000, "min_duration_ms": 1000, "min_query_count": 100},
        "MultiStream": {"multi_stream_expected_latency_ns": 50_000, "min_duration_ms": 1000, "min_query_count": 100},
        "Server": {"server_target_qps": 2000, "server_target_latency_ns": 10_000_000, "min_duration_ms": 1000, "min_query_count": 100},
        "Offline": {"offline_expected_qps": 2_000_000, "min_duration_ms": 1000, "min_query_count": 1},
    }

    def load_eval(self):
        clips, labels = vibration.generate(300, 200, seed=EVAL_SEED)
        return vibration.log_band_energies(clips), labels

    def train(self):
        from sklearn.neural_network import MLPRegressor

        clips, _ = vibration.generate(600, 0, seed=TRAIN_SEED)
        x = vibration.log_band_energies(clips)
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-3
        z = (x - mean) / scale
        ae = MLPRegressor(hidden_layer_sizes=(32, 8, 32), max_iter=400, random_state=self.seed)
        ae = training.fit_quietly(ae, z, z)
        return onnx_graphs.autoencoder(
            "anomaly_autoencoder", mean, scale, ae.coefs_, ae.intercepts_,
            doc=self.description, metadata={"seed": self.seed, "workload": self.name},
        )

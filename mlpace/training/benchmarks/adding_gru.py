"""adding_gru: a GRU regressor on the adding problem, a classic sequence-memory task.

Data (generated from a fixed data seed, identical for every run): sequences of 16 steps,
each step a pair (value ~ U[0, 1], marker in {0, 1}) with exactly two markers set; the
label is the sum of the two marked values. 2,000 training and 500 eval sequences.
Always predicting the mean gives MSE ~ 0.167. Model: GRU (hidden 32) + linear head on
the last step. Adam. Target: eval mean squared error <= 0.01 (lower is better), checked
every epoch, at most 30 epochs. Logged under ``eval_accuracy`` (the key the official
tools read), like the loss targets of the official LLM benchmarks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from mlpace.training.api import Benchmark
from mlpace.training.benchmarks.tensor_loop import TensorLoop
from mlpace.training.config import BenchmarkConfig, validate_config

HERE = Path(__file__).parent

CONFIG = {
    "name": "adding_gru",
    "description": "GRU on the adding problem (sequence regression, MSE)",
    "quality": {"metric": "mse", "goal": "min", "target": 0.01},
    "global_batch_size": 64,
    "optimizer": "adam",
    "opt_base_learning_rate": 0.005,
    "eval_every_epochs": 1,
    "max_epochs": 30,
    "required_runs": 5,
    "data": {"seq_len": 16, "train_size": 2000, "eval_size": 500, "data_seed": 1234},
    "model": {"hidden": 32},
}


class DataSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq_len: int = Field(ge=2)
    train_size: int = Field(gt=0)
    eval_size: int = Field(gt=0)
    data_seed: int


class ModelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hidden: int = Field(gt=0)


def adding_problem(n: int, seq_len: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of (value, marker) pairs and the sums of their two marked values."""
    values = rng.random((n, seq_len), dtype=np.float32)
    keys = rng.random((n, seq_len)).argsort(axis=1)[:, :2]  # two distinct positions per row
    markers = np.zeros((n, seq_len), dtype=np.float32)
    np.put_along_axis(markers, keys, 1.0, axis=1)
    x = np.stack([values, markers], axis=-1)
    y = (values * markers).sum(axis=1, dtype=np.float32)
    return x, y


class GRURegressor(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.rnn = nn.GRU(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(-1)


class AddingGRULoop(TensorLoop):
    """Trains the GRU; the metric is the mean squared error over the eval set."""

    def build_model(self) -> nn.Module:
        return GRURegressor(int(self.cfg.model["hidden"]))

    def load_tensors(self):
        d = self.cfg.data
        rng = np.random.default_rng(int(d["data_seed"]))
        xtr, ytr = adding_problem(int(d["train_size"]), int(d["seq_len"]), rng)
        xev, yev = adding_problem(int(d["eval_size"]), int(d["seq_len"]), rng)
        return tuple(torch.from_numpy(a) for a in (xtr, ytr, xev, yev))

    def loss(self, output, target):
        return nn.functional.mse_loss(output, target)

    def metric_sums(self, output, target) -> torch.Tensor:
        sq = ((output.double() - target.double()) ** 2).sum()
        return torch.stack([sq, torch.tensor(float(len(target)), dtype=torch.float64)])


def benchmark(config: BenchmarkConfig | None = None) -> Benchmark:
    cfg = config or validate_config(CONFIG, source="adding_gru")
    return Benchmark(cfg, AddingGRULoop, rules_dir=HERE.parent / "rules", rcp_file=HERE / "rcps" / "rcps_adding_gru.json", data_schema=DataSettings, model_schema=ModelSettings)

"""A data-parallel minibatch loop over in-memory tensors, shared by mlpace's benchmarks.

Subclasses say how to build the model, where the data comes from, the loss, and how to
turn predictions into the partial sums of their metric. The loop does the rest the same
way on one process or many: every rank draws the same seeded permutation per epoch,
each global batch of ``global_batch_size`` samples is split across ranks, gradients are
averaged by ``DistributedDataParallel``, and evaluation partial sums are all-reduced so
every rank sees the same metric. Incomplete last batches are dropped, so each optimizer
step sees exactly the global batch whatever the number of processes.
"""

from __future__ import annotations

import torch

from mlpace.training.api import DataInfo, RunContext
from mlpace.training.config import BenchmarkConfig


def make_optimizer(cfg: BenchmarkConfig, params):
    """The optimizer the config names, at its base learning rate."""
    hp = cfg.hyperparameters
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.opt_base_learning_rate,
                               momentum=float(hp.get("opt_momentum", 0.0)))
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    kwargs = {}
    if "opt_weight_decay" in hp:
        kwargs["weight_decay"] = float(hp["opt_weight_decay"])
    return cls(params, lr=cfg.opt_base_learning_rate, **kwargs)


class TensorLoop:
    """Base class: implement ``build_model``, ``load_tensors``, ``loss`` and ``metric_sums``."""

    def __init__(self, cfg: BenchmarkConfig):
        self.cfg = cfg

    # -- to implement -------------------------------------------------------------
    def build_model(self) -> torch.nn.Module:
        raise NotImplementedError

    def load_tensors(self):
        """Return ``(x_train, y_train, x_eval, y_eval)`` tensors."""
        raise NotImplementedError

    def loss(self, output, target):
        raise NotImplementedError

    def metric_sums(self, output, target) -> torch.Tensor:
        """Partial sums ``[numerator, count]`` on a shard; the metric is their ratio."""
        raise NotImplementedError

    # -- TrainingLoop ----------------------------------------------------------------
    def init(self, ctx: RunContext) -> None:
        # one intra-op thread by default: these models are tiny, and with several processes
        # per machine more threads only contend (override with ctx.extras["threads"])
        torch.set_num_threads(int(ctx.extras.get("threads", 1)))
        self.model = ctx.wrap_model(self.build_model())
        self.optimizer = make_optimizer(self.cfg, self.model.parameters())
        self.generator = torch.Generator().manual_seed(ctx.seed)

    def load_data(self, ctx: RunContext) -> DataInfo:
        self.x_train, self.y_train, self.x_eval, self.y_eval = self.load_tensors()
        return DataInfo(train_samples=len(self.x_train), eval_samples=len(self.x_eval))

    def train_epoch(self, ctx: RunContext, epoch: int) -> None:
        gbs = self.cfg.global_batch_size
        order = torch.randperm(len(self.x_train), generator=self.generator)
        self.model.train()
        for start in range(0, len(order) - gbs + 1, gbs):
            idx = ctx.shard(order[start : start + gbs])
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss(self.model(self.x_train[idx]), self.y_train[idx])
            loss.backward()
            self.optimizer.step()

    def evaluate(self, ctx: RunContext) -> float:
        self.model.eval()
        idx = ctx.shard(torch.arange(len(self.x_eval)))
        with torch.no_grad():
            module = getattr(self.model, "module", self.model)
            sums = self.metric_sums(module(self.x_eval[idx]), self.y_eval[idx]).double()
        ctx.all_reduce_sum(sums)
        return float(sums[0] / sums[1])

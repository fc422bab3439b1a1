"""The callback API a training loop implements, and what the harness hands it.

A benchmark is a validated :class:`~mlpace.training.config.BenchmarkConfig` plus a
factory for a :class:`TrainingLoop`. The harness owns the clock and the log; the loop
owns the model and the data. The harness calls, in this order:

``init(ctx)``  untimed: build the model and optimizer; must not touch the data set.
``load_data(ctx)``  timed (after ``run_start``): read the data set; returns sizes.
``train_epoch(ctx, epoch)``  timed: one pass over this process's share of the data.
``evaluate(ctx)``  timed: the quality metric on the whole eval set (all ranks agree).
``data_files()``  optional: files whose page cache is dropped before a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

from pydantic import BaseModel, ValidationError

from mlpace.errors import ConfigError
from mlpace.training.config import BenchmarkConfig


@dataclass(frozen=True)
class DataInfo:
    """Sizes of the data a run uses (logged as ``train_samples`` / ``eval_samples``)."""

    train_samples: int
    eval_samples: int


@dataclass
class RunContext:
    """What a loop may use: the run's seed, the config and the process group.

    With one process ``world_size`` is 1 and the helpers are identities; under
    ``torchrun`` they shard, wrap and reduce across ranks (see ``distributed``).
    """

    config: BenchmarkConfig
    seed: int
    rank: int = 0
    world_size: int = 1
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @property
    def local_batch_size(self) -> int:
        """This process's share of the global batch."""
        return self.config.global_batch_size // self.world_size

    def shard(self, items):
        """This rank's share of a sequence (every ``world_size``-th item from ``rank``)."""
        return items[self.rank :: self.world_size]

    def wrap_model(self, model):
        """Wrap a torch module for data-parallel training (gradients averaged over ranks)."""
        if not self.is_distributed:
            return model
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model)

    def all_reduce_sum(self, tensor):
        """Sum a tensor over all ranks in place and return it (identity on one process)."""
        if self.is_distributed:
            import torch.distributed as dist

            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor


@runtime_checkable
class TrainingLoop(Protocol):
    """The four calls a user's training stack implements to be timed by mlpace."""

    def init(self, ctx: RunContext) -> None: ...

    def load_data(self, ctx: RunContext) -> DataInfo: ...

    def train_epoch(self, ctx: RunContext, epoch: int) -> None: ...

    def evaluate(self, ctx: RunContext) -> float: ...


@dataclass(frozen=True)
class Benchmark:
    """A registered benchmark: its config and how to build a fresh loop for one run.

    ``rules_dir`` holds ``closed_<name>.yaml`` / ``open_<name>.yaml`` when the benchmark
    ships them (otherwise they are generated from the config); ``rcp_file`` holds its
    reference convergence points, if any; ``data_schema`` / ``model_schema`` (pydantic
    models) validate the benchmark-specific ``data`` and ``model`` sections.
    """

    config: BenchmarkConfig
    make_loop: Callable[[BenchmarkConfig], TrainingLoop]
    rules_dir: Path | None = None
    rcp_file: Path | None = None
    data_schema: type[BaseModel] | None = None
    model_schema: type[BaseModel] | None = None

    def __post_init__(self):
        for section, schema in (("data", self.data_schema), ("model", self.model_schema)):
            if schema is None:
                continue
            try:
                schema.model_validate(getattr(self.config, section))
            except ValidationError as exc:
                err = exc.errors()[0]
                key = ".".join([section, *map(str, err["loc"])])
                raise ConfigError(f"bad benchmark config for {self.config.name}: key '{key}': {err['msg']} "
                                  f"(got {err.get('input')!r})") from None

    @property
    def name(self) -> str:
        return self.config.name

    def with_config(self, config: BenchmarkConfig) -> "Benchmark":
        return Benchmark(config, self.make_loop, self.rules_dir, self.rcp_file, self.data_schema, self.model_schema)

"""Data-parallel runs under ``torchrun``: process-group setup and the launch command.

``torchrun`` sets RANK / WORLD_SIZE / MASTER_ADDR; :func:`init_from_env` joins the gloo
group (CPU). The same worker command scales from 2 local processes (``--standalone``)
to several machines (``--nnodes`` with a rendezvous endpoint). Only rank 0 writes logs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class DistInfo:
    rank: int
    world_size: int
    local_world_size: int

    @property
    def nodes(self) -> int:
        return max(1, self.world_size // max(1, self.local_world_size))


def init_from_env(timeout_s: float = 300.0) -> DistInfo:
    """Join the gloo process group described by torchrun's environment (no-op alone)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    if world > 1:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("gloo", timeout=timedelta(seconds=timeout_s))
    return DistInfo(rank, world, local)


def barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def shutdown() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def standalone_command(nproc: int, worker_args: list[str]) -> list[str]:
    """``torchrun --standalone --nproc_per_node N -m mlpace.training.worker ...`` for this Python."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
            "-m", "mlpace.training.worker", *worker_args]


def standalone_env() -> dict[str, str]:
    """Environment for a one-machine launch: gloo on the loopback interface, one thread each."""
    env = dict(os.environ)
    env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env

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


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` too) -> (host, port); ``ConfigError`` naming the option."""
    from mlpace.errors import ConfigError

    host, sep, port = endpoint.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"--rdzv-endpoint {endpoint!r}: expected HOST:PORT with a port 1..65535")
    return host, int(port)


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


@dataclass(frozen=True)
class NodeLaunch:
    """One node's share of a multi-node launch (torchrun's c10d rendezvous)."""

    nnodes: int
    node_rank: int
    endpoint: str  # HOST:PORT of the rendezvous store, hosted by node 0
    rdzv_id: str
    local_addr: str | None = None  # the address the other nodes reach this one at
    join_timeout_s: int = 120

    def command(self, nproc: int, worker_args: list[str]) -> list[str]:
        """``torchrun --nnodes N --rdzv-backend c10d ...`` for this node. Node 0 hosts the
        rendezvous store at the endpoint; the others join it as clients."""
        host, _ = parse_endpoint(self.endpoint)
        local = self.local_addr or ("127.0.0.1" if is_loopback(host) else None)
        conf = f"is_host={'true' if self.node_rank == 0 else 'false'},join_timeout={self.join_timeout_s}"
        cmd = [sys.executable, "-m", "torch.distributed.run", f"--nnodes={self.nnodes}",
               f"--nproc-per-node={nproc}", "--rdzv-backend=c10d", f"--rdzv-endpoint={self.endpoint}",
               f"--rdzv-id={self.rdzv_id}", f"--rdzv-conf={conf}", "--max-restarts=0"]
        if local:
            cmd.append(f"--local-addr={local}")
        return [*cmd, "-m", "mlpace.training.worker", *worker_args]

    def env(self) -> dict[str, str]:
        """Gloo on the loopback interface when the rendezvous is on this machine; else the
        user's ``GLOO_SOCKET_IFNAME`` (name the interface the nodes share)."""
        host, _ = parse_endpoint(self.endpoint)
        return _launch_env(loopback=is_loopback(host))


def _launch_env(loopback: bool) -> dict[str, str]:
    """This environment plus one thread per process and, on loopback, gloo on ``lo`` (the
    user's own ``GLOO_SOCKET_IFNAME``/``OMP_NUM_THREADS`` win)."""
    env = dict(os.environ)
    if loopback:
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def standalone_env() -> dict[str, str]:
    """Environment for a one-machine launch: gloo on the loopback interface, one thread each."""
    return _launch_env(loopback=True)

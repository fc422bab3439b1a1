"""A SUT whose model runs in N Ray actors (replicas) spread over a Ray cluster.

The LoadGen and its clock stay on the driver. ``issue_queries`` cuts each query into
batches of at most ``batch_size`` samples, sends each batch's feature rows to the replica
with the fewest samples outstanding, ties in turn (the data crosses the object store, as it would cross
a network), and returns at once; each batch completes from Ray's future callback with the
replica's payload rows. No caching and no batching across queries happen in the
dispatcher. A replica that dies or raises ends the run INVALID through ``lg.fail`` with
the cause. Per-replica counts and service times are kept for the report (``stats()``).

Ray is an optional dependency (``pip install 'mlpace[ray]'``).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from mlpace.errors import ConfigError, SUTError


def _ray():
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError("--ray needs Ray: pip install 'mlpace[ray]'") from exc
    return ray


def connect(address: str, num_cpus: int | None = None):
    """Connect to a Ray cluster: ``"local"`` starts one on this machine (bound to the
    loopback address), anything else is a cluster address (``"auto"``, ``"HOST:PORT"``,
    ``"ray://HOST:10001"``). Returns the ``ray`` module."""
    if address == "local":
        # Ray advertises the machine's first non-loopback address unless told this is a
        # one-machine cluster; keep a local cluster's traffic on 127.0.0.1.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = _ray()
    if ray.is_initialized():
        return ray
    try:
        if address == "local":
            ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"--ray {address}: cannot connect to a Ray cluster ({exc}); "
                          "use 'local' to start one on this machine, or a cluster address HOST:PORT") from exc
    return ray


class _Replica:
    """The actor body: one model runner, fed feature rows, answering payload rows."""

    def __init__(self, model_bytes: bytes, backend: str, payload_dtype: str):
        from mlpace.workloads.runners import make_runner

        fd, path = tempfile.mkstemp(suffix=".onnx", prefix="mlpace-replica-")
        with os.fdopen(fd, "wb") as f:
            f.write(model_bytes)
        self.runner = make_runner(path, backend)
        os.unlink(path)
        self.payload_dtype = np.dtype(payload_dtype)

    def node(self) -> str:
        import ray

        return ray.get_runtime_context().get_node_id()

    def infer(self, features: np.ndarray):
        from mlpace.workloads.sut import payload_rows

        t0 = time.perf_counter_ns()
        rows = payload_rows(self.runner(features), len(features), self.payload_dtype)
        return rows, time.perf_counter_ns() - t0


@dataclass
class ReplicaStats:
    """What one replica did in the runs so far."""

    node_id: str
    samples: int = 0
    batches: int = 0
    service_ns: list[int] = field(default_factory=list)  # model time per batch, in the actor
    round_trip_ns: list[int] = field(default_factory=list)  # dispatch -> callback, per batch


class RaySUT:
    """N replicas of ``workload``'s model behind one SUT; ``close()`` frees the actors."""

    def __init__(self, workload, qsl, replicas: int = 1, *, backend: str = "onnxruntime",
                 batch_size: int = 1024, complete=None, fail=None, actor_options: list[dict] | None = None):
        if replicas < 1:
            raise ConfigError(f"--replicas must be >= 1 (got {replicas})")
        ray = _ray()
        if not ray.is_initialized():
            raise ConfigError("RaySUT needs a Ray connection first: mlpace.scale.ray_sut.connect(address)")
        if complete is None or fail is None:
            from mlpace import loadgen as lg

            complete = complete or lg.complete
            fail = fail or lg.fail
        self.name = f"ray-{workload.name}-x{replicas}"
        self.qsl = qsl
        self.batch_size = int(batch_size)
        self._complete = complete
        self._fail = fail
        model_ref = ray.put(workload.model_path().read_bytes())
        actor_cls = ray.remote(num_cpus=1)(_Replica)
        self.actors = []
        for i in range(replicas):
            opts = (actor_options[i] if actor_options else None) or {"scheduling_strategy": "SPREAD"}
            self.actors.append(actor_cls.options(**opts).remote(model_ref, backend, workload.payload_dtype))
        try:
            nodes = ray.get([a.node.remote() for a in self.actors], timeout=120)
        except Exception as exc:
            self.close()
            raise SUTError(f"Ray replicas did not start: {type(exc).__name__}: {exc}") from exc
        self.replica_stats = [ReplicaStats(node_id=n) for n in nodes]
        self._outstanding = np.zeros(replicas, dtype=np.int64)
        self._order = np.arange(replicas)
        self._next = 0
        self._lock = threading.Lock()
        self._failed = False

    # ---- LoadGen SUT interface ------------------------------------------------------
    def issue_queries(self, ids, indices) -> None:
        ids = np.asarray(ids)
        indices = np.asarray(indices, dtype=np.int64)
        for lo in range(0, len(ids), self.batch_size):
            self._dispatch(ids[lo : lo + self.batch_size], indices[lo : lo + self.batch_size])

    def flush_queries(self) -> None:
        pass

    def _dispatch(self, ids: np.ndarray, indices: np.ndarray) -> None:
        features = self.qsl.features(indices)
        with self._lock:  # least outstanding samples; ties go round robin
            n = len(self._outstanding)
            order = (self._order + self._next) % n
            self._next = (self._next + 1) % n
            k = int(order[np.argmin(self._outstanding[order])])
            self._outstanding[k] += len(ids)
        t0 = time.perf_counter_ns()
        future = self.actors[k].infer.remote(features).future()
        future.add_done_callback(lambda fut, ids=ids, k=k, t0=t0: self._done(fut, ids, k, t0))

    def _done(self, fut, ids: np.ndarray, k: int, t0: int) -> None:
        rtt = time.perf_counter_ns() - t0
        with self._lock:
            self._outstanding[k] -= len(ids)
        try:
            rows, service_ns = fut.result()
        except Exception as exc:  # actor died, or the model raised inside it
            if not self._failed:
                self._failed = True
                self._fail(f"Ray replica {k} on node {self.replica_stats[k].node_id[:12]} failed: "
                           f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            return
        st = self.replica_stats[k]
        st.samples += len(ids)
        st.batches += 1
        st.service_ns.append(service_ns)
        st.round_trip_ns.append(rtt)
        try:
            self._complete(ids, rows)
        except SUTError:
            pass  # the test already ended (e.g. failed): nothing to complete into

    # ---- reporting ------------------------------------------------------------------
    def stats(self) -> list[dict]:
        """Per replica: node, samples, batches, median model time and median Ray overhead."""
        out = []
        for i, st in enumerate(self.replica_stats):
            svc = np.asarray(st.service_ns, dtype=np.int64)
            rtt = np.asarray(st.round_trip_ns, dtype=np.int64)
            out.append({
                "replica": i, "node_id": st.node_id, "samples": st.samples, "batches": st.batches,
                "median_service_ms": float(np.median(svc) / 1e6) if len(svc) else None,
                "median_overhead_ms": float(np.median(rtt - svc) / 1e6) if len(svc) else None,
            })
        return out

    def close(self) -> None:
        ray = _ray()
        for a in getattr(self, "actors", []):
            try:
                ray.kill(a)
            except Exception:  # already gone
                pass
        self.actors = []


def make_ray_sut(workload, qsl, address: str, replicas: int, backend: str = "onnxruntime") -> RaySUT:
    """Connect (``"local"`` starts a cluster here) and start ``replicas`` actors spread over
    the cluster's nodes."""
    connect(address, num_cpus=max(os.cpu_count() or 1, replicas) if address == "local" else None)
    return RaySUT(workload, qsl, replicas, backend=backend)

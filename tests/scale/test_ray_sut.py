"""A Ray-backed SUT on a real two-node Ray cluster (``ray.cluster_utils.Cluster``, loopback).

One cluster serves the whole module (starting one costs tens of seconds on a small machine).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep the cluster on 127.0.0.1

import ray  # noqa: E402  - a missing Ray fails these tests, it never skips them
from ray.cluster_utils import Cluster  # noqa: E402

from mlpace import loadgen as lg  # noqa: E402
from mlpace import workloads  # noqa: E402
from mlpace.loadgen.calibrate import calibrate  # noqa: E402
from mlpace.scale.ray_sut import RaySUT  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(initialize_head=True, connect=True,
                head_node_args={"num_cpus": 1, "resources": {"node_a": 1}, "include_dashboard": False})
    c.add_node(num_cpus=1, resources={"node_b": 1})
    c.wait_for_nodes()
    yield c
    ray.shutdown()
    c.shutdown()


def _pinned(wl, qsl, **kw):
    """Two replicas, one forced onto each node by its custom resource."""
    return RaySUT(wl, qsl, 2, actor_options=[{"resources": {"node_a": 0.01}}, {"resources": {"node_b": 0.01}}], **kw)


def test_offline_two_nodes_valid_and_same_answers(cluster, tmp_path):
    wl = workloads.get("digits")
    qsl = wl.make_qsl()
    sut = _pinned(wl, qsl, batch_size=128)
    try:
        assert len({s.node_id for s in sut.replica_stats}) == 2, "replicas must sit on two nodes"
        settings = lg.TestSettings.make(**wl.default_settings("Offline"))
        settings.mode = lg.TestMode.SubmissionRun
        settings.min_duration_ms = 300
        calibrate(sut, qsl, settings, set())  # size the Offline query to what the replicas do,
        settings.offline_expected_qps *= 3  # with room: a noisy probe must not make the run short
        before = sum(st["samples"] for st in sut.stats())
        result = lg.start_test(sut, qsl, settings, lg.LogSettings(outdir=tmp_path))
        assert result.valid, result.reasons
        stats = sut.stats()
        assert all(st["samples"] > 0 for st in stats), stats  # both nodes served
        # accuracy pass + performance pass: every issued sample answered exactly once
        issued = len(qsl.labels) + int(result.metrics["sample_count"])
        assert sum(st["samples"] for st in stats) - before == issued
        # the replicas answer exactly what the in-process reference SUT answers
        idx, out = wl_outputs(wl, result.accuracy_path)
        ref = wl.make_sut(qsl, complete=lambda *a: None).runner(qsl.features_all[idx])
        assert np.array_equal(out.reshape(len(idx), -1)[:, 0], np.asarray(ref).reshape(len(idx), -1)[:, 0].astype(out.dtype))
        report = wl.score_accuracy_log(result.accuracy_path)
        assert report.passed and report.count == len(qsl.labels)
    finally:
        sut.close()


def wl_outputs(wl, path):
    from mlpace.workloads import accuracy_log

    return accuracy_log.read(path).decode(wl.payload_dtype)


def test_dead_replica_ends_the_run_invalid_with_the_cause(cluster, tmp_path):
    wl = workloads.get("digits")
    qsl = wl.make_qsl()
    sut = _pinned(wl, qsl)
    ray.kill(sut.actors[1])
    try:
        settings = lg.TestSettings.make(**wl.default_settings("SingleStream"))
        settings.mode = lg.TestMode.PerformanceOnly
        settings.min_duration_ms = 200
        settings.sut_timeout_ms = 20_000
        result = lg.start_test(sut, qsl, settings, lg.LogSettings(outdir=tmp_path))
        assert not result.valid
        why = " ".join(result.reasons)
        assert "Ray replica 1" in why and "ActorDied" in why.replace("RayActorError", "ActorDied"), why
        summary = (tmp_path / "mlperf_log_summary.txt").read_text()
        assert "Ray replica 1" in summary  # the cause is in the official log too
    finally:
        sut.close()


def test_cli_runs_on_a_cluster_address_and_reports_replicas(cluster, tmp_path, capsys):
    from mlpace.cli import main

    out = tmp_path / "run"
    code = main(["run", "digits", "-s", "SingleStream", "--mode", "PerformanceOnly",
                 "--set", "min_duration_ms=300", "--ray", cluster.address, "--replicas", "2", "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "Ray replicas" in text and "VALID" in text
    stats = json.loads((out / "ray_replicas.json").read_text())
    assert len(stats) == 2 and sum(s["samples"] for s in stats) > 0

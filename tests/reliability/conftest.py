"""Shared fixtures of the reliability suite: small real runs laid out as submission trees."""

from __future__ import annotations

import pytest

from mlpace import loadgen as lg
from mlpace import workloads
from mlpace.submission import write_run

OFFLINE = {"min_duration_ms": 200, "offline_expected_qps": 20_000_000}  # a claim above what any machine does: a long enough run


def run_digits(outdir, scenario="Offline", mode="SubmissionRun", **overrides):
    wl = workloads.get("digits")
    qsl = wl.make_qsl()
    sut = wl.make_sut(qsl)
    values = {**wl.default_settings(scenario), **(OFFLINE if scenario == "Offline" else {}), **overrides}
    settings = lg.TestSettings.make(**values, mode=mode)
    result = lg.start_test(sut, qsl, settings, lg.LogSettings(outdir=outdir), audit_config=None)
    acc = wl.score_accuracy_log(result.accuracy_path, out_dir=outdir) if mode != "PerformanceOnly" else None
    return result, acc


@pytest.fixture(scope="session")
def offline_tree(tmp_path_factory):
    """open/mlpace/results/box/digits/Offline from a real VALID SubmissionRun (no audits: open)."""
    base = tmp_path_factory.mktemp("offline-tree")
    result, acc = run_digits(base / "run")
    assert result.valid, result.reasons
    root = base / "tree"
    write_run(root, workloads.get("digits"), "Offline", result, acc, system="box")
    return root

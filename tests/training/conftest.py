"""Shared fixtures: one real, seeded result set of digits_cnn, made once per test session."""

from __future__ import annotations

import pytest

from mlpace.training.benchmarks import get_benchmark
from mlpace.training.harness import Submission
from mlpace.training.results_tree import ResultsLayout, capture_system, write_system_json
from mlpace.training.runset import run_set


@pytest.fixture(scope="session")
def digits_set(tmp_path_factory):
    """A real 5-run closed set of digits_cnn (seeds 2..6) in the official layout."""
    org = tmp_path_factory.mktemp("train") / "mlpace_org"
    bench = get_benchmark("digits_cnn")
    layout = ResultsLayout(org, "cpu_test", bench.name)
    layout.prepare(overwrite=False)
    write_system_json(layout, capture_system("cpu_test", "mlpace_org", "closed", "Available on-premise"))
    results = run_set(bench, layout, runs=bench.config.required_runs, base_seed=2,
                      submission=Submission(org="mlpace_org", platform="cpu_test"))
    return layout, results

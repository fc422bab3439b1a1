"""Time-to-train harness (MLPerf Training method): benchmarks, runs, result sets, checks.

Public API, re-exported here: ``BenchmarkConfig``, ``Benchmark``, ``TrainingLoop``,
``RunContext``, ``DataInfo``, ``run_once``, ``get_benchmark``.
"""

from mlpace.training.api import Benchmark, DataInfo, RunContext, TrainingLoop
from mlpace.training.config import BenchmarkConfig, QualityTarget, validate_config

__all__ = ["Benchmark", "BenchmarkConfig", "DataInfo", "QualityTarget", "RunContext", "TrainingLoop",
           "validate_config", "run_once", "get_benchmark"]


def __getattr__(name):  # lazy: importing torch-heavy modules only when used
    if name == "run_once":
        from mlpace.training.harness import run_once

        return run_once
    if name == "get_benchmark":
        from mlpace.training.benchmarks import get_benchmark

        return get_benchmark
    raise AttributeError(name)

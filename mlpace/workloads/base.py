"""What every reference workload shares: targets, default settings, QSL/SUT factories, scoring.

A concrete workload (``digits.py``, ``vww.py``, ``anomaly.py``) supplies its data split,
its model training (returning an ONNX graph) and its metric; this base turns them into
the interface the CLI and LoadGen use.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlpace.runs.scenarios import OFFICIAL_SEEDS, SCENARIOS, scenario_name
from mlpace.workloads import accuracy_log, metrics, models
from mlpace.workloads.qsl import ArrayQSL
from mlpace.workloads.report import AccuracyReport
from mlpace.workloads.runners import make_runner
from mlpace.workloads.sut import BatchSUT

if TYPE_CHECKING:
    import onnx

__all__ = ["OFFICIAL_SEEDS", "PAYLOAD_DTYPES", "SCENARIOS", "Workload", "scenario_name"]

PAYLOAD_DTYPES = {"top1": "<i8", "auc": "<f4"}


class Workload:
    """Base class; subclasses set the class attributes and implement the three hooks."""

    name: str
    description: str
    proxy_note: str | None = None
    metric: str  # "top1" | "auc"
    reference: float  # documented accuracy of the fp32 reference model on the eval set
    target_fraction: float = 0.99
    model_version: str = "1"
    seed: int = 0
    # Per-scenario laptop-sized settings (TestSettings field -> value).
    scenario_settings: dict[str, dict] = {}

    # ---- hooks ---------------------------------------------------------------------
    def load_eval(self) -> tuple[np.ndarray, np.ndarray]:
        """Evaluation features (float32, 2-D) and labels."""
        raise NotImplementedError

    def train(self) -> onnx.ModelProto:
        """Train from ``self.seed`` and return the ONNX model."""
        raise NotImplementedError

    # ---- derived -------------------------------------------------------------------
    @property
    def target(self) -> float:
        return round(self.reference * self.target_fraction, 6)

    @property
    def target_note(self) -> str:
        return f"{100 * self.target_fraction:g}% of reference {self.reference:.4f}"

    @property
    def payload_dtype(self) -> str:
        return PAYLOAD_DTYPES[self.metric]

    @functools.cached_property
    def eval_set(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.load_eval()
        return np.ascontiguousarray(x, dtype=np.float32), np.asarray(y)

    def model_path(self) -> Path:
        return models.ensure(self.name, self.model_version, self.seed, self.train)

    def default_settings(self, scenario) -> dict:
        name = scenario_name(scenario)
        return {"scenario": name, **OFFICIAL_SEEDS, **self.scenario_settings[name]}

    def make_qsl(self, performance_sample_count: int | None = None) -> ArrayQSL:
        x, y = self.eval_set
        return ArrayQSL(self.name, x, y, performance_sample_count)

    def make_runner(self, backend: str = "onnxruntime"):
        return make_runner(self.model_path(), backend)

    def make_sut(self, qsl, backend: str = "onnxruntime", complete=None, batch_size: int = 4096) -> BatchSUT:
        runner = self.make_runner(backend)
        return BatchSUT(f"{backend}-{self.name}", qsl, runner, self.payload_dtype, complete, batch_size)

    def score(self, qsl_idx: np.ndarray, outputs: np.ndarray) -> tuple[float, int | None, list[str]]:
        """Metric over the given samples: ``(value, good count or None, reasons it cannot pass)``."""
        _, labels = self.eval_set
        if len(qsl_idx) and (qsl_idx.min() < 0 or qsl_idx.max() >= len(labels)):
            bad = int(qsl_idx[(qsl_idx < 0) | (qsl_idx >= len(labels))][0])
            return float("nan"), None, [f"qsl_idx {bad} outside the {self.name} set (0..{len(labels) - 1})"]
        truth = labels[qsl_idx]
        if self.metric == "top1":
            value, good = metrics.top1(outputs, truth)
            return value, good, []
        value = metrics.auc(outputs, truth)
        reasons = [] if np.isfinite(value) else ["AUC needs both normal and anomalous samples in the log"]
        return value, None, reasons

    def score_accuracy_log(self, path, out_dir=None) -> AccuracyReport:
        """Score an ``mlperf_log_accuracy.json`` (mlpace's or the official LoadGen's)."""
        log = accuracy_log.read(path)
        idx, outputs = log.decode(self.payload_dtype)
        value, good, reasons = self.score(idx, outputs)
        total = len(self.eval_set[1])
        if len(idx) < total:
            reasons.append(f"log covers {len(idx)} of {total} samples; an AccuracyOnly run covers all")
        report = AccuracyReport(
            workload=self.name,
            metric=self.metric,
            value=value,
            target=self.target,
            target_note=self.target_note,
            count=len(idx),
            total=total,
            good=good,
            reasons=reasons,
            source=str(log.path),
        )
        if out_dir is not None:
            report.write(out_dir)
        return report

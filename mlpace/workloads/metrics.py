"""Accuracy metrics: top-1 agreement and ROC AUC (scikit-learn's implementation)."""

from __future__ import annotations

import numpy as np


def top1(predicted: np.ndarray, labels: np.ndarray) -> tuple[float, int]:
    """Fraction (and count) of predictions equal to the labels."""
    good = int(np.count_nonzero(np.asarray(predicted) == np.asarray(labels)))
    return (good / len(labels) if len(labels) else float("nan")), good


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` (higher = anomalous); NaN if one class is missing."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, np.asarray(scores, dtype=np.float64)))

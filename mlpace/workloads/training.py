"""Seeded training helpers shared by the workloads (scikit-learn MLPs -> ONNX weights)."""

from __future__ import annotations

import warnings

import numpy as np


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(train_idx, test_idx)``, sorted, stratified by label, from ``seed``."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    train, test = train_test_split(idx, test_size=test_fraction, stratify=labels, random_state=seed)
    return np.sort(train), np.sort(test)


def fit_quietly(estimator, x, y):
    """Fit, silencing scikit-learn's ConvergenceWarning (the iteration cap is deliberate)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(x, y)


def classifier_layers(mlp) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights of a fitted ``MLPClassifier`` as logits layers (binary -> two logit columns)."""
    weights = [np.asarray(w, np.float32) for w in mlp.coefs_]
    biases = [np.asarray(b, np.float32) for b in mlp.intercepts_]
    if weights[-1].shape[1] == 1:  # logistic output: logit for class 1, 0 for class 0
        weights[-1] = np.hstack([np.zeros_like(weights[-1]), weights[-1]])
        biases[-1] = np.concatenate([np.zeros_like(biases[-1]), biases[-1]])
    return weights, biases

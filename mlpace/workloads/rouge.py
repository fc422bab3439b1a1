"""ROUGE-1, ROUGE-2 and ROUGE-L F-measures, as Google's ``rouge-score`` computes them.

Tokens: lowercase, every run of characters other than ``a-z0-9`` is a separator
(``rouge_score.tokenize`` without the stemmer). ROUGE-N: clipped n-gram overlap,
precision = overlap / prediction n-grams, recall = overlap / reference n-grams,
F = 2PR / (P + R), 0 when either side has no n-gram. ROUGE-L: longest common
subsequence of the token lists, same P/R/F. Scores are per pair; MLPerf's LLM
scripts report the mean x 100.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

_SEP = re.compile(r"[^a-z0-9]+")


def tokenize(text: str) -> list[str]:
    return [t for t in _SEP.split(text.lower()) if t]


def _f(overlap: int, n_pred: int, n_ref: int) -> float:
    if overlap == 0 or n_pred == 0 or n_ref == 0:
        return 0.0
    p, r = overlap / n_pred, overlap / n_ref
    return 2 * p * r / (p + r)


def rouge_n(pred: list[str], ref: list[str], n: int) -> float:
    a = Counter(tuple(pred[i : i + n]) for i in range(len(pred) - n + 1))
    b = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
    overlap = sum((a & b).values())
    return _f(overlap, sum(a.values()), sum(b.values()))


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence (dynamic programming, one row at a time)."""
    if not a or not b:
        return 0
    row = np.zeros(len(b) + 1, dtype=np.int64)
    for x in a:
        prev_diag = 0
        for j, y in enumerate(b, 1):
            keep = row[j]
            row[j] = prev_diag + 1 if x == y else max(row[j], row[j - 1])
            prev_diag = keep
    return int(row[-1])


def rouge_l(pred: list[str], ref: list[str]) -> float:
    return _f(lcs_length(pred, ref), len(pred), len(ref))


def scores(prediction: str, reference: str) -> dict[str, float]:
    """``{"rouge1", "rouge2", "rougeL"}`` F-measures (0..1) of one prediction."""
    p, r = tokenize(prediction), tokenize(reference)
    return {"rouge1": rouge_n(p, r, 1), "rouge2": rouge_n(p, r, 2), "rougeL": rouge_l(p, r)}


def mean_scores(predictions: list[str], references: list[str]) -> dict[str, float]:
    """Mean F-measure x 100 over the pairs, rounded to 4 places (MLPerf's reporting)."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    if not predictions:
        return {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    each = [scores(p, r) for p, r in zip(predictions, references)]
    return {k: round(100 * float(np.mean([s[k] for s in each])), 4) for k in ("rouge1", "rouge2", "rougeL")}

"""Confidence intervals for ``mlpace compare`` and ``mlpace run --repeat`` (numpy, fixed seeds).

- :func:`percentile_ratio_ci`: the ratio B/A of a latency percentile of two runs, with a
  block-bootstrap CI over each run's per-query records. Blocks are consecutive samples
  (in issue order), so bursts and drift inside a run widen the interval instead of being
  taken for independent samples. Each block is summarised by cumulative counts on the
  runs' distinct values (merged within 0.1%), and each of the 2000 resamples finds its
  quantile by a vectorised binary search over those counts.
- :func:`mean_ratio_ci`: the ratio of two means with a bootstrap over their values
  (per-window throughputs of one run, or the per-run values of repeats).
- :func:`t_interval`: mean and Student-t interval of N run values (``--repeat``).

- :func:`welch_ratio_ci`: the change of the mean of N per-run values (repeats), Welch's
  t-interval of the difference relative to A's mean (wide for small N, as it should be).

A change is *significant* when its whole CI lies beyond a noise floor ``±floor``
(:meth:`Change.significant`): within-run intervals cannot see run-to-run drift of the
machine, so ``mlpace compare`` sets a floor for them (see :mod:`mlpace.report.compare`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
SEED = 20260101
CONFIDENCE = 0.95
_BIN_RATIO = 1.001  # log-grid bin width: the bootstrap's resolution is 0.1%


@dataclass
class Change:
    """Change of B relative to A: ``ratio - 1`` with its CI (None when no CI can be given)."""

    a: float
    b: float
    ratio: float
    lo: float | None
    hi: float | None
    basis: str  # what the CI is of, in words

    @property
    def change(self) -> float:
        return self.ratio - 1.0

    @property
    def has_ci(self) -> bool:
        return self.lo is not None and self.hi is not None

    def significant(self, floor: float) -> bool:
        """The whole CI lies beyond ``±floor`` (with floor 0: the CI excludes no change)."""
        if not self.has_ci:
            return False
        return self.lo > 1.0 + floor or self.hi < 1.0 - floor


def _blocks(n: int, max_blocks: int = 50) -> np.ndarray:
    """Block id per sample: ~max_blocks consecutive blocks of >= 10 samples (1 sample each if few)."""
    if n < 100:
        return np.arange(n)
    k = min(max_blocks, n // 10)
    return (np.arange(n) * k) // n


def _bootstrap_quantile(values: np.ndarray, bins: np.ndarray, nbins: int, p: float, rng,
                        resamples: int) -> np.ndarray:
    """``resamples`` bootstrap replicates of the p-quantile (LoadGen rule: sorted[int(n*p)]),
    as bin indices; ``bins`` maps each value to its bin on the shared grid."""
    n = len(values)
    block = _blocks(n)
    k = int(block.max()) + 1
    counts = np.zeros((k, nbins), dtype=np.float64)
    np.add.at(counts, (block, bins), 1.0)
    cumc = np.cumsum(counts, axis=1)  # (blocks, bins): values <= each bin, per block
    picks = rng.integers(0, k, size=(resamples, k))
    flat = (picks + np.arange(resamples)[:, None] * k).ravel()
    weight = np.bincount(flat, minlength=resamples * k).reshape(resamples, k).astype(np.float64)
    rank = np.floor((weight * cumc[:, -1]).sum(axis=1) * p) + 1  # the (int(n*p)+1)-th smallest
    # binary search per resample for the first bin whose resampled count reaches the rank
    # (elementwise numpy only: no BLAS, which thrashes on a loaded machine)
    lo = np.zeros(resamples, dtype=np.int64)
    hi = np.full(resamples, nbins - 1, dtype=np.int64)
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        reached = (weight * cumc[:, mid].T).sum(axis=1) >= rank
        hi = np.where(reached, mid, hi)
        lo = np.where(reached, lo, mid + 1)
    return lo


def percentile_ratio_ci(a_ns: np.ndarray, b_ns: np.ndarray, p: float, *, resamples: int = RESAMPLES,
                        seed: int = SEED, confidence: float = CONFIDENCE) -> Change:
    """Ratio of the p-quantiles (B/A) of two runs' per-query latencies, with a block-bootstrap CI.

    Arrays are in issue order (blocks need the time order)."""
    a = np.asarray(a_ns, dtype=np.float64)
    b = np.asarray(b_ns, dtype=np.float64)
    qa = float(np.sort(a)[min(int(len(a) * p), len(a) - 1)])
    qb = float(np.sort(b)[min(int(len(b) * p), len(b) - 1)])
    # shared grid: the distinct values, merged where closer than 0.1% (at most ~10^4 bins)
    both = np.maximum(np.concatenate([a, b]), 1.0)
    keys = np.floor(np.log(both) / math.log(_BIN_RATIO)).astype(np.int64)
    uniq, inverse = np.unique(keys, return_inverse=True)
    rep = np.full(len(uniq), np.inf)
    np.minimum.at(rep, inverse, both)  # each bin stands for its smallest value
    rng = np.random.default_rng(seed)
    ra = rep[_bootstrap_quantile(a, inverse[:len(a)], len(uniq), p, rng, resamples)]
    rb = rep[_bootstrap_quantile(b, inverse[len(a):], len(uniq), p, rng, resamples)]
    ratios = rb / ra
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(ratios, [alpha, 1 - alpha])
    return Change(qa, qb, qb / qa if qa else math.nan, float(lo), float(hi),
                  f"block bootstrap of per-query latencies ({len(a):,} vs {len(b):,} samples)")


def mean_ratio_ci(a_vals, b_vals, basis: str, *, resamples: int = RESAMPLES, seed: int = SEED,
                  confidence: float = CONFIDENCE) -> Change:
    """Ratio of means (B/A) with a bootstrap CI over the values; no CI with fewer than 2 values a side."""
    a = np.asarray(a_vals, dtype=np.float64)
    b = np.asarray(b_vals, dtype=np.float64)
    ma, mb = float(a.mean()), float(b.mean())
    if len(a) < 2 or len(b) < 2 or ma == 0:
        return Change(ma, mb, mb / ma if ma else math.nan, None, None, basis)
    rng = np.random.default_rng(seed)
    ra = a[rng.integers(0, len(a), size=(resamples, len(a)))].mean(axis=1)
    rb = b[rng.integers(0, len(b), size=(resamples, len(b)))].mean(axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(rb / ra, [alpha, 1 - alpha])
    return Change(ma, mb, mb / ma, float(lo), float(hi), basis)


def welch_ratio_ci(a_vals, b_vals, basis: str, confidence: float = CONFIDENCE) -> Change:
    """Change of the mean (B/A) with Welch's t-interval of the difference, relative to A's mean."""
    a = np.asarray(a_vals, dtype=np.float64)
    b = np.asarray(b_vals, dtype=np.float64)
    ma, mb = float(a.mean()), float(b.mean())
    if len(a) < 2 or len(b) < 2 or ma == 0:
        return Change(ma, mb, mb / ma if ma else math.nan, None, None, basis)
    from scipy import stats

    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return Change(ma, mb, mb / ma, mb / ma, mb / ma, basis)
    df = (va + vb) ** 2 / ((va ** 2 / (len(a) - 1) if va else 0) + (vb ** 2 / (len(b) - 1) if vb else 0))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return Change(ma, mb, mb / ma, 1 + (mb - ma - half) / ma, 1 + (mb - ma + half) / ma, basis)


def window_throughputs(completions_s: np.ndarray, windows: int = 20) -> np.ndarray:
    """Completions per second in ``windows`` equal time windows between the first and last completion."""
    c = np.sort(np.asarray(completions_s, dtype=np.float64))
    if len(c) < 2 * windows or c[-1] <= c[0]:
        return np.zeros(0)
    edges = np.linspace(c[0], c[-1], windows + 1)
    counts, _ = np.histogram(c, bins=edges)
    return counts / np.diff(edges)


def t_interval(values, confidence: float = CONFIDENCE) -> tuple[float, float | None, float | None]:
    """(mean, lo, hi): Student-t interval of the mean of N values (no interval for N < 2)."""
    v = np.asarray(values, dtype=np.float64)
    mean = float(v.mean()) if len(v) else math.nan
    if len(v) < 2:
        return mean, None, None
    from scipy import stats

    half = float(stats.t.ppf(0.5 + confidence / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return mean, mean - half, mean + half

"""``mlpace.loadgen.binomial.cdf`` (the scipy-free early-stopping odds) against scipy's incomplete beta."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import betainc
from scipy.stats import binom

from mlpace.loadgen.binomial import cdf


def test_matches_scipy_over_the_early_stopping_range():
    rng = np.random.default_rng(7)
    worst = 0.0
    for i in range(1500):
        t = int(rng.integers(0, 40)) if i % 3 == 0 else int(rng.integers(0, 150_000))
        p = float(rng.choice([0.5, 0.9, 0.97, 0.99, 0.999]))
        h = int(rng.integers(1, 30 * t + 200))
        want = float(betainc(h, 1 + t, p))  # the form the official LoadGen evaluates
        got = cdf(t, h + t, 1.0 - p)
        if want > 1e-12:
            worst = max(worst, abs(got - want) / want)
        else:
            assert got < 1e-11
    assert worst < 1e-11, worst


@pytest.mark.parametrize("t, n, r", [(0, 1, 0.1), (0, 50, 0.01), (5, 5, 0.3), (49, 50, 0.99), (3, 1000, 0.5),
                                     (10_000, 100_000, 0.1), (9_000, 100_000, 0.1), (11_000, 100_000, 0.1)])
def test_edges_and_both_tails(t, n, r):
    assert cdf(t, n, r) == pytest.approx(float(binom.cdf(t, n, r)), rel=1e-12, abs=1e-300)


def test_out_of_range_counts():
    assert cdf(-1, 10, 0.5) == 0.0
    assert cdf(10, 10, 0.5) == 1.0 and cdf(12, 10, 0.5) == 1.0

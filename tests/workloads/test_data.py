"""Raw data loaders used by the workloads: shapes, labels, seeded determinism."""

import numpy as np

from mlpace.data import digits, lfw, vibration


def test_bundled_sets_have_the_documented_shapes():
    x, y = digits.load()
    assert x.shape == (1797, 8, 8) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert set(np.unique(y)) == set(range(10))
    x, y = lfw.load()
    assert x.shape == (200, 25, 25) and y[:100].all() and not y[100:].any()


def test_vibration_is_seeded_and_anomalies_differ_from_normal():
    a, la = vibration.generate(20, 10, seed=5)
    b, _ = vibration.generate(20, 10, seed=5)
    c, _ = vibration.generate(20, 10, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (30, vibration.CLIP_SAMPLES) and la.sum() == 10
    f = vibration.log_band_energies(a)
    assert f.shape == (30, 64) and np.isfinite(f).all()
    # faults add energy somewhere in the spectrum: mean band energy differs by class
    assert np.abs(f[la == 1].mean(0) - f[la == 0].mean(0)).max() > 0.1

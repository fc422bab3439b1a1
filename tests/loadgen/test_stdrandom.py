"""stdrandom's building blocks (the side-by-side proof is test_official_schedules.py).

The engine state must be std::mt19937's (the Mersenne Twister reference seeding, which
numpy's legacy ``RandomState`` also uses for a 32-bit seed), and an exponential gap must
truncate to the nanosecond count libm's ``log`` gives, even where numpy's vector ``log``
differs from libm in the last bit.
"""

from __future__ import annotations

import math

import numpy as np

from mlpace.loadgen import stdrandom


def test_engine_state_is_the_reference_seeding_of_the_low_32_bits():
    seed = 16159082839903944936  # mlperf.conf's schedule seed: C++ keeps seed mod 2**32
    key = stdrandom._init_genrand(seed % 2**32)
    np.testing.assert_array_equal(key, np.random.RandomState(seed % 2**32).get_state()[1])
    a, b = stdrandom.Stream(seed), stdrandom.Stream(seed % 2**32)
    np.testing.assert_array_equal(a.take(2000), b.take(2000))
    # 5489 is std::mt19937's default seed; its 10000th output is 4123659995 (C++ standard)
    assert int(stdrandom.Stream(5489).take(10_000)[-1]) == 4123659995


def test_exponential_gaps_truncate_as_with_libm_log():
    x = 1.0 - stdrandom.canonical(stdrandom.Stream(42), 20_000)
    differs = [j for j, v in enumerate(x.tolist()) if float(np.log(v)) != math.log(v)]
    assert differs, "numpy's log agrees with libm everywhere here: pick another seed"
    j = differs[0]
    # a rate that puts libm's gap on a whole nanosecond and numpy's just beside it
    k = 10**9
    rate = -math.log(x[j]) * 1e9 / k
    libm_ns = int((-math.log(x[j]) / rate) * 1e9)
    numpy_ns = int((-float(np.log(x[j])) / rate) * 1e9)
    if libm_ns == numpy_ns:  # nudge until the two truncate differently
        for step in range(1, 200):
            rate = math.nextafter(rate, math.inf if step % 2 else 0.0)
            libm_ns = int((-math.log(x[j]) / rate) * 1e9)
            numpy_ns = int((-float(np.log(x[j])) / rate) * 1e9)
            if libm_ns != numpy_ns:
                break
    assert libm_ns != numpy_ns  # the case the fix-up exists for
    gaps = stdrandom.seconds_to_ns(stdrandom.exponential(stdrandom.Stream(42), j + 1, rate))
    assert gaps[j] == libm_ns


def test_vectorised_swaps_equal_the_step_by_step_loop():
    rng = np.random.default_rng(7)
    for n in [2, 3, 5, 8, 100, 8193, 20_000]:
        for _ in range(3 if n > 1000 else 30):
            swap_with = np.array([0] + [int(rng.integers(0, k + 1)) for k in range(1, n)])
            expected = list(range(n))
            for k in range(1, n):
                p = swap_with[k]
                expected[k], expected[p] = expected[p], expected[k]
            assert stdrandom.apply_swaps(np.arange(n), swap_with).tolist() == expected, n

"""Seeded synthetic spoken-keyword set (a clearly labelled PROXY for Speech Commands v2).

Twelve classes in the MLPerf Tiny kws01 order: ten "keywords", silence and unknown. Each
keyword is a fixed sequence of two or three voiced segments whose pitch and formants glide
between targets (a crude formant synthesiser); speakers vary in pitch, vocal-tract
scale, speed, loudness, start time and background noise. Unknown clips are random
segment sequences that match no keyword; silence clips are background noise only.

Clips are float32, 16 kHz, 1 s. Everything comes from ``numpy.random.default_rng(seed)``.
This is not speech: scores on it are not comparable to MLPerf Tiny results.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE_HZ = 16000
CLIP_SAMPLES = 16000
LABELS = ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown")
SILENCE, UNKNOWN = 10, 11

# (F1, F2) targets in Hz of a few vowel-like segments; a keyword is a path through them.
_VOWELS = np.array(
    [[300, 2300], [400, 2000], [550, 1800], [700, 1200], [750, 1100], [500, 900], [350, 800], [300, 1000],
     [600, 1700], [450, 1500]], dtype=np.float64
)
_KEYWORDS = ((2, 4, 6), (8, 6), (1, 2), (3, 7), (4, 9), (5, 3), (9, 0, 1), (0, 5), (6, 4), (0, 2, 8))
_HARMONICS = 16


def generate(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(clips, labels)``: float32 ``(12 * n_per_class, 16000)``, int64 labels in LABELS order.

    Clips are ordered class by class; shuffle downstream if needed.
    """
    if n_per_class < 0:
        raise ValueError("n_per_class must be >= 0")
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(LABELS), dtype=np.int64), n_per_class)
    clips = np.empty((labels.size, CLIP_SAMPLES), dtype=np.float32)
    for i, label in enumerate(labels):
        clips[i] = _clip(rng, int(label))
    return clips, labels


def clip(label: int, seed) -> np.ndarray:
    """One float32 clip of class ``label`` drawn from ``default_rng(seed)`` (seed may be a list)."""
    if not 0 <= label < len(LABELS):
        raise ValueError(f"label must be in 0..{len(LABELS) - 1}")
    return _clip(np.random.default_rng(seed), int(label))


def _clip(rng: np.random.Generator, label: int) -> np.ndarray:
    noise = rng.normal(0.0, 1.0, CLIP_SAMPLES) * rng.uniform(0.005, 0.03)
    if label == SILENCE:
        return (noise * rng.uniform(0.5, 3.0)).astype(np.float32)
    if label == UNKNOWN:
        path = tuple(rng.choice(len(_VOWELS), rng.integers(2, 4), replace=False))
        while path in _KEYWORDS:
            path = tuple(rng.choice(len(_VOWELS), rng.integers(2, 4), replace=False))
    else:
        path = _KEYWORDS[label]
    duration = rng.uniform(0.45, 0.75)
    n = int(duration * SAMPLE_RATE_HZ)
    start = rng.integers(0, CLIP_SAMPLES - n)
    voice = _voice(rng, path, n)
    out = noise
    out[start : start + n] += voice * rng.uniform(0.3, 1.0)
    return out.astype(np.float32)


def _voice(rng: np.random.Generator, path: tuple, n: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    knots = np.linspace(0.0, 1.0, len(path))
    scale = rng.uniform(0.85, 1.2)  # vocal-tract length
    f1 = np.interp(t, knots, _VOWELS[list(path), 0] * scale)
    f2 = np.interp(t, knots, _VOWELS[list(path), 1] * scale)
    f0 = rng.uniform(90, 240) * (1.0 + 0.15 * np.sin(np.pi * t) * rng.uniform(-1, 1))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE_HZ
    k = np.arange(1, _HARMONICS + 1, dtype=np.float32)[:, None]
    step = 32  # formant envelopes change slowly: evaluate them every 2 ms and hold
    fk = k * f0[None, ::step]
    env = np.exp(-(((fk - f1[::step]) / 120.0) ** 2)) + 0.6 * np.exp(-(((fk - f2[::step]) / 180.0) ** 2))
    env = np.repeat((env * (fk < SAMPLE_RATE_HZ / 2)).astype(np.float32), step, axis=1)[:, :n]
    wave = np.einsum("kn,kn->n", env, np.sin(k * phase[None, :].astype(np.float32)))
    wave *= np.hanning(n) ** 0.5
    return wave / (np.abs(wave).max() + 1e-9)

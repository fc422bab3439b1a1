"""Seeded synthetic machine-vibration set (a stand-in for ToyADMOS / MIMII machine sounds).

Each clip is an accelerometer trace of a rotating machine: shaft harmonics, a gear-mesh
tone, a structural resonance excited by broadband noise, and sensor noise. Anomalous
clips carry one of three classic faults at a random severity:

* imbalance - a stronger 1x shaft harmonic;
* looseness - half-order sub-harmonics and extra higher harmonics;
* bearing   - periodic impulses at a bearing defect frequency ringing a high resonance.

Everything is drawn from ``numpy.random.default_rng(seed)``, so a seed gives the same
arrays on every machine. ``log_band_energies`` turns clips into the spectral features a
model consumes.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE_HZ = 4096
CLIP_SAMPLES = 2048
FAULTS = ("imbalance", "looseness", "bearing")


def generate(
    n_normal: int,
    n_anomalous: int,
    seed: int,
    *,
    sample_rate: int = SAMPLE_RATE_HZ,
    clip_samples: int = CLIP_SAMPLES,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(clips, labels)``: float32 ``(n, clip_samples)``, int64 labels (1 = anomalous).

    Normal clips come first, then anomalous ones; shuffle downstream if needed.
    """
    if n_normal < 0 or n_anomalous < 0:
        raise ValueError("clip counts must be >= 0")
    rng = np.random.default_rng(seed)
    n = n_normal + n_anomalous
    t = np.arange(clip_samples, dtype=np.float64) / sample_rate
    clips = np.empty((n, clip_samples), dtype=np.float32)
    labels = np.zeros(n, dtype=np.int64)
    labels[n_normal:] = 1
    for i in range(n):
        fault = FAULTS[rng.integers(len(FAULTS))] if labels[i] else None
        clips[i] = _clip(rng, t, sample_rate, fault)
    return clips, labels


def _clip(rng: np.random.Generator, t: np.ndarray, fs: int, fault: str | None) -> np.ndarray:
    shaft = rng.uniform(24.0, 30.0)  # running speed, Hz
    phase = lambda: rng.uniform(0, 2 * np.pi)  # noqa: E731
    amps = np.array([1.0, 0.5, 0.3, 0.15, 0.08]) * rng.uniform(0.85, 1.15, 5)
    severity = rng.uniform(0.1, 0.8)
    if fault == "imbalance":
        amps[0] *= 1.0 + 1.5 * severity
    x = sum(a * np.sin(2 * np.pi * (k + 1) * shaft * t + phase()) for k, a in enumerate(amps))
    x += 0.2 * rng.uniform(0.8, 1.2) * np.sin(2 * np.pi * 17 * shaft * t + phase())  # gear mesh
    if fault == "looseness":
        for order in (0.5, 1.5, 2.5, 6, 7, 8):
            x += 0.12 * severity * rng.uniform(0.5, 1.5) * np.sin(2 * np.pi * order * shaft * t + phase())
    noise = rng.normal(0.0, 1.0, t.size)
    x += 0.3 * _resonate(noise, fs, rng.uniform(900, 1100), 0.05)  # housing resonance
    x += 0.1 * rng.normal(0.0, 1.0, t.size)
    if fault == "bearing":
        x += _bearing_impulses(rng, t, fs, shaft, 0.8 * severity)
    return x.astype(np.float32)


def _resonate(signal: np.ndarray, fs: int, f0: float, damping: float) -> np.ndarray:
    """Filter ``signal`` through a damped second-order resonance at ``f0`` (FFT domain)."""
    freqs = np.fft.rfftfreq(signal.size, 1.0 / fs)
    r = freqs / f0
    response = 1.0 / np.sqrt((1 - r**2) ** 2 + (2 * damping * r) ** 2)
    out = np.fft.irfft(np.fft.rfft(signal) * response, n=signal.size)
    return out / (np.std(out) + 1e-12)


def _bearing_impulses(rng, t, fs, shaft, amplitude) -> np.ndarray:
    rate = shaft * rng.uniform(3.4, 3.7)  # outer-race defect frequency ~3.5x shaft
    ring_hz = rng.uniform(1500, 1800)
    out = np.zeros_like(t)
    decay = np.exp(-t[: fs // 50] * 600.0) * np.sin(2 * np.pi * ring_hz * t[: fs // 50])
    start = rng.uniform(0, 1.0 / rate)
    for onset in np.arange(start, t[-1], 1.0 / rate):
        i = int(onset * fs)
        seg = decay[: t.size - i]
        out[i : i + seg.size] += amplitude * rng.uniform(0.6, 1.4) * seg
    return out


def log_band_energies(clips: np.ndarray, n_bands: int = 64) -> np.ndarray:
    """Return float32 ``(n, n_bands)`` log10 energies of equal-width bands of each clip's spectrum."""
    clips = np.asarray(clips, dtype=np.float64)
    window = np.hanning(clips.shape[1])
    power = np.abs(np.fft.rfft(clips * window, axis=1)[:, 1:]) ** 2
    usable = (power.shape[1] // n_bands) * n_bands
    bands = power[:, :usable].reshape(len(clips), n_bands, -1).sum(axis=2)
    return np.log10(bands + 1e-6).astype(np.float32)

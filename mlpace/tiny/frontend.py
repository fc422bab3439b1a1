"""Tiny-specific input front ends: the exact tensors each benchmark's DUT receives.

* ic01: 32x32x3 uint8, HWC;  vww01: 96x96x3 uint8, HWC (images upsampled, grey to RGB);
* kws01: 49 frames x 10 MFCC, int8 (40 ms frames, 20 ms stride, 40 mel bands, 16 kHz);
* ad01: log-mel frames x 128 bins, float32 little-endian; the DUT sees 5-frame windows.
"""

from __future__ import annotations

import numpy as np

KWS_FRAME, KWS_STRIDE, KWS_NFFT, KWS_MELS, KWS_COEFFS = 640, 320, 1024, 40, 10
# Fixed int8 quantisation of the MFCC input (like a TFLite input tensor's scale / zero point).
KWS_SCALE, KWS_ZERO_POINT = 0.3, 0
AD_NFFT, AD_HOP, AD_MELS, AD_FRAMES = 1024, 128, 128, 5


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_mels: int, n_fft: int, fs: float, fmin: float, fmax: float) -> np.ndarray:
    """Triangular HTK-mel filters, ``(n_mels, n_fft // 2 + 1)``."""
    bins = np.fft.rfftfreq(n_fft, 1.0 / fs)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (bins[None, :] - lo) / (mid - lo)
    down = (hi - bins[None, :]) / (hi - mid)
    return np.clip(np.minimum(up, down), 0.0, None)


def power_frames(x: np.ndarray, frame: int, hop: int, n_fft: int) -> np.ndarray:
    """Hann-windowed power spectra of the frames of 1-D ``x``: ``(n_frames, n_fft // 2 + 1)``."""
    n = 1 + (len(x) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    frames = np.asarray(x, dtype=np.float64)[idx] * np.hanning(frame)
    return np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2


def mfcc_int8(clips: np.ndarray, fs: int = 16000) -> np.ndarray:
    """kws01 input: int8 ``(n, 49, 10)`` MFCCs of 1 s clips at 16 kHz."""
    fb = mel_filterbank(KWS_MELS, KWS_NFFT, fs, 20.0, 4000.0)
    out = []
    for clip in np.atleast_2d(clips):
        mel = power_frames(clip, KWS_FRAME, KWS_STRIDE, KWS_NFFT) @ fb.T
        from scipy.fft import dct  # mlpace[tiny]: only the keyword-spotting front end needs it

        coeffs = dct(np.log(mel + 1e-6), type=2, norm="ortho", axis=1)[:, :KWS_COEFFS]
        out.append(np.clip(np.round(coeffs / KWS_SCALE) + KWS_ZERO_POINT, -128, 127))
    return np.asarray(out, dtype=np.int8)


def log_mel(clips: np.ndarray, fs: int) -> np.ndarray:
    """ad01 front end: float32 ``(n, frames, 128)`` log-mel energies in dB."""
    fb = mel_filterbank(AD_MELS, AD_NFFT, fs, 0.0, fs / 2)
    out = [10.0 * np.log10(power_frames(c, AD_NFFT, AD_HOP, AD_NFFT) @ fb.T + 1e-10) for c in np.atleast_2d(clips)]
    return np.asarray(out, dtype=np.float32)


def images_to_uint8_rgb(images: np.ndarray, size: int) -> np.ndarray:
    """Grey images in [0, 1] → uint8 ``(n, size, size, 3)`` HWC, bilinear upsampling."""
    from skimage.transform import resize

    out = np.empty((len(images), size, size, 3), dtype=np.uint8)
    for i, img in enumerate(images):
        big = resize(np.asarray(img, dtype=np.float64), (size, size), order=1, mode="edge", anti_aliasing=False)
        out[i] = np.round(np.clip(big, 0.0, 1.0) * 255.0).astype(np.uint8)[:, :, None]
    return out

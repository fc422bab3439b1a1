"""The four MLPerf Tiny closed-division benchmarks: shapes, metrics, defaults and the
embeddable stand-in / proxy data that feeds them.

Each benchmark knows the exact DUT input (bytes per ``db`` payload), its outputs and
metric, the new runner's default N/W, and the reference model's MAC count (drives the
simulated device's cost model). ``accuracy_samples`` and ``training_arrays`` build the
data sets from bundled or seeded sources; nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlpace.errors import ConfigError
from mlpace.tiny import frontend


@dataclass(frozen=True)
class TinyBenchmark:
    name: str  # short name used in the results tree: ic, vww, kws, ad
    model_id: str  # what the DUT reports in m-model-[...]
    task: str
    input_bytes: int  # one db payload
    input_dtype: str  # numpy dtype of the payload
    n_outputs: int
    metric: str  # "top1" or "auc"
    default_n: int  # tests_performance.yaml defaults (N inferences, W warmups)
    default_w: int
    macs: float  # reference model MACs per inference (unconfirmed figures)
    official_files: int
    data_note: str  # what the stand-in data is; printed with every result
    window_bytes: int | None = None  # ad01: sliding window over a file
    stride_bytes: int | None = None

    @property
    def is_proxy(self) -> bool:
        return True  # every embeddable set differs from the official one


BENCHMARKS: dict[str, TinyBenchmark] = {
    b.name: b
    for b in (
        TinyBenchmark(
            "ic", "ic01", "image classification", 32 * 32 * 3, "uint8", 10, "top1", 20, 5, 12.5e6, 200,
            "stand-in data: scikit-learn digits upsampled to 32x32x3 (not CIFAR-10)",
        ),
        TinyBenchmark(
            "vww", "vww01", "visual wake words", 96 * 96 * 3, "uint8", 2, "top1", 20, 5, 7.5e6, 1000,
            "stand-in data: scikit-image lfw_subset faces vs non-faces upsampled to 96x96x3 (not COCO VWW)",
        ),
        TinyBenchmark(
            "kws", "kws01", "keyword spotting", 49 * 10, "int8", 12, "top1", 70, 10, 2.7e6, 1000,
            "PROXY data: seeded synthetic keywords through a real MFCC front end (not Speech Commands)",
        ),
        TinyBenchmark(
            "ad", "ad01", "anomaly detection", frontend.AD_FRAMES * frontend.AD_MELS * 4, "float32", 1, "auc",
            1500, 10, 0.264e6, 248,
            "PROXY data: seeded synthetic machine vibration through a real log-mel front end (not ToyADMOS)",
            window_bytes=frontend.AD_FRAMES * frontend.AD_MELS * 4, stride_bytes=frontend.AD_MELS * 4,
        ),
    )
}
ALIASES = {b.model_id: b.name for b in BENCHMARKS.values()}
NOT_COMPARABLE = "scores on this data are not comparable to MLPerf Tiny results"


def get(name: str) -> TinyBenchmark:
    """Look a benchmark up by short name (``ic``) or model id (``ic01``)."""
    key = ALIASES.get(name, name)
    if key not in BENCHMARKS:
        allowed = ", ".join(sorted(BENCHMARKS) + sorted(ALIASES))
        raise ConfigError(f"unknown tiny benchmark {name!r}; allowed: {allowed}")
    return BENCHMARKS[key]


@dataclass(frozen=True)
class Sample:
    """One accuracy-set file: its name, raw DUT bytes (a whole clip for ad01) and label."""

    name: str
    data: bytes
    label: int


# -- data sets ---------------------------------------------------------------------------
ACCURACY_SEED, TRAINING_SEED = 20250101, 20250102


def accuracy_samples(bench: TinyBenchmark, limit: int | None = None) -> list[Sample]:
    """The benchmark's accuracy set built from embeddable data (deterministic).

    File i does not depend on ``limit``: the first ``limit`` files equal the full set's.
    """
    x, y = _arrays(bench, training=False, limit=limit)
    width = len(str(bench.official_files))
    return [Sample(f"{bench.name}_{i:0{width}d}_c{int(lab)}.bin", _to_bytes(bench, xi), int(lab))
            for i, (xi, lab) in enumerate(zip(x, y))]


def training_arrays(bench: TinyBenchmark) -> tuple[np.ndarray, np.ndarray]:
    """Training inputs as the DUT sees them (one row per file or ad01 window) and labels."""
    x, y = _arrays(bench, training=True)
    if bench.name == "ad":
        x = np.concatenate([ad_windows(xi) for xi in x[y == 0]])  # normal clips only
        y = np.zeros(len(x), dtype=np.int64)
    return x, y


def ad_windows(frames: np.ndarray) -> np.ndarray:
    """All 5-frame windows of a ``(frames, 128)`` log-mel clip, sliding by one frame."""
    n = frames.shape[0] - frontend.AD_FRAMES + 1
    return np.stack([frames[i : i + frontend.AD_FRAMES] for i in range(n)])


def _to_bytes(bench: TinyBenchmark, x: np.ndarray) -> bytes:
    return np.ascontiguousarray(x, dtype=np.dtype(bench.input_dtype).newbyteorder("<")).tobytes()


def _arrays(bench: TinyBenchmark, training: bool, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    if bench.name in ("kws", "ad"):
        return {"kws": _kws, "ad": _ad}[bench.name](training, limit)
    x, y = {"ic": _ic, "vww": _vww}[bench.name](training)
    return (x[:limit], y[:limit]) if limit else (x, y)


def _ic(training: bool):
    from mlpace.data import digits

    images, labels = digits.load()
    rng = np.random.default_rng(ACCURACY_SEED)
    test = np.concatenate([rng.choice(np.flatnonzero(labels == c), 20, replace=False) for c in range(10)])
    test = test[rng.permutation(len(test))]
    idx = np.setdiff1d(np.arange(len(labels)), test)[::2] if training else test  # 800 training images
    return frontend.images_to_uint8_rgb(images[idx], 32), labels[idx]


def _vww(training: bool):
    from mlpace.data import lfw

    images, labels = lfw.load()
    rng = np.random.default_rng(ACCURACY_SEED)
    test = np.concatenate([rng.choice(np.flatnonzero(labels == c), 50, replace=False) for c in (0, 1)])
    test = test[rng.permutation(len(test))]
    if not training:
        return frontend.images_to_uint8_rgb(images[test], 96), labels[test]
    train = np.setdiff1d(np.arange(len(labels)), test)
    x, y = images[train], labels[train]
    extra = _background_patches(np.random.default_rng(TRAINING_SEED), 100, x.shape[1])
    x = np.concatenate([x, x[:, :, ::-1], extra])  # + mirrored copies + extra negatives
    y = np.concatenate([y, y, np.zeros(len(extra), dtype=np.int64)])
    return frontend.images_to_uint8_rgb(x, 96), y


def _background_patches(rng, n: int, size: int) -> np.ndarray:
    """Grey patches of other bundled scikit-image pictures: extra "no person" examples."""
    from skimage import color, data
    from skimage.transform import resize

    sources = [data.coffee(), data.rocket(), data.chelsea(), data.hubble_deep_field(), data.immunohistochemistry()]
    grey = [color.rgb2gray(s) for s in sources]
    out = np.empty((n, size, size), dtype=np.float32)
    for i in range(n):
        img = grey[i % len(grey)]
        side = int(rng.integers(min(img.shape) // 6, min(img.shape) // 2))
        r, c = rng.integers(0, img.shape[0] - side), rng.integers(0, img.shape[1] - side)
        out[i] = resize(img[r : r + side, c : c + side], (size, size), anti_aliasing=True)
    return out


def _kws(training: bool, limit: int | None):
    from mlpace.data import keywords

    if training:
        clips, labels = keywords.generate(40, TRAINING_SEED)
    else:
        labels = np.random.default_rng(ACCURACY_SEED).integers(0, len(keywords.LABELS), 1000)[:limit]
        clips = np.stack([keywords.clip(int(lab), [ACCURACY_SEED, i]) for i, lab in enumerate(labels)])
    return frontend.mfcc_int8(clips, keywords.SAMPLE_RATE_HZ), labels


def _ad(training: bool, limit: int | None):
    from mlpace.data import vibration

    if training:
        clips, labels = vibration.generate(150, 0, TRAINING_SEED)
    else:  # 140 normal and 108 anomalous files, as in the official set, in a seeded order
        labels = np.random.default_rng(ACCURACY_SEED).permutation(np.repeat([0, 1], [140, 108]))[:limit]
        clips = np.concatenate([vibration.generate(1 - int(lab), int(lab), ACCURACY_SEED + i)[0]
                                for i, lab in enumerate(labels)])
    return frontend.log_mel(clips, vibration.SAMPLE_RATE_HZ), labels


def decode_input(bench: TinyBenchmark, data: bytes) -> np.ndarray:
    """The float32 model input row for one DUT payload (what th_load_tensor hands the model)."""
    arr = np.frombuffer(data, dtype=np.dtype(bench.input_dtype).newbyteorder("<"))
    if arr.size * arr.itemsize != bench.input_bytes:
        raise ValueError(f"{bench.model_id} expects {bench.input_bytes} bytes, got {len(data)}")
    x = arr.astype(np.float32)
    if bench.input_dtype == "uint8":
        x = x / 255.0
    elif bench.input_dtype == "int8":
        x = x / 128.0
    return x.reshape(1, -1)

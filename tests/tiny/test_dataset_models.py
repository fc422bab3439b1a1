"""Official file layout of the accuracy sets, input shapes, and the model cache."""

import csv

import numpy as np
import pytest

from mlpace.errors import ConfigError, DataError
from mlpace.tiny import benchmarks, dataset, frontend


def test_official_input_sizes():
    sizes = {b.model_id: b.input_bytes for b in benchmarks.BENCHMARKS.values()}
    assert sizes == {"ic01": 3072, "vww01": 27648, "kws01": 490, "ad01": 2560}
    assert benchmarks.get("ic01").name == "ic"
    with pytest.raises(ConfigError, match="allowed: ad, ic, kws, vww"):
        benchmarks.get("resnet")


def test_ic_samples_are_hwc_uint8_and_stratified():
    bench = benchmarks.get("ic")
    samples = benchmarks.accuracy_samples(bench)
    assert len(samples) == 200 and {len(s.data) for s in samples} == {3072}
    assert np.bincount([s.label for s in samples]).tolist() == [20] * 10
    img = np.frombuffer(samples[0].data, np.uint8).reshape(32, 32, 3)
    assert (img[..., 0] == img[..., 2]).all() and img.max() > 200  # grey replicated into RGB, HWC order


def test_mfcc_and_log_mel_shapes():
    from mlpace.data import keywords, vibration

    clips, _ = keywords.generate(1, seed=0)
    assert frontend.mfcc_int8(clips[:2]).shape == (2, 49, 10)
    assert frontend.mfcc_int8(clips[:2]).dtype == np.int8
    vib, _ = vibration.generate(1, 1, seed=0)
    mel = frontend.log_mel(vib, vibration.SAMPLE_RATE_HZ)
    assert mel.shape[2] == 128 and mel.dtype == np.float32
    assert benchmarks.ad_windows(mel[0]).shape[1:] == (5, 128)


def test_write_read_round_trip_with_official_csv(tmp_path):
    ad = benchmarks.get("ad")
    clip = np.arange(9 * 128, dtype="<f4").tobytes()
    folder = dataset.write_dataset(ad, [benchmarks.Sample("a.bin", clip, 1)], tmp_path / "ad")
    rows = list(csv.reader((folder / "y_labels.csv").open()))
    assert rows == [["a.bin", "2", "1", "2560", "512"]]
    back = dataset.read_dataset(ad, folder)
    assert back[0].data == clip
    windows = dataset.windows_of(ad, back[0])
    assert len(windows) == 5 and windows[1] == clip[512 : 512 + 2560]

    ic = benchmarks.get("ic")
    folder = dataset.write_dataset(ic, [benchmarks.Sample("x.bin", bytes(3072), 7)], tmp_path / "ic")
    assert list(csv.reader((folder / "y_labels.csv").open())) == [["x.bin", "10", "7"]]


def test_bad_dataset_is_a_data_error(tmp_path):
    ic = benchmarks.get("ic")
    with pytest.raises(DataError, match="no y_labels.csv"):
        dataset.read_dataset(ic, tmp_path)
    (tmp_path / "y_labels.csv").write_text("short.bin, 10, 3\n")
    (tmp_path / "short.bin").write_bytes(bytes(100))
    with pytest.raises(DataError, match="inputs are 3072 bytes, file has 100"):
        dataset.read_dataset(ic, tmp_path)


def test_model_is_cached_by_code_hash():
    from mlpace.tiny import models

    bench = benchmarks.get("ad")
    path = models.ensure_model(bench)
    stamp = path.stat().st_mtime_ns
    assert models.ensure_model(bench) == path and path.stat().st_mtime_ns == stamp
    assert models.code_hash(bench) in path.name
    out = models.TinyModel(bench)(bytes(2560))
    assert out.shape == (1,) and out[0] > 0

"""RCP statistics and check: against scipy computed independently, and against the official checker."""

import io
import json
import logging

import numpy as np
import pytest
import scipy.stats

from mlpace.training import rcp
from mlpace.training.check import check_benchmark_folder

from .handmade import write_log

RUNS = 5
REF = {  # hand-made reference points (epochs to converge) at three batch sizes
    "digits_cnn_ref_16": {"Benchmark": "digits_cnn", "Creator": "t", "When": "t", "Platform": "t", "Precision": "fp32",
                          "BS": 16, "Hyperparams": {}, "Epochs to converge": [6, 7, 7, 8, 8, 8, 9, 9, 10, 12]},
    "digits_cnn_ref_32": {"Benchmark": "digits_cnn", "Creator": "t", "When": "t", "Platform": "t", "Precision": "fp32",
                          "BS": 32, "Hyperparams": {}, "Epochs to converge": [8, 9, 10, 10, 11, 11, 12, 13, 14, 16]},
    "digits_cnn_ref_64": {"Benchmark": "digits_cnn", "Creator": "t", "When": "t", "Platform": "t", "Precision": "fp32",
                          "BS": 64, "Hyperparams": {}, "Epochs to converge": [14, 15, 15, 16, 17, 18, 18, 19, 20, 22]},
}


def closed_form_min_mean(mean, std, n_a, n_b, alpha=0.05):
    """Where the one-sided pooled t-test's p equals alpha: mean + t_alpha * s * sqrt(1/n_a + 1/n_b)."""
    t_alpha = scipy.stats.t.ppf(alpha, n_a + n_b - 2)
    return mean + t_alpha * std * np.sqrt(1 / n_a + 1 / n_b)


@pytest.mark.parametrize("mean,std,n_ref,n_subm", [(10.0, 2.0, 8, 3), (3178.67, 300.0, 18, 8), (50.0, 0.5, 38, 38)])
def test_min_acceptable_mean_matches_closed_form(mean, std, n_ref, n_subm):
    got = rcp.min_acceptable_mean(mean, std, n_ref, n_subm)
    assert got == pytest.approx(closed_form_min_mean(mean, std, n_ref, n_subm), abs=2e-4)
    # and at that mean the one-sided p-value is alpha
    t, p = scipy.stats.ttest_ind_from_stats(got, std, n_ref, mean, std, n_subm, equal_var=True)
    assert t < 0 and p / 2 == pytest.approx(0.05, abs=1e-4)


def test_zero_stdev_means_no_speedup():
    assert rcp.min_acceptable_mean(12.0, 0.0, 8, 3) == 12.0


def test_record_statistics_independently():
    pts = REF["digits_cnn_ref_32"]["Epochs to converge"]
    rec = rcp.make_record("r", "digits_cnn", 32, pts, RUNS)
    s = sorted(pts)
    assert rec.mean == pytest.approx(sum(s[1:-1]) / 8)
    assert rec.stdev == pytest.approx(np.sqrt(np.mean((np.array(pts) - np.mean(pts)) ** 2)))
    assert rec.min_epochs == pytest.approx(closed_form_min_mean(rec.mean, rec.stdev, 8, RUNS - 2), abs=2e-4)


def _official_checker(tmp_path, ref=REF):
    from mlperf_logging.rcp_checker import rcp_checker as off

    off.submission_runs["training"]["digits_cnn"] = RUNS
    return off.RCP_Checker("training", "6.0.0", "digits_cnn", False, io.StringIO(json.dumps(ref)))


def test_statistics_and_pruning_match_official(tmp_path):
    official = _official_checker(tmp_path)
    mine = rcp.load_rcps(_write(tmp_path / "r.json", REF), RUNS)
    for rec in mine:
        o = official.rcp_data[rec.name]
        assert rec.mean == pytest.approx(o["RCP Mean"]) and rec.stdev == pytest.approx(o["RCP Stdev"])
        assert rec.min_epochs == pytest.approx(o["Min Epochs"]) and rec.max_speedup == pytest.approx(o["Max Speedup"])
    assert [r.name for r in rcp.prune(mine, RUNS)] == list(official.pruned_rcp_data)


def test_pruning_drops_a_slow_middle_point():
    recs = [rcp.make_record(f"r{bs}", "x", bs, pts, RUNS) for bs, pts in
            ((16, [10] * 5 + [11] * 5), (32, [30] * 5 + [31] * 5), (64, [20] * 5 + [21] * 5))]
    assert [r.bs for r in rcp.prune(recs, RUNS)] == [16, 64]
    # everything below the fastest-converging batch size goes too
    recs2 = [rcp.make_record("a", "x", 8, [20] * 10, RUNS), rcp.make_record("b", "x", 16, [10, 11] * 5, RUNS)]
    assert [r.bs for r in rcp.prune(recs2, RUNS)] == [16]


def test_interpolation_between_batch_sizes(tmp_path):
    mine = rcp.load_rcps(_write(tmp_path / "r.json", REF), RUNS)
    lo, hi = mine[0], mine[1]
    rec = rcp.interpolate(24, lo, hi, RUNS)
    assert rec.mean == pytest.approx((lo.mean + hi.mean) / 2)
    assert rec.stdev == pytest.approx((lo.stdev + hi.stdev) / 2)
    official = _official_checker(tmp_path)
    _, o = official._create_interp_rcp(24, official.rcp_data[lo.name], official.rcp_data[hi.name])
    assert rec.min_epochs == pytest.approx(o["Min Epochs"])


def _write(path, obj):
    path.write_text(json.dumps(obj))
    return path


def _subm_folder(tmp_path, name, epochs, bs):
    folder = tmp_path / name
    for i, e in enumerate(epochs):
        write_log(folder / f"result_{i}.txt", conv_epoch=e if e else 40, bs=bs, seed=i + 1,
                  status="success" if e else "aborted", metric=0.97 if e else 0.5, ttt_ms=1000 * (e or 40))
    return folder


CASES = [  # (batch size, epochs per run (None = not converged), expected message)
    (32, [11, 11, 12, 12, 13], "RCP found"),            # close to the mean: pass, no scaling
    (32, [9, 10, 10, 10, 11], "RCP found"),             # faster, within the speedup: pass, normalised
    (32, [5, 5, 6, 6, 6], "RCP found"),                 # far faster: fail
    (24, [10, 11, 11, 12, 12], "RCP Interpolation"),
    (24, [4, 4, 5, 5, 5], "RCP Interpolation"),
    (128, [20, 20, 21, 21, 22], "Missing RCP, please submit RCP with BS = 128"),
    (8, [11, 12, 12, 13, 13], "RCP not found but slower convergence on smaller batch size"),
    (32, [11, None, 12, None, 13], "Insufficient convergence"),
    (32, [11, None, 12, 12, 13], "RCP found"),
]


@pytest.mark.parametrize("bs,epochs,message", CASES)
def test_verdicts_match_official_check_directory(tmp_path, bs, epochs, message):
    from mlperf_logging.rcp_checker import rcp_checker as off

    off.submission_runs["training"]["digits_cnn"] = RUNS
    ref_path = _write(tmp_path / "rcps.json", REF)
    folder = _subm_folder(tmp_path, "subm", epochs, bs)
    logging.disable(logging.CRITICAL)
    try:
        with open(ref_path) as f:
            o_pass, o_msg, o_norm = off.check_directory(str(folder), "training", "6.0.0", False, False, rcp_file=f,
                                                        rcp_pass="pruned_rcps")
    finally:
        logging.disable(logging.NOTSET)
    records = rcp.load_rcps(ref_path, RUNS)
    mine = rcp.check_rcp(records, bs, epochs, RUNS)
    assert mine.message.startswith(message) and o_msg.startswith(message)
    assert mine.passed == o_pass
    assert mine.norm_factor == pytest.approx(o_norm)


def test_folder_check_writes_scaling_only_for_fast_passes(tmp_path):
    ref_path = _write(tmp_path / "rcps.json", REF)
    fast = _subm_folder(tmp_path, "fast", [9, 10, 10, 10, 11], 32)
    rep = check_benchmark_folder(fast, rcp_file=ref_path)
    assert rep.rcp.passed and rep.rcp.norm_factor > 1
    assert json.loads((fast / "scaling.json").read_text())["scaling_factor"] == pytest.approx(rep.rcp.norm_factor)
    assert rep.score_minutes == pytest.approx(rep.score.value * rep.rcp.norm_factor)
    too_fast = _subm_folder(tmp_path, "too_fast", [5, 5, 6, 6, 6], 32)
    (too_fast / "scaling.json").write_text('{"scaling_factor": 3.0}')  # stale: cleared by the check
    rep = check_benchmark_folder(too_fast, rcp_file=ref_path)
    assert not rep.rcp.passed and not (too_fast / "scaling.json").exists()
    assert any("RCP test FAILED" in p for p in rep.problems)

"""Olympic scoring and the failed-run rule, on hand-made logs."""

import math

import pytest

from mlpace.training.logfile import read_run_log, result_files
from mlpace.training.scoring import ms_to_minutes, olympic_score, read_scaling, write_scaling

from .handmade import write_log


def _folder(tmp_path, seconds, statuses=None):
    statuses = statuses or ["success"] * len(seconds)
    for i, (s, st) in enumerate(zip(seconds, statuses)):
        write_log(tmp_path / f"result_{i}.txt", ttt_ms=int(s * 1000), status=st, seed=i + 1)
    return [read_run_log(p) for p in result_files(tmp_path)]


def _times(runs):
    return [ms_to_minutes(r.time_to_train_ms) if r.converged else None for r in runs]


def test_spec_example_in_minutes(tmp_path):
    # 10 runs: after dropping 100 s and 900 s, four of 520 s and four of 585 s remain -> 552.5 s
    runs = _folder(tmp_path, [100, 520, 520, 520, 520, 585, 585, 585, 585, 900])
    score = olympic_score(_times(runs))
    assert score.valid and len(score.counted) == 8
    assert round(score.value, 4) == 9.2083
    assert score.value == pytest.approx(552.5 / 60)


def test_fastest_and_slowest_dropped(tmp_path):
    runs = _folder(tmp_path, [30, 10, 20, 50, 40])
    score = olympic_score(_times(runs))
    assert score.counted == pytest.approx((20 / 60, 30 / 60, 40 / 60))
    assert score.value == pytest.approx(0.5)


def test_one_failed_run_counts_as_slowest(tmp_path):
    runs = _folder(tmp_path, [30, 10, 20, 50, 40], ["success", "success", "aborted", "success", "success"])
    assert [r.converged for r in runs] == [True, True, False, True, True]
    score = olympic_score(_times(runs))
    # the aborted run is the dropped slow one; fastest (10) dropped; 30, 40, 50 remain
    assert score.valid and score.failed == 1
    assert score.counted == pytest.approx((30 / 60, 40 / 60, 50 / 60))


def test_two_failed_runs_make_the_set_invalid(tmp_path):
    runs = _folder(tmp_path, [30, 10, 20, 50, 40], ["success", "aborted", "aborted", "success", "success"])
    score = olympic_score(_times(runs))
    assert not score.valid and score.value is None
    assert "2 runs did not converge" in score.reason


def test_unet3d_drops_four_each_end():
    times = list(range(1, 41))
    score = olympic_score(times, drop=4)
    assert score.counted == tuple(float(t) for t in range(5, 37))


def test_missing_run_stop_is_not_converged(tmp_path):
    write_log(tmp_path / "result_0.txt", drop_keys=("run_stop",))
    run = read_run_log(tmp_path / "result_0.txt")
    assert not run.converged and run.time_to_train_ms is None


def test_scaling_file_round_trip(tmp_path):
    assert read_scaling(tmp_path) == 1.0
    write_scaling(tmp_path, 1.25)
    assert read_scaling(tmp_path) == 1.25
    write_scaling(tmp_path, None)
    assert read_scaling(tmp_path) == 1.0


def test_nan_and_inf_count_as_failures():
    assert olympic_score([1.0, float("nan"), float("inf"), 2.0, 3.0]).valid is False
    assert math.isclose(olympic_score([1.0, float("inf"), 2.0, 3.0]).value, 2.5)

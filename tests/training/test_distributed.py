"""Data-parallel runs: 2 processes under torchrun (gloo), logged once, same global batch."""

import json
import subprocess
import sys
from collections import Counter

from mlpace.training import compliance
from mlpace.training.benchmarks import get_benchmark
from mlpace.training.logfile import read_run_log


def _evals(path):
    return [json.loads(ln.split(":::MLLOG ", 1)[1])["value"] for ln in path.read_text().splitlines()
            if '"key": "eval_accuracy"' in ln]


def test_two_process_run_matches_one_process(digits_set, tmp_path):
    layout, _ = digits_set  # its run 0 used seed 2 on one process
    out = tmp_path / "org"
    proc = subprocess.run([sys.executable, "-c", "from mlpace.cli import main; main()", "train", "digits_cnn",
                           "--nproc", "2", "--runs", "1", "--seed", "2", "--out", str(out), "--system", "cpu2",
                           "--no-check"], capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    log_path = out / "results" / "cpu2" / "digits_cnn" / "result_0.txt"
    keys = Counter(json.loads(ln.split(":::MLLOG ", 1)[1])["key"] for ln in log_path.read_text().splitlines())
    # rank 0 alone logs: one of each run-level event
    for key in ("run_start", "run_stop", "init_stop", "global_batch_size", "train_samples", "submission_benchmark"):
        assert keys[key] == 1, key
    log = read_run_log(log_path)
    assert log.global_batch_size == 32 and log.converged
    # the same seeded global batches, gradients averaged over 2 ranks: the same trajectory
    single = _evals(layout.result_path(0))
    double = _evals(log_path)
    assert len(double) == len(single)
    assert max(abs(a - b) for a, b in zip(single, double)) <= 2 / 360
    common = compliance.materialise_rules([get_benchmark("digits_cnn").config], tmp_path / "rules",
                                          [compliance.RULES_DIR])
    assert compliance.check_file(log_path, common).passed
    system = json.loads((out / "systems" / "cpu2.json").read_text())
    assert "2 training process(es) per node" in system["hw_notes"]


def test_batch_must_split_over_processes(tmp_path, capsys):
    from mlpace.cli import main

    code = main(["train", "digits_cnn", "--nproc", "3", "--runs", "1", "--out", str(tmp_path / "o"), "--no-check"])
    assert code == 2
    assert "global_batch_size 32 does not split over 3 processes" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()

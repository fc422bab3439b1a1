"""The ``mlpace train`` commands: check on another tool's folder, failures explained, Ctrl-C."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlpace.cli import main
from mlpace.training.logfile import read_run_log

from .handmade import write_log

LORA_HYPER = {"global_batch_size": 8, "opt_base_learning_rate": 4e-4, "opt_learning_rate_training_steps": 800,
              "opt_gradient_clip_norm": 0.3, "opt_adamw_weight_decay": 1e-4, "gradient_accumulation_steps": 1,
              "lora_alpha": 32, "lora_rank": 16}


def _lora_folder(root: Path, samples, statuses=None, drop=None):
    """An official-benchmark folder as another tool writes it: llama2_70b_lora, BS 8, samples_count evals."""
    folder = root / "results" / "other_sys" / "llama2_70b_lora"
    statuses = statuses or ["success"] * len(samples)
    for i, (n, st) in enumerate(zip(samples, statuses)):
        write_log(folder / f"result_{i}.txt", benchmark="llama2_70b_lora", unit="samples_count", conv_epoch=n // 1000,
                  metric=0.92 if st == "success" else 0.95, others=1.5, status=st, seed=100 + i, hyper=LORA_HYPER,
                  ttt_ms=600_000 + 10_000 * i, drop_keys=drop.get(i, ()) if drop else ())
    return folder


def test_check_passes_a_folder_from_another_tool(tmp_path, capsys):
    folder = _lora_folder(tmp_path, [3000, 3000, 4000, 4000, 3000, 4000, 3000, 4000, 3000, 4000])
    code = main(["train", "check", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "RCP: PASS - RCP found" in out and "set valid" in out
    # olympic mean of ten runs 600..690 s: drop 600 and 690 -> mean 645 s
    assert "Score: 10.750000 min" in out
    assert (folder / "scaling.json").exists() == ("scaled by" in out)


def test_check_explains_every_failure(tmp_path, capsys):
    _lora_folder(tmp_path, [3000] * 9, statuses=["success"] * 7 + ["aborted"] * 2, drop={0: ("lora_rank",)})
    code = main(["train", "check", str(tmp_path)])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 1  # a set that is not valid is an INVALID result
    assert "result_0.txt: compliance FAILED" in out and "'lora_rank'" in out
    assert "result_7.txt: compliance FAILED (run_stop status aborted: the run did not reach the target)" in out
    assert "Failed checks for eval_accuracy" in out
    assert "9 result files, but llama2_70b_lora requires at least 10 runs" in out
    assert "Insufficient convergence" in out
    assert "no score: 3 runs did not converge" in out  # 2 aborted + 1 non-compliant
    assert "set NOT valid" in out


def test_check_unknown_benchmark_says_what_to_do(tmp_path, capsys):
    write_log(tmp_path / "result_0.txt", benchmark="mystery")
    assert main(["train", "check", str(tmp_path)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "unknown benchmark 'mystery'" in out and "--benchmark module:attr" in out


def test_check_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["train", "check", str(tmp_path / "nope")]) == 2
    assert "path not found" in capsys.readouterr().err


def test_ctrl_c_keeps_finished_results(tmp_path):
    out = tmp_path / "org"
    bench_dir = out / "results" / "cpu" / "digits_cnn"
    proc = subprocess.Popen([sys.executable, "-c", "from mlpace.cli import main; main()", "train", "digits_cnn",
                             "--runs", "5", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 240
    while time.time() < deadline and not (bench_dir / "result_0.txt").exists():
        time.sleep(0.2)
    assert (bench_dir / "result_0.txt").exists(), "first run never finished"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    finished = sorted(p.name for p in bench_dir.glob("result_*.txt"))
    assert finished and finished[0] == "result_0.txt"
    for name in finished:  # every kept result is a complete run
        assert read_run_log(bench_dir / name).status in ("success", "aborted")
    assert not list(bench_dir.glob("*.partial"))
    assert json.loads((out / "systems" / "cpu.json").read_text())["system_name"] == "cpu"

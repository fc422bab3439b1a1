"""The training defects of issue 11, each with the behaviour that replaced it.

Rich markup in error texts, exit codes of sets that are not valid, ``--runs`` above the
required count, an open-division target, ``run_stop`` before ``run_start``, a loop that fails
before ``run_start``, and ``--nproc 2``: a loop that floods stderr and prints on stdout, SIGTERM
to ``mlpace`` forwarded to every worker with none left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlpace.cli import main
from mlpace.training.benchmarks import get_benchmark
from mlpace.training.check import check_benchmark_folder
from mlpace.training.logfile import read_run_log

sys.path.insert(0, str(Path(__file__).parent.parent / "training"))
from handmade import line, write_log  # noqa: E402 - the training tests' hand-made mllog writer

BENCH = '''
import os, sys, time
from mlpace.training import Benchmark, DataInfo, validate_config

MODE = os.environ.get("LOOP_MODE", "ok")


class Loop:
    def __init__(self, cfg):
        self.cfg = cfg

    def init(self, ctx):
        if MODE == "broken":
            raise TypeError("Loop.init() got an unexpected keyword [/gloo/ProcessGroupGloo.cpp:42]")
        if os.environ.get("PIDS_FILE"):
            with open(os.environ["PIDS_FILE"], "a") as fh:
                fh.write(f"{os.getpid()}\\n")

    def load_data(self, ctx):
        return DataInfo(train_samples=8, eval_samples=8)

    def train_epoch(self, ctx, epoch):
        if MODE == "noisy":
            sys.stderr.write("w" * 70_000 + " [/gloo/transport/tcp/pair.cc:598]\\n")
            sys.stderr.flush()
            print("MLPACE_EVENT {not json", flush=True)
            print("a line without its end", end="", flush=True)
            if ctx.seed >= 2:  # the second run hangs until a signal stops it
                time.sleep(300)
        self.epoch = epoch

    def evaluate(self, ctx):
        return 0.0 if MODE == "never" else 1.0


bench = Benchmark(validate_config({
    "name": "tiny_loop", "quality": {"metric": "score", "goal": "max", "target": 0.5},
    "global_batch_size": 8, "optimizer": "sgd", "opt_base_learning_rate": 0.1, "eval_every_epochs": 1,
    "max_epochs": 2, "required_runs": 3}), Loop)
'''


def _bench_file(tmp_path: Path) -> str:
    path = tmp_path / "tiny_bench.py"
    path.write_text(BENCH)
    return f"{path}:bench"


def test_markup_in_an_error_text_is_printed_not_parsed(tmp_path, capsys):
    folder = tmp_path / "results" / "sys" / "digits_cnn"
    for i in range(5):
        write_log(folder / f"result_{i}.txt", seed=i + 1)
    with open(folder / "result_0.txt", "a") as fh:  # what gloo prints, as a run error
        fh.write(line(1_700_000_100_000, "mlpace_run_error", "Connection closed by peer [/gloo/pair.cc:598]") + "\n")
    code = main(["train", "check", str(folder)])
    out = capsys.readouterr()
    assert code in (0, 1) and "internal error" not in out.err, out.err
    assert "[/gloo/pair.cc:598]" in " ".join(out.out.split())


def test_more_runs_than_required_are_allowed(tmp_path):
    folder = tmp_path / "results" / "sys" / "digits_cnn"
    for i in range(10):
        write_log(folder / f"result_{i}.txt", seed=i + 1, ttt_ms=60_000 + 1000 * i)
    report = check_benchmark_folder(folder, update_scaling=False)
    assert not [p for p in report.problems if "requires" in p], report.problems
    assert len(report.score.counted) == 8  # olympic: fastest and slowest dropped


def test_open_division_run_is_checked_against_its_own_target(tmp_path):
    closed = get_benchmark("digits_cnn")
    assert closed.config.quality.target > 0.93
    opened = closed.with_config(closed.config.with_overrides({"quality.target": 0.9}))
    folder = tmp_path / "results" / "sys" / "digits_cnn"
    for i in range(5):
        write_log(folder / f"result_{i}.txt", seed=i + 1, metric=0.93, division="open")
    report = check_benchmark_folder(folder, user_benchmark=opened, update_scaling=False)
    assert all(c.passed for c in report.compliance.values()), report.problems
    assert report.passed, report.problems


def test_run_stop_before_run_start_fails(tmp_path):
    folder = tmp_path / "results" / "sys" / "digits_cnn"
    for i in range(5):
        write_log(folder / f"result_{i}.txt", seed=i + 1)
    path = folder / "result_0.txt"
    lines = path.read_text().splitlines()
    stop = next(ln for ln in lines if '"run_stop"' in ln)
    start = lines.index(next(ln for ln in lines if '"run_start"' in ln))
    lines.remove(stop)
    lines.insert(start, stop.replace('"time_ms": 1700000060000', '"time_ms": 1699999999000'))
    path.write_text("\n".join(lines) + "\n")
    assert not read_run_log(path).converged
    report = check_benchmark_folder(folder, update_scaling=False)
    assert any("result_0.txt" in p and "run_stop comes before any run_start" in p for p in report.problems), \
        report.problems
    assert not report.passed


def test_set_that_is_not_valid_exits_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOOP_MODE", "never")
    code = main(["train", _bench_file(tmp_path), "--runs", "2", "--out", str(tmp_path / "org")])
    assert code == 1, capsys.readouterr()
    assert "set NOT valid" in capsys.readouterr().out


def test_loop_failing_before_run_start_is_not_a_result(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOOP_MODE", "broken")
    code = main(["train", _bench_file(tmp_path), "--runs", "2", "--out", str(tmp_path / "org")])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "run 0 failed before run_start: TypeError" in " ".join(err.split())
    folder = tmp_path / "org" / "results" / "cpu" / "tiny_loop"
    assert sorted(p.name for p in folder.iterdir()) == ["result_0.txt.failed"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if text in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(proc.name))
            except OSError:
                pass
    return [p for p in found if _alive(p)]


def test_two_processes_noisy_loop_and_sigterm_leave_no_worker(tmp_path):
    spec = _bench_file(tmp_path)
    pids_file = tmp_path / "pids"
    out = tmp_path / "org"
    env = dict(os.environ, LOOP_MODE="noisy", PIDS_FILE=str(pids_file))
    proc = subprocess.Popen([sys.executable, "-c", "from mlpace.cli import main; main()", "train", spec,
                             "--nproc", "2", "--runs", "3", "--out", str(out), "--no-check"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    folder = out / "results" / "cpu" / "tiny_loop"
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None and not (folder / "result_1.txt.partial").exists():
        time.sleep(0.2)
    if proc.poll() is not None or not (folder / "result_0.txt").exists():
        if proc.poll() is None:  # stop it the way the test checks, so nothing is left behind
            proc.send_signal(signal.SIGTERM)
            proc.wait(90)
        # neither deadlocked on a full pipe nor crashed on the output
        raise AssertionError(f"the first run never finished (exit {proc.returncode}): {proc.communicate()}")
    time.sleep(1.0)  # into the hanging epoch
    proc.send_signal(signal.SIGTERM)
    try:
        stdout, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:  # a failed test leaves no process behind
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, stderr[-3000:]
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert read_run_log(folder / "result_0.txt").converged
    assert (folder / "result_1.txt.interrupted").exists()
    assert not (folder / "result_1.txt").exists() and not list(folder.glob("*.partial"))
    workers = [int(x) for x in pids_file.read_text().split()]
    assert len(set(workers)) == 2
    time.sleep(0.5)
    assert not [p for p in workers if _alive(p)], "a worker outlived mlpace"
    assert _processes_mentioning(spec) == [], "torchrun or a worker outlived mlpace"
    assert "run 1/3" in stdout or "run 2/3" in stdout  # the progress display drew its events
    json.loads((out / "systems" / "cpu.json").read_text())


def test_a_forged_scaling_factor_cannot_shrink_the_score(tmp_path, capsys):
    folder = tmp_path / "results" / "sys" / "digits_cnn"
    for i in range(5):
        write_log(folder / f"result_{i}.txt", seed=i + 1, division="open")
    (folder / "scaling.json").write_text(json.dumps({"scaling_factor": 0.001}))
    assert main(["train", "check", str(folder), "--no-scaling"]) == 2
    assert "scaling_factor 0.001 is not allowed (a finite number >= 1)" in capsys.readouterr().err

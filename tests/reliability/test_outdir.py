"""Nothing is lost: a non-empty ``-o`` folder is refused (``--force`` replaces it only with a run
that finished), default folders are unique, and a full disk (a file-size limit) ends the run
in one line with exit 2, keeping the logs already written."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import time

from mlpace.cli import main
from mlpace.outdir import RunFolder

CLI = [sys.executable, "-c", "from mlpace.cli import main; main()"]
QUICK = ["run", "digits", "-s", "Offline", "--mode", "PerformanceOnly", "--set", "min_duration_ms=50",
         "--set", "offline_expected_qps=100000"]


def test_second_run_into_the_same_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*QUICK, "-o", str(out)]) in (0, 1)
    summary = out / "digits" / "Offline" / "mlperf_log_summary.txt"
    first = summary.read_text()
    capsys.readouterr()
    assert main([*QUICK, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"output folder {out} exists and is not empty" in err and "--force" in err
    assert summary.read_text() == first
    assert main([*QUICK, "-o", str(out), "--force"]) in (0, 1)
    assert summary.read_text() != first  # replaced by the finished run
    assert not list(tmp_path.glob(".run.*"))  # no staging or old copies left behind


def test_interrupted_forced_run_leaves_the_old_results(tmp_path):
    out = tmp_path / "run"
    assert main([*QUICK, "-o", str(out)]) in (0, 1)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = subprocess.Popen([*CLI, "run", "digits", "-s", "SingleStream", "-o", str(out), "--force",
                             "--mode", "PerformanceOnly",
                             "--set", "min_duration_ms=120000", "--set", "single_stream_expected_latency_ns=1000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        staged = list(tmp_path.glob(".run.new-*/digits/SingleStream/mlperf_log_detail.txt"))
        if staged and "Starting performance mode" in staged[0].read_text():
            break
        time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError(f"the forced run never reached its performance phase: {proc.communicate()}")
    proc.send_signal(signal.SIGTERM)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # a failed test leaves no process behind
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, stderr[-2000:]
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    kept = list(tmp_path.glob("run.failed-*"))
    assert len(kept) == 1 and (kept[0] / "digits" / "SingleStream" / "mlperf_log_summary.txt").is_file()
    assert "unchanged" in " ".join(stdout.split())


def test_default_folders_are_unique_within_one_second(tmp_path, monkeypatch):
    import mlpace.outdir as outdir

    monkeypatch.setattr(outdir, "_stamp", lambda: "20260101-000000")  # every run "in the same second"
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(QUICK) in (0, 1)
    runs = sorted(p.name for p in (tmp_path / "mlpace_runs").iterdir())
    assert runs == ["20260101-000000", "20260101-000000-2"]
    for name in runs:
        assert (tmp_path / "mlpace_runs" / name / "digits" / "Offline" / "mlperf_log_summary.txt").is_file()
    assert RunFolder.claim(None, root=tmp_path / "mlpace_runs").path.name == "20260101-000000-3"


def test_full_disk_is_one_line_and_keeps_what_was_written(tmp_path):
    from mlpace import workloads

    workloads.get("digits").model_path()  # the model cache is written before the limit applies
    out = tmp_path / "run"
    limit = 48 * 1024

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run([*CLI, "run", "digits", "-s", "Offline", "-o", str(out), "--trace",
                           "--set", "min_duration_ms=50", "--set", "offline_expected_qps=100000"],
                          capture_output=True, text=True, preexec_fn=small_files, timeout=300)
    err = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert len(err) == 1 and "File too large" in err[0] and "digits/Offline" in err[0], err
    scen = out / "digits" / "Offline"
    assert "Result is :" in (scen / "mlperf_log_summary.txt").read_text()
    assert (scen / "mlperf_log_accuracy.json").stat().st_size > 10_000  # the finished accuracy phase


def test_invalid_run_does_not_replace_a_valid_one_in_the_submission_tree(tmp_path, capsys):
    subm = tmp_path / "subm"
    good = ["run", "digits", "-s", "Offline", "--mode", "PerformanceOnly", "--submission", str(subm),
            "--set", "min_duration_ms=200", "--set", "offline_expected_qps=20000000"]  # no machine beats it
    assert main([*good, "-o", str(tmp_path / "a")]) == 0, capsys.readouterr()
    summary = next(subm.rglob("performance/run_1/mlperf_log_summary.txt"))
    before = summary.read_text()
    assert "Result is : VALID" in before
    bad = [*good[:-1], "offline_expected_qps=10"]  # a claim far too low: min duration not met
    assert main([*bad, "-o", str(tmp_path / "b")]) == 1
    assert "not copied into the submission tree" in " ".join(capsys.readouterr().out.split())
    assert summary.read_text() == before

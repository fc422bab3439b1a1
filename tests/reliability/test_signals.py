"""Signals sent to real subprocesses: SIGTERM and SIGHUP end ``mlpace run`` the Ctrl-C way (summary
and accuracy log written, logs kept, exit 128 + signum); a harness on ``mlpace.compat`` stops
at Ctrl-C or SIGTERM instead of carrying on to its next test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mlpace.loadgen.logs.read import read_detail

CLI = [sys.executable, "-c", "from mlpace.cli import main; main()"]


def _wait_for(path: Path, text: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if path.is_file() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    if proc.poll() is None:  # a failed test leaves no process behind
        proc.kill()
        proc.wait()
    raise AssertionError(f"{text!r} never appeared in {path} (exit {proc.poll()}): {proc.stderr.read()[-2000:]}")


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_run_stopped_by_signal_writes_summary_and_accuracy_log(tmp_path, sig, code):
    out = tmp_path / "run"
    mode = ["--mode", "PerformanceOnly"] if sig == signal.SIGHUP else []  # the accuracy phase once is enough
    proc = subprocess.Popen([*CLI, "run", "digits", "-s", "SingleStream", "-o", str(out), *mode,
                             "--set", "min_duration_ms=120000", "--set", "single_stream_expected_latency_ns=1000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    scen = out / "digits" / "SingleStream"
    _wait_for(scen / "mlperf_log_detail.txt", "Starting performance mode", proc)
    time.sleep(1.5)  # into the issuing loop (the plan and the phase are set up after the log line)
    proc.send_signal(sig)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # a failed test leaves no process behind
            proc.kill()
            proc.wait()
    assert proc.returncode == code, stdout[-2000:] + stderr[-2000:]
    assert "Traceback" not in stderr
    summary = (scen / "mlperf_log_summary.txt").read_text()
    assert "Result is : INVALID" in summary and "Interrupted by the user" in summary
    if not mode:
        assert (scen / "mlperf_log_accuracy.json").stat().st_size > 1000  # the finished accuracy phase
    detail = read_detail(scen)
    assert detail["result_validity"][-1] == "INVALID" and "num_errors" in detail


HARNESS = textwrap.dedent('''
    import sys, time
    import numpy as np
    import mlpace.compat as lg

    def issue(samples):
        time.sleep(0.001)
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(64, 64, lambda i: None, lambda i: None)
    for test in range(2):
        settings = lg.TestSettings()
        settings.scenario = lg.TestScenario.SingleStream
        settings.mode = lg.TestMode.PerformanceOnly
        settings.min_duration_ms = 120000
        settings.single_stream_expected_latency_ns = 1000000
        ls = lg.LogSettings()
        ls.log_output.outdir = sys.argv[1] + f"/test{test}"
        print(f"starting test {test}", flush=True)
        lg.StartTestWithLogSettings(sut, qsl, settings, ls)
        print(f"finished test {test}", flush=True)
    print("harness done", flush=True)
''')


@pytest.mark.parametrize("sig, want", [(signal.SIGINT, (-signal.SIGINT, 130, 1)), (signal.SIGTERM, (-signal.SIGTERM,))])
def test_compat_harness_stops_at_the_signal(tmp_path, sig, want):
    script = tmp_path / "harness.py"
    script.write_text(HARNESS)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    _wait_for(tmp_path / "test0" / "mlperf_log_detail.txt", "Starting performance mode", proc, timeout=120)
    time.sleep(0.3)
    proc.send_signal(sig)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # a failed test leaves no process behind
            proc.kill()
            proc.wait()
    assert proc.returncode in want, (proc.returncode, stdout, stderr[-2000:])
    assert "starting test 1" not in stdout and "harness done" not in stdout
    assert "Result is : INVALID" in (tmp_path / "test0" / "mlperf_log_summary.txt").read_text()
    assert os.path.getsize(tmp_path / "test0" / "mlperf_log_accuracy.json") > 0


def test_a_signal_ignored_at_start_stays_ignored():
    """``nohup mlpace run ...``: SIGHUP was ignored before mlpace started and must stay so."""
    from mlpace import signals

    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with signals.terminate_as_interrupt():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert callable(signal.getsignal(signal.SIGTERM))
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, old)

"""``mlpace run``: user errors give one clear line and a non-zero code, AccuracyOnly works,
Ctrl-C ends with code 130 and keeps the logs. Never a traceback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlpace.cli import main


def mlpace_cmd() -> list[str]:
    script = Path(sys.executable).parent / "mlpace"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from mlpace.cli import main; main()"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no audit.config, and default output folders land here


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("args, needle", [
    (["--set", "no_such_key=1"], "unknown setting 'no_such_key'"),
    (["--set", "min_duration_ms=soon"], "min_duration_ms"),
    (["--set", "min_duration_ms"], "--set expects key=value"),
    (["-s", "Sideways"], "unknown scenario 'Sideways'"),
    (["--mode", "Fastest"], "unknown mode 'Fastest'"),
    (["--conf", "missing_user.conf"], "conf file not found: missing_user.conf"),
    (["--mode", "FindPeakPerformance", "-s", "Offline"], "FindPeakPerformance searches a Server QPS"),
    (["--confirm-peak"], "--confirm-peak needs --mode FindPeakPerformance"),
])
def test_user_errors_give_one_clear_line(tmp_path, capfd, args, needle):
    code = main(["run", *args, "-o", str(tmp_path / "out")])
    out, err = capfd.readouterr()
    assert code == 2
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in out + err
    assert not (tmp_path / "out").exists()  # validated before anything runs


def test_error_messages_name_the_allowed_values(capfd):
    main(["run", "-s", "Sideways"])
    err = capfd.readouterr().err
    for name in ("SingleStream", "MultiStream", "Server", "Offline"):
        assert name in err


def test_bad_set_key_in_a_real_process(tmp_path):
    proc = subprocess.run(mlpace_cmd() + ["run", "--set", "no_such_key=1"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = error_lines(proc.stderr)
    assert len(lines) == 1 and "unknown setting 'no_such_key'" in lines[0]


def test_accuracy_only_offline(tmp_path, capfd):
    out = tmp_path / "out"
    code = main(["run", "--mode", "AccuracyOnly", "-s", "Offline", "-o", str(out)])
    stdout, err = capfd.readouterr()
    assert code == 0, stdout + err
    assert "Traceback" not in stdout + err
    run_dir = out / "digits" / "Offline"
    records = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    assert records, "accuracy log is empty"
    assert len({r["qsl_idx"] for r in records}) == len(records)  # every sample once
    assert all(r["data"] for r in records)
    summary = (run_dir / "mlperf_log_summary.txt").read_text()
    assert "No errors encountered during test." in summary
    assert "Offline" in stdout and "VALID" in stdout and "PASS" in stdout


def test_ctrl_c_exits_130_and_keeps_logs(tmp_path):
    out = tmp_path / "out"
    detail = out / "digits" / "SingleStream" / "mlperf_log_detail.txt"
    proc = subprocess.Popen(
        mlpace_cmd() + ["run", "-s", "SingleStream", "--mode", "PerformanceOnly",
                        "--set", "min_duration_ms=120000", "-o", str(out)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if detail.is_file() and "Starting performance mode" in detail.read_text():
                break
            if proc.poll() is not None:
                pytest.fail(f"mlpace run ended early: {proc.communicate()}")
            time.sleep(0.1)
        else:
            pytest.fail("the performance run never started")
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert "interrupted" in (stdout + stderr).lower()
    text = detail.read_text()
    assert "Interrupted by the user" in text or "interrupted by the user" in text
    summary = (detail.parent / "mlperf_log_summary.txt").read_text()
    assert "Result is : INVALID" in summary


def test_ctrl_c_during_the_calibration_probe_stops_the_command():
    from mlpace.loadgen.calibrate import calibrate
    from mlpace.loadgen import SimpleQSL
    from mlpace.loadgen.settings import TestSettings as Settings

    class CtrlC:
        name = "CtrlC"

        def issue_queries(self, ids, indices):
            raise KeyboardInterrupt

        def flush_queries(self):
            pass

    settings = Settings.make(scenario="Offline", mode="PerformanceOnly")
    with pytest.raises(KeyboardInterrupt):
        calibrate(CtrlC(), SimpleQSL("q", 10, 10), settings, set())

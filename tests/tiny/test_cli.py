"""``mlpace tiny``: the one-command demo, the two-terminal flow, and one-line errors."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlpace.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_run_simulate_writes_results_tree(tmp_path, capsys):
    code = main(["tiny", "run", "--simulate", "-b", "ic", "--mode", "performance", "--results-dir", str(tmp_path),
                 "--system", "demo"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("window ") >= 5 and "median throughput" in out and "latency (ms)" in out
    folder = tmp_path / "demo" / "ic" / "performance" / "latest"
    assert (folder / "results.txt").is_file() and (folder / "log.txt").is_file()
    official = re.search(r"^Median throughput is \d+\.\d{3} inf\./sec\.$", out, re.M)  # the official line on stdout
    assert official and official.group(0) in (folder / "results.txt").read_text()


def test_user_errors_are_one_red_line_with_exit_code(tmp_path, capsys):
    assert main(["tiny", "run", "-b", "ic", "--port", str(tmp_path / "nope"), "--results-dir", str(tmp_path)]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot open serial port")
    assert main(["tiny", "run", "-b", "resnet", "--simulate"]) == 2
    assert "allowed: ad, ic, kws, vww" in capsys.readouterr().err
    assert main(["tiny", "run", "-b", "ic"]) == 2
    assert "--port" in capsys.readouterr().err
    assert main(["tiny", "run", "-b", "ic", "--simulate", "--windows", "0", "--results-dir", str(tmp_path)]) == 2
    assert "'windows'" in capsys.readouterr().err


def test_data_command_writes_official_layout(tmp_path, capsys):
    assert main(["tiny", "data", "-b", "ic", "--out", str(tmp_path / "ic")]) == 0
    assert len((tmp_path / "ic" / "y_labels.csv").read_text().splitlines()) == 200
    assert len(list((tmp_path / "ic").glob("*.bin"))) == 200


def test_simulate_in_one_process_run_in_another(tmp_path):
    """The two-terminal flow: ``mlpace tiny simulate`` prints its pty, the runner uses it; the
    device's 32-bit counter wraps 12 s after the host connects (warm-ups 1.25 s + calibration 5 s
    + window 1 of 11 s), inside window 1, and the run passes with --retries 0."""
    exe = [sys.executable, "-c", "from mlpace.cli import main; main()"]
    wrap_in = ["--counter-start", str(2**32 - 12_000_000)]
    sim = subprocess.Popen(exe + ["tiny", "simulate", "-b", "ic", "--no-pace"] + wrap_in,
                           stdout=subprocess.PIPE, text=True, cwd=REPO, start_new_session=True)
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = sim.stdout.readline()
            m = re.match(r"DUT port: (\S+)", line)
            port = m.group(1) if m else None
        assert port, "simulator never printed its port"
        done = subprocess.run(exe + ["tiny", "run", "--port", port, "-b", "ic", "--results-dir", str(tmp_path),
                                     "--retries", "0"], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "window 5/5" in done.stdout
        assert re.search(r"^Median throughput is 3\.99\d inf\./sec\.$", done.stdout, re.M)
        laps = [int(x) for x in re.findall(r"m-lap-us-(\d+)", next(tmp_path.glob("*/ic/performance/latest/log.txt"))
                                           .read_text())]
        assert laps[0] == 2**32 - 12_000_000  # the boot banner's lap
        assert any(b < a for a, b in zip(laps[1::2], laps[2::2])), f"no window crossed the wrap: {laps}"
    finally:
        os.killpg(sim.pid, signal.SIGINT)
        sim.wait(timeout=10)

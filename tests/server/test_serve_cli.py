"""``mlpace serve`` as a real subprocess: prints its URL, answers, and exits 0 on SIGTERM."""

import os
import re
import signal
import subprocess
import sys
import time

import httpx


def test_serve_prints_url_answers_and_stops_cleanly_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-c", "from mlpace.cli import main; main()", "serve", "digits", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ))
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(lines)
        m = re.search(r"http://127\.0\.0\.1:(\d+)", text)
        assert m, text
        assert "Open Inference Protocol /v2 (models digits)" in text
        r = httpx.get(f"http://127.0.0.1:{m.group(1)}/v2/health/ready", timeout=10)
        assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_rejects_an_unknown_workload_in_one_line():
    r = subprocess.run([sys.executable, "-c", "from mlpace.cli import main; main()", "serve", "resnet", "--port", "0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "cannot serve 'resnet'; allowed: textgen, digits, vww, anomaly, all" in r.stderr
    assert "Traceback" not in r.stderr


def test_serve_on_a_busy_port_is_one_line_exit_2():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = subprocess.run([sys.executable, "-c", "from mlpace.cli import main; main()", "serve", "digits",
                            "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr

"""The v2 path with the real digits ONNX model behind the test server (accuracy log identical
to the in-process run), and ``mlpace run --endpoint``: tensor and text workloads, one-line
errors before the run, failures named in the table."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from mlpace import workloads
from mlpace.cli import main
from mlpace.endpoints import EndpointConfig, build_sut
from mlpace.endpoints.testing import ServerProcess
from mlpace.loadgen import LogSettings, SimpleQSL, start_test
from mlpace.loadgen.settings import TestSettings as Settings


@pytest.fixture(scope="module")
def digits_server():
    wl = workloads.get("digits")
    with ServerProcess(ttft_ms=0, onnx=str(wl.model_path())) as srv:
        yield srv


def payloads(path) -> dict[int, str]:
    return {r["qsl_idx"]: r["data"] for r in json.loads(path.read_text())}


@pytest.mark.parametrize("scenario", ["Offline", "MultiStream"])
def test_v2_accuracy_log_equals_in_process(tmp_path, digits_server, scenario):
    wl = workloads.get("digits")
    qsl = wl.make_qsl()
    settings = Settings.make(scenario=scenario, mode="AccuracyOnly", multi_stream_samples_per_query=8)
    local = start_test(wl.make_sut(qsl), qsl, settings, LogSettings(outdir=tmp_path / "local"), audit_config=None)
    sut = build_sut(wl, qsl, EndpointConfig(urls=[digits_server.url], batch_size=50))
    try:
        remote = start_test(sut, qsl, settings, LogSettings(outdir=tmp_path / "remote"), audit_config=None)
    finally:
        sut.close()
    assert remote.valid and sut.history[-1].failed == 0
    a, b = payloads(local.accuracy_path), payloads(remote.accuracy_path)
    assert len(a) == len(qsl.labels) and a == b
    assert wl.score_accuracy_log(remote.accuracy_path).passed


def test_cli_v2_digits(tmp_path, capfd, digits_server):
    out = tmp_path / "out"
    code = main(["run", "digits", "--endpoint", digits_server.url, "--mode", "AccuracyOnly", "-s", "Offline",
                 "--set", "offline_expected_qps=2000", "-o", str(out)])  # a set claim skips the probe run
    stdout, err = capfd.readouterr()
    assert code == 0, stdout + err
    assert "endpoint-v2-digits:" in stdout and "failures: none" in stdout
    detail = (out / "digits" / "Offline" / "mlperf_log_detail.txt").read_text()
    assert '"mlpace_endpoint_requests"' in detail and '"mlpace_client_send_lag_p99_ns"' in detail


def test_cli_failure_named_in_table(tmp_path, capfd):
    wl = workloads.get("digits")
    with ServerProcess(ttft_ms=0, onnx=str(wl.model_path()), fail="http_500", fail_from=3) as srv:
        code = main(["run", "digits", "--endpoint", srv.url, "--mode", "PerformanceOnly", "-s", "SingleStream",
                     "--set", "single_stream_expected_latency_ns=1000000", "-o", str(tmp_path / "out")])
    stdout, err = capfd.readouterr()
    assert code == 1, stdout + err
    assert "INVALID" in stdout and "http_5xx" in stdout and "Traceback" not in stdout + err
    summary = (tmp_path / "out" / "digits" / "SingleStream" / "mlperf_log_summary.txt").read_text()
    assert "Run failed: endpoint failures by kind: http_5xx=1" in summary


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, code, needle", [
    (["--endpoint", "ftp://example"], 2, "is not an http(s) URL"),
    (["--endpoint", "http://127.0.0.1:1", "--api", "grpc"], 2, "unknown --api 'grpc'"),
    (["--endpoint", "http://127.0.0.1:1", "--api", "openai-chat"], 2, "digits is a tensor workload"),
    (["--endpoint", "http://127.0.0.1:{closed}"], 3, "endpoint unreachable"),
])
def test_cli_endpoint_errors_are_one_line(tmp_path, capfd, args, code, needle):
    args = [a.replace("{closed}", str(_closed_port())) for a in args]
    got = main(["run", "digits", *args, "-s", "Offline", "-o", str(tmp_path / "out")])
    out, err = capfd.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert got == code and len(lines) == 1 and needle in lines[0], err
    assert "Traceback" not in out + err and not (tmp_path / "out").exists()


class TextWorkload:
    """A text workload shaped like the textgen contract (prompts, token bounds, encode)."""

    name = "textfake"
    proxy_note = None
    served_model_name = "mlpace-test"
    max_output_tokens = 6
    min_output_tokens = 2

    def prompts(self):
        return [f"prompt {i}" for i in range(32)]

    def encode(self, text):
        return np.arange(len(text.split()), dtype=np.int32)

    def default_settings(self, scenario):
        return {"scenario": scenario, "use_token_latencies": True, "min_duration_ms": 300, "min_query_count": 8,
                "server_target_qps": 30, "ttft_latency": 10**9, "tpot_latency": 10**9}

    def make_qsl(self):
        return SimpleQSL("textfake", 32, 32)


def test_cli_openai_text_workload(tmp_path, capfd, monkeypatch):
    monkeypatch.setattr(workloads, "get", lambda name: TextWorkload())
    with ServerProcess(ttft_ms=10, tpot_ms=2, tokens=6) as srv:
        code = main(["run", "textfake", "--endpoint", srv.url + "/v1", "--mode", "PerformanceOnly", "-s", "Server",
                     "-o", str(tmp_path / "out")])
        served = srv.stats()["requests"]
    stdout, err = capfd.readouterr()
    assert code in (0, 1), stdout + err  # a 0.3 s run may miss early stopping; that is the LoadGen's verdict
    assert "endpoint-openai-chat-mlpace-test:" in stdout and "failures: none" in stdout
    assert "TTFT " in stdout and "TPOT " in stdout  # token latencies in the table
    summary = (tmp_path / "out" / "textfake" / "Server" / "mlperf_log_summary.txt").read_text()
    assert "Completed tokens per second" in summary and "Mean First Token latency (ns)" in summary
    assert served >= 8

"""Every failure kind, in every scenario, against a real server on 127.0.0.1: counted by kind,
named in the summary and detail logs, run INVALID, ended quickly, logs kept."""

from __future__ import annotations

import socket
import time

import pytest

from mlpace.endpoints.testing import ServerProcess

from .conftest import SCENARIOS, detail_values, run_once

# injected server behaviour -> the kind the client must report
KINDS = {
    "http_500": "http_5xx",
    "http_429": "http_4xx",
    "malformed": "malformed_stream",
    "cut": "truncated_stream",
    "error_chunk": "error_chunk",
    "empty": "empty_output",
    "stall": "timeout",
}


def check_failed_run(result, sut, kinds: set[str], elapsed: float) -> None:
    assert not result.valid
    st = sut.history[-1]
    seen = {k for k, v in st.failures.items() if v}
    assert seen and seen <= kinds, (st.failures, kinds)
    assert st.ok + st.failed + st.unfinished == st.requests
    summary = result.summary_path.read_text()
    assert "Result is : INVALID" in summary
    assert "Run failed: endpoint request failed (" in summary
    assert "Run failed: endpoint failures by kind: " in summary
    detail = detail_values(result.detail_path)
    for kind in seen:
        assert detail[f"mlpace_endpoint_failures_{kind}"][-1] == st.failures[kind] >= 1
    assert any("endpoint request failed" in e for e in detail["error_runtime"])
    assert elapsed < 6.0, f"a failing run should end at once, took {elapsed:.1f} s"


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("inject", list(KINDS))
def test_injected_failure_kinds(tmp_path, server, inject, scenario):
    server.control(fail=inject, fail_from=2)
    t = time.monotonic()
    result, sut = run_once(tmp_path, server.url, scenario, timeout_s=0.4)
    check_failed_run(result, sut, {KINDS[inject]}, time.monotonic() - t)
    assert result.accuracy_path.exists() and result.detail_path.exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_connection_refused(tmp_path, scenario):
    t = time.monotonic()
    # no server there: every connection is refused (the client's warm-up errors are ignored)
    result, sut = run_once(tmp_path, f"http://127.0.0.1:{_closed_port()}/v1", scenario)
    check_failed_run(result, sut, {"connection_refused"}, time.monotonic() - t)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_server_dies_mid_run(tmp_path, scenario):
    with ServerProcess(ttft_ms=5, tpot_ms=1, tokens=4, fail="die", fail_from=3) as srv:
        t = time.monotonic()
        result, sut = run_once(tmp_path, srv.url, scenario)
        elapsed = time.monotonic() - t
    check_failed_run(result, sut, {"connection_reset", "connection_refused", "truncated_stream"}, elapsed)
    if scenario == "SingleStream":  # one request at a time: those before the crash were answered
        assert sut.history[-1].ok >= 1


@pytest.mark.parametrize("scenario", ["SingleStream", "Offline"])
def test_keep_going_counts_every_failure(tmp_path, server, scenario):
    server.control(fail="http_429", fail_from=4)
    cfg_run = dict(min_duration_ms=300, min_query_count=20)
    from mlpace.endpoints.config import EndpointConfig
    from mlpace.endpoints.sut import EndpointSUT
    from mlpace.loadgen import LogSettings, SimpleQSL, start_test

    from .conftest import short_settings, words_source

    sut = EndpointSUT(EndpointConfig(urls=[server.url], keep_going=True).validated("openai-chat"),
                      words_source(), model="mlpace-test")
    try:
        result = start_test(sut, SimpleQSL("p", 64, 64), short_settings(scenario, **cfg_run),
                            LogSettings(outdir=tmp_path), audit_config=None)
    finally:
        sut.close()
    st = sut.history[-1]
    assert not result.valid
    assert st.ok == 4 and st.failures["http_4xx"] == st.requests - 4 >= 16  # every later request counted
    assert st.unfinished == 0
    summary = result.summary_path.read_text()
    assert f"Run failed: endpoint failures by kind: http_4xx={st.requests - 4} (of {st.requests} requests)" in summary

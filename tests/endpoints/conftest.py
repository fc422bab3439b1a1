"""Fixtures for the endpoint tests: the injected-latency test server in its own process,
a synthetic prompt source, and a helper that runs one short LoadGen test against a URL."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlpace.endpoints.config import EndpointConfig
from mlpace.endpoints.sources import TextSource
from mlpace.endpoints.sut import EndpointSUT
from mlpace.endpoints.testing import ServerProcess
from mlpace.loadgen import LogSettings, SimpleQSL, start_test
from mlpace.loadgen.settings import TestSettings

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")


def words_source(n: int = 64, max_tokens: int = 8) -> TextSource:
    """Prompts ``prompt i``; token ids = one per whitespace-separated word (int32)."""
    return TextSource([f"prompt {i}" for i in range(n)], max_tokens, 0,
                      encode=lambda t: np.arange(len(t.split()), dtype=np.int32))


def short_settings(scenario: str, **extra) -> TestSettings:
    values = dict(scenario=scenario, mode="PerformanceOnly", min_duration_ms=300, min_query_count=8,
                  server_target_qps=40, offline_expected_qps=40, multi_stream_samples_per_query=4,
                  single_stream_expected_latency_ns=30_000_000, multi_stream_expected_latency_ns=30_000_000,
                  use_token_latencies=True, ttft_latency=10**10, tpot_latency=10**10, sut_timeout_ms=10_000)
    values.update(extra)
    return TestSettings.make(**values)


def run_once(tmp_path, url: str, scenario: str, *, api="openai-chat", source=None, timeout_s=5.0,
             stream=True, **settings):
    cfg = EndpointConfig(urls=[url] if isinstance(url, str) else list(url), request_timeout_s=timeout_s,
                         stream=stream).validated(api)
    sut = EndpointSUT(cfg, source or words_source(), model="mlpace-test")
    try:
        result = start_test(sut, SimpleQSL("prompts", 64, 64), short_settings(scenario, **settings),
                            LogSettings(outdir=tmp_path), audit_config=None)
    finally:
        sut.close()
    return result, sut


def detail_values(path) -> dict:
    """key -> list of values of the detail log."""
    out: dict = {}
    for line in path.read_text().splitlines():
        rec = json.loads(line[len(":::MLLOG "):])
        out.setdefault(rec["key"], []).append(rec["value"])
    return out


@pytest.fixture(scope="module")
def server():
    with ServerProcess(ttft_ms=20, tpot_ms=2, tokens=8) as srv:
        yield srv

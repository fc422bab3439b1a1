"""Report sections that only some runs have, from real runs: TTFT/TPOT and the
FindPeakPerformance search path."""

from __future__ import annotations

import re
import time

import pytest

from mlpace import loadgen as lg
from mlpace.report.build import build_report
from mlpace.report.html import render_html
from mlpace.loadgen.logs.read import read_detail


class _TokenSUT:
    """First token after ~1 ms, then 8 tokens; answers inline."""

    name = "token-sut"

    def issue_queries(self, ids, indices):
        time.sleep(0.001)
        lg.first_token_complete(ids)
        time.sleep(0.001)
        lg.complete(ids, n_tokens=[8] * len(ids))

    def flush_queries(self):
        pass


class _QueueSUT:
    """A 1 ms server with one worker: latency explodes once target QPS passes ~1000."""

    name = "queue-sut"

    def __init__(self):
        self.busy_until = 0.0

    def issue_queries(self, ids, indices):
        now = time.perf_counter()
        self.busy_until = max(self.busy_until, now) + 0.001
        while time.perf_counter() < self.busy_until:
            pass
        lg.complete(ids)

    def flush_queries(self):
        pass


def test_token_latency_section_shows_the_logged_ttft_and_tpot(tmp_path):
    settings = lg.TestSettings.make(scenario="SingleStream", mode="PerformanceOnly", use_token_latencies=True,
                                    min_duration_ms=200, min_query_count=50,
                                    single_stream_expected_latency_ns=2_000_000)
    lg.start_test(_TokenSUT(), lg.SimpleQSL("q", 16, 16), settings, lg.LogSettings(outdir=tmp_path),
                  audit_config=None)
    doc = build_report(tmp_path)
    section = next(s for s in doc.sections if s.title.startswith("Token latencies"))
    table = section.blocks[0]
    detail = read_detail(tmp_path / "mlperf_log_detail.txt")
    ttft_p50 = detail["result_first_token_50.00_percentile_latency_ns"][-1] / 1e6
    tpot_p99 = detail["result_time_per_output_token_99.00_percentile_ns"][-1] / 1e6
    assert table.rows[0][:2] == ["p50", pytest.approx(ttft_p50)]
    assert next(r for r in table.rows if r[0] == "p99")[2] == pytest.approx(tpot_p99)
    assert 0.9 < ttft_p50 < 50  # ~1 ms sleep before the first token
    assert {f.id for f in section.blocks[1:]} == {"ttft-percentiles", "tpot-percentiles"}


def test_findpeak_search_path_lists_every_server_run_tried(tmp_path):
    settings = lg.TestSettings.make(scenario="Server", mode="FindPeakPerformance", server_target_qps=200,
                                    server_target_latency_ns=20_000_000, min_duration_ms=300, min_query_count=50,
                                    server_find_peak_qps_decimals_of_precision=0)
    result = lg.start_test(_QueueSUT(), lg.SimpleQSL("q", 16, 16), settings, lg.LogSettings(outdir=tmp_path),
                           audit_config=None)
    doc = build_report(tmp_path)
    section = next(s for s in doc.sections if s.title == "FindPeakPerformance search path")
    table, fig = section.blocks
    # every Server run of the search, in order: the QPS each official progress message names
    named = [float((m.group(2) or m.group(1)).rstrip(")"))
             for v in read_detail(tmp_path / "mlperf_log_detail.txt")["generic_message"]
             if (m := re.search(r"(?:base settings field: |Checking fields \[\S+ |\): )(\S+)()$", str(v)))]
    assert [r[1] for r in table.rows] == named
    # the search keeps the best QPS that met the bound as its lower bound: a try met it exactly
    # when it is at or below the peak found
    peak = result.peak_qps if result.peak_qps is not None else 0
    assert [r[2] for r in table.rows] == ["meets" if q <= peak * (1 + 1e-9) else "misses" for q in named]
    assert table.rows[0][1] == 200 and "misses" in [r[2] for r in table.rows]  # from the claim up to a miss
    if result.peak_qps is not None:  # the peak is the highest QPS that met the bound (logged with 6 digits)
        assert max(r[1] for r in table.rows if r[2] == "meets") == pytest.approx(result.peak_qps, rel=1e-5)
    assert fig.id == "findpeak-path" and "misses" in render_html(doc)

"""Token latencies (TTFT/TPOT) on synthetic records: the math, the Server verdict, the logs.

Records are built by hand (no SUT, no threads), so every figure has a known value:
TTFT = first token - scheduled time (Server) or issue time (others); TPOT =
(completion - first token) // (n_tokens - 1); means and percentiles as the official
(sum // sample count; element ``int(n * p)`` of the sorted values).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlpace.loadgen import LogSettings, SimpleQSL, start_test
from mlpace.loadgen.api import complete, first_token_complete
from mlpace.loadgen.effective import derive
from mlpace.loadgen.issue import PhaseRecord
from mlpace.loadgen.logs.summary import render_summary
from mlpace.loadgen.results import PERCENTILES, REC_TPOT, REC_TTFT, TokenSettings, evaluate
from mlpace.loadgen.schedule import QueryPlan
from mlpace.loadgen.settings import TestSettings as Settings

START = 1_000_000_000


def server_eff(**values):
    values.setdefault("mode", "PerformanceOnly")
    values.setdefault("scenario", "Server")
    values.setdefault("server_target_qps", 1000)
    values.setdefault("min_duration_ms", 0)
    values.setdefault("min_query_count", 1)
    return derive(Settings.make(**values), 1000, 1000)


def token_record(ttft, tpot, n_tokens, gap_ns=1_000_000, offline=False):
    """One sample per query; first token ``ttft`` after its origin, then ``n - 1`` tokens of ``tpot``."""
    ttft = np.asarray(ttft, dtype=np.int64)
    n = len(ttft)
    ntok = np.broadcast_to(np.asarray(n_tokens, dtype=np.int64), (n,)).copy()
    tpot = np.broadcast_to(np.asarray(tpot, dtype=np.int64), (n,))
    if offline:
        plan = QueryPlan(np.zeros(n, dtype=np.int64), n, np.zeros(1, dtype=np.int64), 0)
        issue = np.array([START + 10], dtype=np.int64)
        origin = np.full(n, issue[0])
        nq = 1
    else:
        sched = np.arange(1, n + 1, dtype=np.int64) * gap_ns
        plan = QueryPlan(np.zeros(n, dtype=np.int64), 1, sched, int(sched[-1]))
        issue = START + sched + 5_000  # issued 5 us late: the Server origin is the schedule
        origin = START + sched
        nq = n
    first = origin + ttft
    done = first + tpot * np.maximum(ntok - 1, 1)
    return PhaseRecord(plan=plan, start_ns=START, issued_queries=nq, issue_ns=issue, complete_ns=done,
                       end_message="", first_token_ns=first, n_tokens=ntok)


def official_pct(values, p):
    s = np.sort(np.asarray(values))
    return int(s[int(len(s) * p)])


def test_ttft_tpot_and_token_counts_follow_the_official_definitions():
    rng = np.random.default_rng(7)
    ttft = rng.integers(1_000_000, 9_000_000, 1000)
    n_tokens = rng.integers(2, 40, 1000)
    tpot = rng.integers(100_000, 900_000, 1000)
    rec = token_record(ttft, tpot, n_tokens)
    r = evaluate(server_eff(), rec, TokenSettings(True, 10**9, 10**9))
    tk = r.tokens
    assert tk.token_count == int(n_tokens.sum())
    assert tk.ttft.min == ttft.min() and tk.ttft.max == ttft.max()
    assert tk.ttft.mean == int(ttft.sum()) // 1000
    assert tk.tpot.min == tpot.min() and tk.tpot.max == tpot.max()
    assert tk.tpot.mean == int(tpot.sum()) // 1000
    for p in PERCENTILES:
        assert tk.ttft.percentiles[p] == official_pct(ttft, p)
        assert tk.tpot.percentiles[p] == official_pct(tpot, p)
    assert tk.ttft_target == official_pct(ttft, 0.99) and tk.tpot_target == official_pct(tpot, 0.99)
    # rates: tokens over the last completion / the last issue
    assert tk.completed_tokens_per_sec == pytest.approx(n_tokens.sum() / (r.final_query_all_samples_done_ns / 1e9))
    assert tk.tokens_per_sec_with_overhead == pytest.approx(n_tokens.sum() / (r.final_query_issued_ns / 1e9))
    assert r.valid


def test_tpot_divides_the_time_after_the_first_token_by_n_minus_one():
    # first token at 3 ms, 5 tokens done 2 ms later: TPOT = 2 ms / 4 = 500 us (not 2 ms / 5)
    rec = token_record([3_000_000] * 10, [500_000] * 10, 5)
    r = evaluate(server_eff(), rec, TokenSettings(True, 10**9, 10**9))
    assert r.tokens.tpot.min == r.tokens.tpot.max == 500_000
    assert r.tokens.ttft.min == 3_000_000  # from the schedule, not the (late) issue


def test_offline_counts_tokens_over_the_slowest_sample():
    rec = token_record(np.arange(1, 101) * 1_000_000, 100_000, 11, offline=True)
    eff = derive(Settings.make(mode="PerformanceOnly", scenario="Offline", offline_expected_qps=100,
                               min_duration_ms=0, min_query_count=1), 1000, 1000)
    r = evaluate(eff, rec, TokenSettings(True))
    assert r.tokens.token_count == 1100
    assert r.tokens.tokens_per_second == pytest.approx(1100 / (r.latency.max / 1e9))
    assert r.tokens.tokens_per_second == pytest.approx(11 * r.samples_per_second)
    text = render_summary("S", "PerformanceOnly", r, 0, 0)
    assert "Tokens per second: " in text and "Early Stopping" not in text
    assert "ttft_latency (ns): 100000000" in text and "target_latency (ns)" not in text


def test_server_tpot_over_its_bound_is_invalid_with_the_official_texts():
    rec = token_record([2_000_000] * 1000, [600_000] * 1000, 8)
    r = evaluate(server_eff(), rec, TokenSettings(True, ttft_latency_ns=50_000_000, tpot_latency_ns=500_000))
    assert not r.valid and r.perf_constraints_met is False and not r.early_stopping_met
    assert r.recommendations[0] == REC_TPOT
    assert "early stopping not satisfied: TPOT: Run unsuccessful. Processed 1000 queries." in " ".join(r.reasons())
    lines = render_summary("S", "PerformanceOnly", r, 0, 0).splitlines()
    assert lines[lines.index("Recommendations:") + 1] == " * " + REC_TPOT
    # the TTFT early stopping is not evaluated once TPOT's failed (as the official): empty line
    i = lines.index("TTFT Early Stopping Result:")
    assert lines[i + 1] == "" and lines[i + 2] == "TPOT Early Stopping Result:"
    assert lines[i + 3] == " * Run unsuccessful."
    assert any("TPOT constraint not met: 99.0th percentile 600000 ns > tpot_latency=500000 ns" in x
               for x in r.reasons())


def test_server_both_bounds_missed_continue_one_recommendation():
    rec = token_record([80_000_000] * 1000, [600_000] * 1000, 8)
    r = evaluate(server_eff(), rec, TokenSettings(True, ttft_latency_ns=50_000_000, tpot_latency_ns=500_000))
    assert r.recommendations[0] == REC_TTFT + "\n * " + REC_TPOT
    lines = render_summary("S", "PerformanceOnly", r, 0, 0).splitlines()
    i = lines.index("Recommendations:")
    assert lines[i + 1:i + 3] == [" * " + REC_TTFT, " * " + REC_TPOT]


def test_server_token_bounds_replace_the_latency_bound():
    # every sample takes 30 ms end to end, far over target_latency = 10 ms, yet TTFT/TPOT meet theirs
    rec = token_record([2_000_000] * 1000, [4_000_000] * 1000, 8)
    eff = server_eff(server_target_latency_ns=10_000_000)
    r = evaluate(eff, rec, TokenSettings(True, ttft_latency_ns=5_000_000, tpot_latency_ns=5_000_000))
    assert r.latency.min == 30_000_000 and r.valid and r.perf_constraints_met
    assert not evaluate(eff, rec).valid  # without token latencies the same run misses its bound


def test_few_over_the_tpot_bound_pass_early_stopping_only_with_enough_queries():
    # 2 over the bound: p99 meets it; early stopping at p99 needs 838 queries for t = 2
    tpot = np.full(1000, 100_000)
    tpot[:2] = 900_000
    ts = TokenSettings(True, 10**9, 500_000)
    r = evaluate(server_eff(), token_record([1_000_000] * 1000, tpot, 4), ts)
    assert r.valid and r.tokens.tpot_es_lines == [" * Run successful."]
    assert r.tokens.ttft_es_lines == [" * Run successful."]
    r = evaluate(server_eff(), token_record([1_000_000] * 800, tpot[:800], 4), ts)
    assert r.perf_constraints_met and not r.early_stopping_met and not r.valid
    assert r.tokens.tpot_es_lines[2] == " * Would need to run at least 38 more queries,"
    # a TTFT over its bound fails the TTFT early stopping once TPOT's passed
    ttft = np.full(1000, 1_000_000)
    ttft[:3] = 10**9 + 1
    r = evaluate(server_eff(), token_record(ttft, 100_000, 4), ts)
    assert r.tokens.tpot_es_lines == [" * Run successful."]
    assert r.tokens.ttft_es_lines[0] == " * Run unsuccessful." and not r.valid


def test_native_run_logs_the_official_token_keys(tmp_path):
    """An LLM SUT on the native API: first token, then completion with n_tokens."""
    import threading
    import time

    def issue(ids, indices):
        def work():
            for i in np.asarray(ids).tolist():
                first_token_complete([i])
                time.sleep(0.0002)
                complete([i], n_tokens=[5])
        threading.Thread(target=work).start()

    class SUT:
        issue_queries = staticmethod(issue)

        def flush_queries(self):
            pass

    s = Settings.make(scenario="Server", mode="PerformanceOnly", server_target_qps=1000, min_duration_ms=100,
                      min_query_count=500, use_token_latencies=True, ttft_latency=50_000_000, tpot_latency=50_000_000)
    res = start_test(SUT(), SimpleQSL("llm", 16), s, LogSettings(outdir=tmp_path), audit_config=None)
    assert res.valid, res.reasons
    assert res.metrics["token_count"] == 5 * res.metrics["sample_count"]
    assert 0 < res.metrics["p50_tpot_ns"] < res.metrics["p50_latency_ns"]
    keys = [json.loads(l.split(" ", 1)[1])["key"] for l in (tmp_path / "mlperf_log_detail.txt").read_text().splitlines()]
    assert "early_stopping_result" not in keys
    for k in ("requested_use_token_latencies", "requested_server_ttft_latency", "early_stopping_ttft_result",
              "early_stopping_tpot_result", "result_first_token_99.00_percentile_latency_ns",
              "result_time_per_output_token_99.00_percentile_ns", "result_completed_tokens_per_second"):
        assert k in keys, k
    warnings = [l for l in (tmp_path / "mlperf_log_detail.txt").read_text().splitlines() if "token latencies" in l]
    assert not warnings


@pytest.mark.parametrize("scenario", ["SingleStream", "Offline"])
def test_accuracy_log_carries_token_data_and_token_count(tmp_path, scenario):
    """Token mode: records gain "token_data" (first-token payload; not in Offline) and
    "token_count", as the official LoadGen writes them for LLM samples."""

    class SUT:
        def issue_queries(self, ids, indices):
            for i, idx in zip(np.asarray(ids).tolist(), np.asarray(indices).tolist()):
                out = np.arange(idx, idx + 3 + idx % 4, dtype="<i4")
                first_token_complete([i], [out[:1]])
                complete([i], [out], n_tokens=[len(out)])

        def flush_queries(self):
            pass

    s = Settings.make(scenario=scenario, mode="AccuracyOnly", use_token_latencies=True)
    res = start_test(SUT(), SimpleQSL("llm", 8), s, LogSettings(outdir=tmp_path), audit_config=None)
    text = res.accuracy_path.read_text()
    records = json.loads(text)
    assert len(records) == 8
    for rec in records:
        idx = rec["qsl_idx"]
        out = np.arange(idx, idx + 3 + idx % 4, dtype="<i4")
        assert bytes.fromhex(rec["data"]) == out.tobytes()
        assert rec["token_count"] == len(out)
        if scenario == "Offline":
            assert "token_data" not in rec
        else:
            assert bytes.fromhex(rec["token_data"]) == out[:1].tobytes()
    line = text.splitlines()[1]
    assert line.startswith('{ "seq_id" : 0, "qsl_idx" : ') and '"token_count" : ' in line

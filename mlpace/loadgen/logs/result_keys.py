"""The result keys of ``mlperf_log_detail.txt``: the official's, in its order, then mlpace's.

Writers only: every figure comes computed from ``results.PerformanceResult``.
"""

from __future__ import annotations

from mlpace.loadgen.logs.detail import DetailLog
from mlpace.loadgen.results import PERCENTILES, REC_QUERIES, PerformanceResult
from mlpace.loadgen.settings import TestScenario


def _g6(x: float) -> float:
    """A double as the official's detail log prints it (six significant digits)."""
    return float(format(x, ".6g"))


def log_results(detail: DetailLog, r: PerformanceResult) -> None:
    """Verdict, reasons, early stopping and the scenario's figures."""
    s = r.eff.scenario
    detail.point("result_validity", "VALID" if r.valid else "INVALID")
    if s is TestScenario.Server:
        detail.point("result_perf_constraints_met", bool(r.perf_constraints_met))
    detail.point("result_min_duration_met", r.min_duration_met)
    detail.point("result_min_queries_met", r.min_queries_met)
    detail.point("early_stopping_met", r.early_stopping_met)
    if not r.valid:
        # as the official: each recommendation then a space, except the min-queries one
        # (mlpace's run faults follow, "Run failed: ...")
        texts = [t if t == REC_QUERIES else t + " " for t in r.recommendations]
        texts += [f"Run failed: {e} " for e in r.errors]
        if r.interrupted:
            texts.append("Interrupted by the user (Ctrl-C). ")
        detail.point("result_invalid_reason", "".join(
            t + (" " if t == REC_QUERIES and i < len(texts) - 1 else "") for i, t in enumerate(texts)))
    tk = r.tokens
    if tk is not None:
        detail.point("early_stopping_ttft_result", " ".join(l.replace("\n", " ") for l in tk.ttft_es_lines))
        detail.point("early_stopping_tpot_result", " ".join(l.replace("\n", " ") for l in tk.tpot_es_lines))
    else:
        detail.point("early_stopping_result", " ".join(l.replace("\n", " ") for l in r.early_stopping_lines))
    detail.point("result_query_count", r.query_count)
    if s is TestScenario.Server:
        detail.point("result_overlatency_query_count", r.overlatency_count)
        detail.point("result_scheduled_samples_per_sec", round(r.scheduled_samples_per_sec, 3))
        detail.point("result_completed_samples_per_sec", round(r.completed_samples_per_sec, 3))
        if r.issue_lag_p50_ns is not None:
            detail.point("mlpace_issue_lag_p50_ns", r.issue_lag_p50_ns)
            detail.point("mlpace_issue_lag_p99_ns", r.issue_lag_p99_ns)
    elif s is TestScenario.Offline:
        detail.point("result_samples_per_second", round(r.samples_per_second, 3))
    elif s is TestScenario.SingleStream:
        detail.point("result_qps_with_loadgen_overhead", round(r.qps_with_overhead, 2))
        detail.point("result_qps_without_loadgen_overhead", round(r.qps_without_overhead, 2))
        detail.point("early_stopping_latency_ss", r.es_latency_ss or 0)
        detail.point("early_stopping_latency_ms", r.es_latency_ms or 0)
    else:  # MultiStream: the per-query figures (a query's latency is its slowest sample)
        _log_latency(detail, r.latency, "_query", "_per_query")
        detail.point("early_stopping_latency_ms", r.es_latency_ms or 0)
    _log_latency(detail, r.latency, "", "")
    if tk is not None:
        _log_token_results(detail, r)
    if r.inferred_tokens_per_second is not None:  # infer_token_latencies, as the official
        key = "result_inferred_tokens_per_second" if s is TestScenario.Offline else \
            "result_inferred_completed_tokens_per_second"
        detail.point(key, _g6(r.inferred_tokens_per_second))
    if not r.early_stopping_met:
        # mlpace's addition after the official keys: the official names no reason (its
        # summary prints an empty "Recommendations:") when only early stopping failed
        detail.point("mlpace_early_stopping_reason", r.early_stopping_reason())


def _log_token_results(detail: DetailLog, r: PerformanceResult) -> None:
    """The official's token keys, in its order (Offline: only the token rate)."""
    tk, s = r.tokens, r.eff.scenario
    if s is TestScenario.Offline:
        detail.point("result_tokens_per_second", _g6(tk.tokens_per_second))
        return
    detail.point("result_first_token_min_latency_ns", tk.ttft.min)
    detail.point("result_first_token_max_latency_ns", tk.ttft.max)
    detail.point("result_first_token_mean_latency_ns", tk.ttft.mean)
    for p in PERCENTILES:
        detail.point(f"result_first_token_{p * 100:.2f}_percentile_latency_ns", tk.ttft.percentiles[p])
    detail.point("result_token_throughput_with_loadgen_overhead", _g6(tk.tokens_per_sec_with_overhead))
    detail.point("result_token_throughput", _g6(tk.token_throughput))  # sic: tokens / (mean ns * samples)
    for p in PERCENTILES:
        detail.point(f"result_time_per_output_token_{p * 100:.2f}_percentile_ns", tk.tpot.percentiles[p])
    detail.point("result_time_to_output_token_min", tk.tpot.min)
    detail.point("result_time_to_output_token_max", tk.tpot.max)
    detail.point("result_time_to_output_token_mean", tk.tpot.mean)
    detail.point("result_completed_tokens_per_second", _g6(tk.completed_tokens_per_sec))


def _log_latency(detail: DetailLog, lat, stat_infix: str, pct_infix: str) -> None:
    """``result_{min,max,mean}{stat_infix}_latency_ns`` and the percentile keys."""
    detail.point(f"result_min{stat_infix}_latency_ns", lat.min)
    detail.point(f"result_max{stat_infix}_latency_ns", lat.max)
    detail.point(f"result_mean{stat_infix}_latency_ns", lat.mean)
    for p in PERCENTILES:
        detail.point(f"result_{p * 100:.2f}_percentile{pct_infix}_latency_ns", lat.percentiles[p])

"""``mlperf_log_summary.txt`` in the official layout (headers, labels, spacing, units).

Rules of the layout: 48-character ``=`` rules; statistics labels padded to 32
characters then ``: ``; booleans in the parameter list print ``0``/``1``; a
failed condition prints ``NO``. Floats in parameters use C++ stream formatting
(six significant digits), throughput figures two decimals. With token latencies
the official adds token lines: first-token labels padded to 44, time-per-output-
token labels to 46 (min/max/mean) and 45 (percentiles), as LoadGen 6.0.17 writes.
"""

from __future__ import annotations

from mlpace.loadgen.effective import EffectiveSettings
from mlpace.loadgen.results import (
    PERCENTILES,
    REC_QUERIES,
    REC_QUERIES_SEE,
    PerformanceResult,
    TokenSettings,
    pct_label,
)
from mlpace.loadgen.settings import TestScenario

RULE = "=" * 48


def _g(v) -> str:
    """C++ ``ostream`` default formatting of a number (six significant digits)."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    return format(float(v), "g")


def _yes(flag: bool) -> str:
    return "Yes" if flag else "NO"


def _stat(label: str, value) -> str:
    return f"{label:<32}: {value}"


def _footer(warnings: int, errors: int) -> list[str]:
    if warnings == 0:
        w = "No warnings encountered during test."
    elif warnings == 1:
        w = "1 warning encountered. See detailed log."
    else:
        w = f"{warnings} warnings encountered. See detailed log."
    if errors == 0:
        e = "No errors encountered during test."
    elif errors == 1:
        e = "1 ERROR encountered. See detailed log."
    else:
        e = f"{errors} ERRORS encountered. See detailed log."
    return ["", w, "", e]


def render_accuracy_only(warnings: int, errors: int) -> str:
    """The summary of an AccuracyOnly run holds only the footer, as the official's does."""
    return "\n".join(_footer(warnings, errors)) + "\n"


def parameter_lines(eff: EffectiveSettings, tokens: TokenSettings | None = None) -> list[str]:
    if tokens is not None and tokens.use:
        latency = [f"ttft_latency (ns): {tokens.ttft_latency_ns}", f"tpot_latency (ns): {tokens.tpot_latency_ns}"]
    else:
        latency = [f"target_latency (ns): {eff.target_latency_ns}"]
    return [
        f"samples_per_query : {eff.samples_per_query}",
        f"target_qps : {_g(eff.target_qps)}",
        *latency,
        f"max_async_queries : {eff.max_async_queries}",
        f"min_duration (ms): {eff.min_duration_ms}",
        f"max_duration (ms): {eff.max_duration_ms}",
        f"min_query_count : {eff.min_query_count}",
        f"max_query_count : {eff.max_query_count}",
        f"qsl_rng_seed : {eff.qsl_rng_seed}",
        f"sample_index_rng_seed : {eff.sample_index_rng_seed}",
        f"schedule_rng_seed : {eff.schedule_rng_seed}",
        f"accuracy_log_rng_seed : {eff.accuracy_log_rng_seed}",
        f"accuracy_log_probability : {_g(eff.accuracy_log_probability)}",
        f"accuracy_log_sampling_target : {eff.accuracy_log_sampling_target}",
        f"print_timestamps : {_g(eff.print_timestamps)}",
        f"performance_issue_unique : {_g(eff.performance_issue_unique)}",
        f"performance_issue_same : {_g(eff.performance_issue_same)}",
        f"performance_issue_same_index : {eff.performance_issue_same_index}",
        f"performance_sample_count : {eff.performance_sample_count}",
        f"accuracy_sample_count : {eff.accuracy_sample_count}",
    ]


def render_summary(sut_name: str, mode_name: str, r: PerformanceResult, warnings: int, errors: int) -> str:
    eff = r.eff
    scen = eff.scenario
    out = [RULE, "MLPerf Results Summary", RULE]
    out += [f"SUT name : {sut_name}", f"Scenario : {scen.name}", f"Mode     : {mode_name}"]
    if scen is TestScenario.Offline:
        out.append(f"Samples per second: {_g(r.samples_per_second)}")
        if r.inferred_tokens_per_second is not None:
            out.append(f"Tokens per second (inferred): {_g(r.inferred_tokens_per_second)}")
    elif scen is TestScenario.Server:
        out.append(_stat("Completed samples per second", f"{r.completed_samples_per_sec:.2f}"))
        if r.inferred_tokens_per_second is not None:
            out.append(f"Completed tokens per second (inferred): {r.inferred_tokens_per_second:.2f}")
    else:
        out.append(f"{r.metric_name} : {r.target_percentile_latency}")
    tk = r.tokens
    if tk is not None:
        if scen is TestScenario.Offline:
            out.append(f"Tokens per second: {_g(tk.tokens_per_second)}")
        elif scen is TestScenario.Server:
            out.append(f"Completed tokens per second: {tk.completed_tokens_per_sec:.2f}")
        else:
            out.append(f"{pct_label(eff.target_latency_percentile)}th first token percentile latency (ns) : "
                       f"{tk.ttft_target}")
    out.append(f"Result is : {'VALID' if r.valid else 'INVALID'}")
    if scen is TestScenario.Server:
        out.append(f"  Performance constraints satisfied : {_yes(bool(r.perf_constraints_met))}")
    out.append(f"  Min duration satisfied : {_yes(r.min_duration_met)}")
    out.append(f"  Min queries satisfied : {_yes(r.min_queries_met)}")
    out.append(f"  Early stopping satisfied: {_yes(r.early_stopping_met)}")
    recs = list(r.recommendations)
    faults = r.errors + (["Interrupted by the user (Ctrl-C)."] if r.interrupted else [])
    if not r.valid:  # the official prints the header on every INVALID run, even with no items
        out.append("Recommendations:")
        out += [f" * {t}" + ("\n" + REC_QUERIES_SEE if t == REC_QUERIES else "") for t in recs]
        out += [f" * Run failed: {t}" for t in faults]
    if scen is not TestScenario.Offline and tk is not None:
        # an early stopping not evaluated (TTFT after a failed TPOT) prints an empty line
        out.append("TTFT Early Stopping Result:")
        out += tk.ttft_es_lines or [""]
        out.append("TPOT Early Stopping Result:")
        out += tk.tpot_es_lines or [""]
    elif scen is not TestScenario.Offline:
        out.append("Early Stopping Result:")
        out += r.early_stopping_lines
    out += ["", RULE, "Additional Stats", RULE]
    if scen in (TestScenario.SingleStream,):
        out.append(_stat("QPS w/ loadgen overhead", f"{r.qps_with_overhead:.2f}"))
        out.append(_stat("QPS w/o loadgen overhead", f"{r.qps_without_overhead:.2f}"))
        out.append("")
    elif scen is TestScenario.Server:
        out.append(f"Scheduled samples per second : {r.scheduled_samples_per_sec:.2f}")
    elif scen is TestScenario.MultiStream:
        out.append("Per-query latency:  ")
    lat = r.latency
    out.append(_stat("Min latency (ns)", lat.min))
    out.append(_stat("Max latency (ns)", lat.max))
    out.append(_stat("Mean latency (ns)", lat.mean))
    for p in PERCENTILES:
        out.append(_stat(f"{p * 100:.2f} percentile latency (ns)", lat.percentiles[p]))
    if tk is not None:
        out += _token_stats(r)
    out += ["", RULE, "Test Parameters Used", RULE]
    out += parameter_lines(eff, r.token_settings)
    out += _footer(warnings, errors)
    return "\n".join(out) + "\n"


def _token_stats(r: PerformanceResult) -> list[str]:
    """The official's token blocks of Additional Stats (labels padded to 44/46/45)."""
    tk, scen = r.tokens, r.eff.scenario
    out = [""]
    if scen is TestScenario.SingleStream:
        out.append(_stat("TPS w/ loadgen overhead", f"{tk.tokens_per_sec_with_overhead:.2f}"))
        out.append(_stat("TPS w/o loadgen overhead", f"{tk.tokens_per_sec_without_overhead:.2f}"))
    elif scen is TestScenario.Server:
        out.append(f"{'Completed tokens per second':<44}: {tk.completed_tokens_per_sec:.2f}")
    if scen is TestScenario.Offline:
        return out
    ft, tp = tk.ttft, tk.tpot
    out.append(f"{'Min First Token latency (ns)':<44}: {ft.min}")
    out.append(f"{'Max First Token latency (ns)':<44}: {ft.max}")
    out.append(f"{'Mean First Token latency (ns)':<44}: {ft.mean}")
    for p in PERCENTILES:
        out.append(f"{f'{p * 100:.2f} percentile first token latency (ns)':<44}: {ft.percentiles[p]}")
    out.append("")
    out.append(f"{'Min Time per Output Token (ns)':<46}: {tp.min}")
    out.append(f"{'Max Time per Output Token (ns)':<46}: {tp.max}")
    out.append(f"{'Mean Time per Output Token (ns)':<46}: {tp.mean}")
    for p in PERCENTILES:
        out.append(f"{f'{p * 100:.2f} percentile time to output token (ns)':<45}: {tp.percentiles[p]}")
    return out

"""Effective settings: what a run actually uses, derived from the requested settings.

The official LoadGen logs every requested setting as ``requested_*`` and the
values it derives from them as ``effective_*``; this module owns that
derivation (per-scenario target QPS, samples per query, query-count minimums,
the Offline query size, sample counts from the QSL) so that the schedule, the
issue loop, the verdict and the logs all read one frozen object.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from mlpace.errors import ConfigError
from mlpace.loadgen.settings import TestMode, TestScenario, TestSettings


@dataclass(frozen=True)
class EffectiveSettings:
    scenario: TestScenario
    mode: TestMode
    samples_per_query: int
    target_qps: float
    target_latency_ns: int
    target_latency_percentile: float
    max_async_queries: int  # 0 = unbounded
    target_duration_ms: int
    min_duration_ms: int
    max_duration_ms: int
    min_query_count: int
    max_query_count: int
    min_sample_count: int
    qsl_rng_seed: int
    sample_index_rng_seed: int
    schedule_rng_seed: int
    accuracy_log_rng_seed: int
    accuracy_log_probability: float
    accuracy_log_sampling_target: int
    print_timestamps: bool
    performance_issue_unique: bool
    performance_issue_same: bool
    performance_issue_same_index: int
    performance_sample_count: int
    accuracy_sample_count: int
    sample_concatenate_permutation: bool
    # not logged as effective_*: carried for the engine
    sut_timeout_ms: int = 0

    def logged_items(self) -> list[tuple[str, object]]:
        """``(name, value)`` pairs in the official ``effective_*`` order."""
        d = asdict(self)
        d.pop("sut_timeout_ms")
        d.pop("mode")
        d["scenario"] = self.scenario.name
        d["test_mode"] = self.mode.name
        order = ["scenario", "test_mode"] + [k for k in d if k not in ("scenario", "test_mode")]
        return [(k, d[k]) for k in order]


MAX_PLANNED_SAMPLES = 1 << 29  # ~536 million: each planned sample costs a few int64 array slots


def _check_plan_size(key: str, value, planned: float, s: TestSettings) -> None:
    """A claim that is not finite, or that plans more samples than memory holds, is a ConfigError
    naming the setting (instead of an overflow or a memory blow-up while planning)."""
    if not math.isfinite(float(value)) or float(value) <= 0:
        raise ConfigError(f"{key} = {value} is not allowed: a finite number > 0")
    if not math.isfinite(planned) or planned > MAX_PLANNED_SAMPLES:
        raise ConfigError(f"{key} = {value} with min_duration_ms = {s.min_duration_ms} plans "
                          f"{planned:.3g} samples; at most {MAX_PLANNED_SAMPLES:,} are allowed: lower {key} "
                          "(or min_duration_ms / max_query_count)")


def derive(settings: TestSettings, qsl_total: int, qsl_performance: int) -> EffectiveSettings:
    """Derive the effective settings of a run, as the official LoadGen does."""
    s = settings
    if qsl_total <= 0:
        raise ConfigError(f"QSL total_sample_count must be > 0 (got {qsl_total})")
    perf_count = s.performance_sample_count_override or qsl_performance
    if perf_count <= 0:
        raise ConfigError(
            f"QSL performance_sample_count must be > 0 (got {qsl_performance}); "
            "set it or performance_sample_count_override"
        )
    # logged unclamped, as officially; the performance set holds min(perf_count, total) samples
    acc_count = s.accuracy_sample_count_override or qsl_total

    scenario = TestScenario(s.scenario)
    min_query_count = s.min_query_count
    target_duration_ms = s.min_duration_ms
    max_async = 1
    target_latency_ns = 0
    if scenario is TestScenario.SingleStream:
        spq = 1
        target_qps = 1e9 / s.single_stream_expected_latency_ns
        percentile = s.single_stream_target_latency_percentile
        if s.sample_concatenate_permutation:
            # LoadGen 6.0.17: equal issue runs whole passes over the performance set,
            # so the minimum becomes the generated count rounded up to whole sets
            period = int((1.0 / target_qps) * 1e9)  # duration_cast<ns>(1/qps s), truncated
            gen_ns = 2 * s.min_duration_ms * 1_000_000
            count = max(-(-gen_ns // period) + 1, min_query_count) if gen_ns and period else min_query_count
            min_query_count = -(-count // perf_count) * perf_count
    elif scenario is TestScenario.MultiStream:
        spq = s.multi_stream_samples_per_query
        target_qps = 1e9 / s.multi_stream_expected_latency_ns
        percentile = s.multi_stream_target_latency_percentile
    elif scenario is TestScenario.Server:
        spq = 1
        target_qps = s.server_target_qps
        target_latency_ns = s.server_target_latency_ns
        percentile = s.server_target_latency_percentile
        max_async = s.server_max_async_queries
    else:  # Offline: one query holding every sample
        target_qps = s.offline_expected_qps
        _check_plan_size("offline_expected_qps", target_qps, 1.1 * (s.min_duration_ms / 1000.0) * target_qps, s)
        percentile = 0.99  # not used by Offline; logged as the official does
        # official: uint64(1.1 * duration_s * qps), truncated; performance_issue_unique
        # issues the loaded set once (performance_issue_same keeps the full-size query,
        # as LoadGen 6.0.17 does: TEST04 must run as long as its reference)
        by_duration = int(1.1 * (s.min_duration_ms / 1000.0) * target_qps)
        if s.performance_issue_unique:
            spq = perf_count
        else:
            spq = max(s.min_query_count, by_duration, 1)
        min_query_count = 1
        target_duration_ms = 0
    if scenario is not TestScenario.Offline:
        key = {TestScenario.SingleStream: "single_stream_expected_latency_ns",
               TestScenario.MultiStream: "multi_stream_expected_latency_ns"}.get(scenario, "server_target_qps")
        value = s.server_target_qps if scenario is TestScenario.Server else getattr(s, key)
        queries = 2.0 * s.min_duration_ms / 1000.0 * target_qps if math.isfinite(target_qps) else target_qps
        if math.isfinite(queries):
            queries = max(float(min_query_count), queries)  # the plan holds at least min_query_count
        if s.max_query_count and math.isfinite(queries):
            queries = min(queries, s.max_query_count)
        _check_plan_size(key, value, queries * spq, s)
    return EffectiveSettings(
        scenario=scenario,
        mode=TestMode(s.mode),
        samples_per_query=int(spq),
        target_qps=float(target_qps),
        target_latency_ns=int(target_latency_ns),
        target_latency_percentile=float(percentile),
        max_async_queries=int(max_async),
        target_duration_ms=int(target_duration_ms),
        min_duration_ms=int(s.min_duration_ms),
        max_duration_ms=int(s.max_duration_ms),
        min_query_count=int(min_query_count),
        max_query_count=int(s.max_query_count),
        min_sample_count=int(min_query_count * spq),
        qsl_rng_seed=s.qsl_rng_seed,
        sample_index_rng_seed=s.sample_index_rng_seed,
        schedule_rng_seed=s.schedule_rng_seed,
        accuracy_log_rng_seed=s.accuracy_log_rng_seed,
        accuracy_log_probability=s.accuracy_log_probability,
        accuracy_log_sampling_target=s.accuracy_log_sampling_target,
        print_timestamps=s.print_timestamps,
        performance_issue_unique=s.performance_issue_unique,
        performance_issue_same=s.performance_issue_same,
        performance_issue_same_index=s.performance_issue_same_index,
        performance_sample_count=int(perf_count),
        accuracy_sample_count=int(acc_count),
        sample_concatenate_permutation=s.sample_concatenate_permutation,
        sut_timeout_ms=s.sut_timeout_ms,
    )


# A plan holds an int64 per sample; settings asking for more are refused up front
# (the official LoadGen would try to allocate them).
def requested_items(settings: TestSettings) -> list[tuple[str, object]]:
    """``(name, value)`` pairs logged as ``requested_*`` (official names and order)."""
    s = settings
    scen = TestScenario(s.scenario)
    items: list[tuple[str, object]] = [("scenario", scen.name), ("test_mode", TestMode(s.mode).name)]
    if scen is TestScenario.SingleStream:
        items += [
            ("single_stream_expected_latency_ns", s.single_stream_expected_latency_ns),
            ("single_stream_target_latency_percentile", s.single_stream_target_latency_percentile),
        ]
    elif scen is TestScenario.MultiStream:
        items += [
            ("multi_stream_expected_latency_ns", s.multi_stream_expected_latency_ns),
            ("multi_stream_target_latency_percentile", s.multi_stream_target_latency_percentile),
            ("multi_stream_samples_per_query", s.multi_stream_samples_per_query),
        ]
    elif scen is TestScenario.Server:
        items += [
            ("server_target_qps", s.server_target_qps),
            ("server_target_latency_ns", s.server_target_latency_ns),
            ("server_target_latency_percentile", s.server_target_latency_percentile),
            ("server_coalesce_queries", s.server_coalesce_queries),
            ("server_find_peak_qps_decimals_of_precision", s.server_find_peak_qps_decimals_of_precision),
            ("server_find_peak_qps_boundary_step_size", s.server_find_peak_qps_boundary_step_size),
            ("server_max_async_queries", s.server_max_async_queries),
            ("server_num_issue_query_threads", s.server_num_issue_query_threads),
        ]
    else:
        items += [("offline_expected_qps", s.offline_expected_qps)]
    for key in (
        "min_duration_ms", "max_duration_ms", "min_query_count", "max_query_count",
        "qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed", "accuracy_log_rng_seed",
        "accuracy_log_probability", "accuracy_log_sampling_target", "print_timestamps",
        "performance_issue_unique", "performance_issue_same", "performance_issue_same_index",
        "performance_sample_count_override", "accuracy_sample_count_override",
        "sample_concatenate_permutation",
    ):
        items.append((key, getattr(s, key)))
    if s.use_token_latencies:  # the official's token keys come after the others
        items.append(("use_token_latencies", True))
        if scen is not TestScenario.Offline:
            items += [("server_ttft_latency", s.ttft_latency), ("server_tpot_latency", s.tpot_latency)]
    # the official's double fields log as doubles (8e+06) even where a default is an int here
    floats = {name for name, f in TestSettings.model_fields.items() if f.annotation is float}
    return [(k, float(v) if k in floats else v) for k, v in items]

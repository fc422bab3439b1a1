"""Metrics and verdict of a performance phase: pure functions of the recorded arrays.

Percentiles use the official indexing (sort, take element ``int(n * p)``, no
interpolation). Validity follows the official rules: minimum duration, minimum
query count, the Server latency constraint and early stopping, plus mlpace's own
run faults (a SUT that raised, answered a wrong id, or went silent), each with
the official recommendation text where one exists and a plain reason always.

With ``use_token_latencies`` (LLM runs) the official figures are added: TTFT per
sample (first token minus the sample's scheduled/issue time), TPOT per sample
((completion - first token) / (n_tokens - 1)), token throughput; in Server the
TTFT and TPOT bounds replace the latency bound, each with its own early stopping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mlpace.loadgen.early_stopping import server_early_stopping, stream_early_stopping
from mlpace.loadgen.effective import EffectiveSettings
from mlpace.loadgen.issue import PhaseRecord
from mlpace.loadgen.settings import TestScenario

PERCENTILES = (0.50, 0.90, 0.95, 0.97, 0.99, 0.999)

REC_SS_MS_DURATION = "Decrease the expected latency so the loadgen pre-generates more queries."
REC_SERVER_DURATION = "Increase the target QPS so the loadgen pre-generates more queries."
REC_OFFLINE_DURATION = "Increase expected QPS so the loadgen pre-generates a larger (coalesced) query."
REC_LATENCY = "Reduce target QPS to improve latency."
REC_QUERIES = "The test exited early, before enough queries were issued."
REC_QUERIES_SEE = "   See the detailed log for why this may have occurred."  # its summary continuation
REC_TTFT = "TTFT constrain not met: Reduce target QPS to improve latency."  # sic, as the official
REC_TPOT = "TPOT constrain not met: Reduce target QPS to improve latency."


@dataclass(frozen=True)
class TokenSettings:
    """The token-latency settings a verdict needs (official ``use_token_latencies``)."""

    use: bool = False
    ttft_latency_ns: int = 100_000_000
    tpot_latency_ns: int = 100_000_000
    infer: bool = False  # infer_token_latencies: tokens = samples x scaling_factor
    scaling_factor: int = 0

    @classmethod
    def of(cls, settings) -> "TokenSettings":
        return cls(bool(settings.use_token_latencies), int(settings.ttft_latency), int(settings.tpot_latency),
                   bool(settings.infer_token_latencies), int(settings.token_latency_scaling_factor))


@dataclass
class TokenResult:
    """Token figures of a run: TTFT and TPOT statistics, token counts and rates."""

    token_count: int
    ttft: "LatencyStats"
    tpot: "LatencyStats"
    ttft_target: int = 0  # TTFT at the scenario percentile
    tpot_target: int = 0
    completed_tokens_per_sec: float = 0.0  # Server: tokens / last completion
    tokens_per_sec_with_overhead: float = 0.0  # tokens / last issue (official "with loadgen overhead")
    tokens_per_sec_without_overhead: float = 0.0  # SingleStream: tokens / (mean latency * samples)
    token_throughput: float = 0.0  # the official's tokens / (mean latency ns * samples), sic
    tokens_per_second: float = 0.0  # Offline: tokens / max latency
    ttft_ns: np.ndarray | None = None  # sorted
    tpot_ns: np.ndarray | None = None  # sorted
    ttft_es_lines: list[str] = field(default_factory=list)
    tpot_es_lines: list[str] = field(default_factory=list)


def percentile(sorted_values: np.ndarray, p: float) -> int:
    """Official percentile: element ``int(n * p)`` of the sorted values (clamped)."""
    n = len(sorted_values)
    if n == 0:
        return 0
    return int(sorted_values[min(int(n * p), n - 1)])


def pct_label(p: float) -> str:
    """``0.9`` -> ``"90.0"`` as in ``90.0th percentile``."""
    return f"{p * 100:.1f}"


@dataclass
class LatencyStats:
    min: int
    max: int
    mean: int
    percentiles: dict[float, int]

    @classmethod
    def of(cls, sorted_lat: np.ndarray, count: int | None = None) -> "LatencyStats":
        """Statistics of sorted values; ``count`` divides the sum for the mean (the official
        divides token sums by the sample count) and indexes the percentiles."""
        if len(sorted_lat) == 0:
            return cls(0, 0, 0, {p: 0 for p in PERCENTILES})
        n = len(sorted_lat) if count is None else max(int(count), 1)
        mean = int(sorted_lat.mean()) if count is None else int(int(sorted_lat.sum()) // n)
        return cls(
            int(sorted_lat[0]),
            int(sorted_lat[-1]),
            mean,
            {p: int(sorted_lat[min(int(n * p), len(sorted_lat) - 1)]) for p in PERCENTILES},
        )


@dataclass
class PerformanceResult:
    """Everything the summary/detail writers and the CLI need; no SUT references."""

    eff: EffectiveSettings
    query_count: int
    sample_count: int
    latency: LatencyStats  # per sample (SS, Server, Offline) or per query (MS)
    min_duration_met: bool
    min_queries_met: bool
    perf_constraints_met: bool | None  # Server only
    early_stopping_met: bool
    early_stopping_lines: list[str]
    recommendations: list[str]
    errors: list[str]
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False
    # scenario figures
    qps_with_overhead: float = 0.0
    qps_without_overhead: float = 0.0
    scheduled_samples_per_sec: float = 0.0
    completed_samples_per_sec: float = 0.0
    samples_per_second: float = 0.0
    overlatency_count: int = 0
    es_latency_ss: int | None = None
    es_latency_ms: int | None = None
    final_query_issued_ns: int = 0
    final_query_scheduled_ns: int = 0
    final_query_all_samples_done_ns: int = 0
    issue_lag_p50_ns: int | None = None
    issue_lag_p99_ns: int | None = None
    end_message: str = ""
    target_percentile_latency: int = 0  # latency at the scenario's target percentile
    latencies_ns: np.ndarray | None = None  # sorted, what the statistics were computed from
    token_settings: TokenSettings = field(default_factory=TokenSettings)
    tokens: TokenResult | None = None  # set when use_token_latencies is on
    # infer_token_latencies (Offline, Server): the sample rate x token_latency_scaling_factor
    inferred_tokens_per_second: float | None = None

    @property
    def valid(self) -> bool:
        return (
            self.min_duration_met
            and self.min_queries_met
            and self.perf_constraints_met is not False
            and self.early_stopping_met
            and not self.errors
            and not self.interrupted
        )

    @property
    def metric_name(self) -> str:
        s = self.eff.scenario
        if s is TestScenario.Offline:
            return "Samples per second"
        if s is TestScenario.Server:
            return "Completed samples per second"
        return f"{pct_label(self.eff.target_latency_percentile)}th percentile latency (ns)"

    @property
    def metric_value(self) -> float:
        s = self.eff.scenario
        if s is TestScenario.Offline:
            return self.samples_per_second
        if s is TestScenario.Server:
            return self.completed_samples_per_sec
        return float(self.target_percentile_latency)

    def reasons(self) -> list[str]:
        """Plain-language reasons for an INVALID verdict, with the numbers behind each."""
        eff = self.eff
        out: list[str] = []
        out += self.errors
        if self.interrupted:
            out.append("interrupted by the user (Ctrl-C)")
        if not self.min_duration_met:
            if eff.scenario is TestScenario.Offline:
                got = self.latency.max
            elif eff.scenario is TestScenario.Server:
                got = self.final_query_scheduled_ns
            else:
                got = self.final_query_issued_ns
            out.append(
                f"min duration not met: {got / 1e6:.1f} ms < min_duration_ms={eff.min_duration_ms}"
            )
        if not self.min_queries_met:
            out.append(f"min queries not met: {self.query_count} < min_query_count={eff.min_query_count}")
        if self.perf_constraints_met is False and self.tokens is not None:
            ts, tk, label = self.token_settings, self.tokens, pct_label(eff.target_latency_percentile)
            if tk.ttft_target > ts.ttft_latency_ns:
                out.append(f"TTFT constraint not met: {label}th percentile {tk.ttft_target} ns "
                           f"> ttft_latency={ts.ttft_latency_ns} ns")
            if tk.tpot_target > ts.tpot_latency_ns:
                out.append(f"TPOT constraint not met: {label}th percentile {tk.tpot_target} ns "
                           f"> tpot_latency={ts.tpot_latency_ns} ns")
            if not (tk.ttft_target > ts.ttft_latency_ns or tk.tpot_target > ts.tpot_latency_ns):
                out.append("token latency constraints not met: no sample reported its tokens")
        elif self.perf_constraints_met is False:
            out.append(
                f"latency constraint not met: {pct_label(eff.target_latency_percentile)}th percentile "
                f"{self.target_percentile_latency} ns > target_latency_ns={eff.target_latency_ns}"
            )
        if not self.early_stopping_met:
            out.append(self.early_stopping_reason())
        return out

    def early_stopping_reason(self) -> str:
        """Why early stopping failed, with its numbers (the official logs no reason for it)."""
        eff = self.eff
        p = eff.target_latency_percentile
        label = pct_label(p)
        if self.tokens is None and eff.scenario is TestScenario.Server:
            nq, over = self.query_count, self.overlatency_count
            es = server_early_stopping(nq, over, p)
            return (f"early stopping not satisfied: {over} of {nq} queries took longer than "
                    f"target_latency_ns={eff.target_latency_ns}; to show the {label}th percentile "
                    f"is within the bound the run needs at least {es.more_needed} more queries, "
                    f"all within it")
        return "early stopping not satisfied: " + " ".join(l.strip(" *") for l in self.early_stopping_lines)


def _server_es_lines(nq: int, over: int, p: float) -> tuple[bool, list[str]]:
    """Official Server early stopping: ``over`` latencies above the bound out of ``nq``."""
    es = server_early_stopping(nq, over, p)
    if es.ok:
        return True, [" * Run successful."]
    return False, [
        " * Run unsuccessful.",
        f" * Processed {nq} queries.",
        f" * Would need to run at least {es.more_needed} more queries,",
        " with the run being successful if every additional",
        " query were under latency.",
    ]


def _stream_es(lat_sorted: np.ndarray, p: float, single_stream: bool, n: int | None = None):
    """Official SingleStream/MultiStream early stopping: (ok, lines, estimate, 99th estimate).

    ``n``: the query count to judge (default: one query per value). The official judges
    the token arrays, one value per sample, by the issued query count and reads the
    estimate at that count's index."""
    n_lat = len(lat_sorted) if n is None else min(int(n), len(lat_sorted))
    es = stream_early_stopping(n_lat, p)
    if not es.ok:
        return False, [
            f" * Only processed {n_lat} queries.",
            f" * Need to process at least {es.min_queries} queries for early stopping.",
        ], None, None
    est = int(lat_sorted[es.estimate_index])
    lines = [
        f" * Processed at least {es.min_queries} queries ({n_lat}).",
        f" * Would discard {es.discarded} highest latency queries.",
        f" * Early stopping {pct_label(p)}th percentile estimate: {est}",
    ]
    est99 = None
    if single_stream:
        es99 = stream_early_stopping(n_lat, 0.99)
        if es99.ok:
            est99 = int(lat_sorted[es99.estimate_index])
            lines.append(f" * Early stopping 99.0th percentile estimate: {est99}")
        else:
            lines.append(
                " * Not enough queries processed for 99.0th percentile\n"
                " early stopping estimate (would need to process at\n"
                f" least {es99.min_queries} total queries)."
            )
    return True, lines, est, est99


def token_latencies(
    rec: PhaseRecord, base_ns: np.ndarray, done: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray]:
    """Per-sample token figures of the completed samples, as the official computes them.

    ``base_ns``: the absolute time each sample's latency counts from (Server: its
    scheduled time; otherwise its query's issue time). Returns (token count, TTFT,
    TPOT) with TTFT = first token - base and TPOT = (completion - first token) //
    (n_tokens - 1) (integer nanoseconds; a one-token sample divides by 1). Samples
    that never reported a first token are left out of TTFT/TPOT.
    """
    n = len(done)
    ntok = rec.n_tokens[:n] if rec.n_tokens is not None else np.zeros(n, dtype=np.int64)
    token_count = int(ntok[done].sum())
    if rec.first_token_ns is None:
        empty = np.zeros(0, dtype=np.int64)
        return token_count, empty, empty
    ft = rec.first_token_ns[:n]
    has = done & (ft > 0)
    ttft = ft[has] - base_ns[has]
    tpot = (rec.complete_ns[:n][has] - ft[has]) // np.maximum(ntok[has] - 1, 1)
    return token_count, ttft, tpot


def _latencies(scen: TestScenario, rec: PhaseRecord, done_mask: np.ndarray):
    """Sorted latencies of the completed samples (MultiStream: of the completed queries),
    the per-query latency origin (Server: scheduled times; else None) and, for Server,
    the sorted issue lag."""
    nq, spq, start, complete = rec.issued_queries, rec.plan.samples_per_query, rec.start_ns, rec.complete_ns
    base = None
    lag = None
    if scen is TestScenario.Server:
        base = start + rec.plan.scheduled_ns[:nq]
        lat = complete - base
        lag = np.sort(rec.issue_ns - base) if nq else np.zeros(0, dtype=np.int64)
    elif scen is TestScenario.Offline:
        lat = complete - (rec.issue_ns[0] if nq else start)
    elif scen is TestScenario.MultiStream:
        per_q = complete[: nq * spq].reshape(nq, spq)
        lat = np.where(per_q.min(axis=1) > 0, per_q.max(axis=1) - rec.issue_ns, 0)
    else:
        lat = complete - rec.issue_ns
    if scen is not TestScenario.MultiStream:
        lat = lat[done_mask[: len(lat)]]
    else:
        lat = lat[lat > 0] if len(lat) else lat
    return np.sort(lat), base, lag


def _min_duration(eff: EffectiveSettings, stats: "LatencyStats", final_sched: int, final_issued: int):
    """(met, recommendation): the official's measure of the run's length per scenario."""
    min_ns = eff.min_duration_ms * 1_000_000
    if eff.scenario is TestScenario.Offline:
        return stats.max >= min_ns, REC_OFFLINE_DURATION
    if eff.scenario is TestScenario.Server:
        return final_sched >= min_ns, REC_SERVER_DURATION
    return final_issued >= min_ns, REC_SS_MS_DURATION


def evaluate(eff: EffectiveSettings, rec: PhaseRecord, tokens: TokenSettings | None = None) -> PerformanceResult:
    """Compute figures and verdict of a performance phase from its record.

    ``tokens``: the token-latency settings (off when None)."""
    tokens = tokens or TokenSettings()
    scen = eff.scenario
    spq = rec.plan.samples_per_query
    nq = rec.issued_queries
    start = rec.start_ns
    complete = rec.complete_ns
    done_mask = complete > 0
    errors = list(rec.errors)
    if nq and not done_mask.all() and not rec.failed:
        errors.append(f"{int((~done_mask).sum())} samples were never completed")

    lat_sorted, base, lag = _latencies(scen, rec, done_mask)
    stats = LatencyStats.of(lat_sorted)
    final_issued = int(rec.issue_ns[-1] - start) if nq else 0
    final_sched = int(rec.plan.scheduled_ns[nq - 1]) if nq else 0
    final_done = int(complete[done_mask].max() - start) if done_mask.any() else 0
    min_duration_met, dur_rec = _min_duration(eff, stats, final_sched, final_issued)
    min_queries_met = nq >= eff.min_query_count

    result = PerformanceResult(
        eff=eff,
        query_count=nq,
        sample_count=nq * spq,
        latency=stats,
        min_duration_met=min_duration_met,
        min_queries_met=min_queries_met,
        perf_constraints_met=None,
        early_stopping_met=True,
        early_stopping_lines=[],
        recommendations=[] if min_duration_met else [dur_rec],
        errors=errors,
        interrupted=rec.interrupted,
        final_query_issued_ns=final_issued,
        final_query_scheduled_ns=final_sched,
        final_query_all_samples_done_ns=final_done,
        end_message=rec.end_message,
        latencies_ns=lat_sorted,
        token_settings=tokens,
    )
    p = eff.target_latency_percentile
    result.target_percentile_latency = percentile(lat_sorted, p)
    if tokens.use:
        if base is None:
            first_issue = rec.issue_ns[0] if nq else start
            base = np.full(nq, first_issue, dtype=np.int64) if scen is TestScenario.Offline else rec.issue_ns
        per_sample_base = np.repeat(base, spq)[: len(done_mask)]
        count, ttft, tpot = token_latencies(rec, per_sample_base, done_mask)
        result.tokens = _token_result(count, np.sort(ttft), np.sort(tpot), int(done_mask.sum()), p, result, stats)

    if scen is TestScenario.Server:
        _server_figures(result, lag)
    elif scen is TestScenario.Offline:
        result.samples_per_second = (nq * spq) / (stats.max / 1e9) if stats.max else 0.0
        if tokens.infer:
            result.inferred_tokens_per_second = result.samples_per_second * tokens.scaling_factor
    else:
        _stream_figures(result)
    if not min_queries_met:
        result.recommendations.append(REC_QUERIES)
    return result


def _server_figures(result: PerformanceResult, lag: np.ndarray | None) -> None:
    """Server: the latency bound (or the token bounds), early stopping, rates, issue lag."""
    eff, tokens, nq = result.eff, result.token_settings, result.query_count
    p = eff.target_latency_percentile
    lat_sorted = result.latencies_ns
    target = eff.target_latency_ns
    over = int(np.count_nonzero(lat_sorted > target))
    result.overlatency_count = over
    if tokens.use:
        _token_server_verdict(result, nq, len(lat_sorted), p)
    else:
        # no answered query is no evidence of meeting the bound (a run whose SUT went silent)
        result.perf_constraints_met = len(lat_sorted) > 0 and result.target_percentile_latency <= target
        if not result.perf_constraints_met:
            result.recommendations.insert(0, REC_LATENCY)
        result.early_stopping_met, result.early_stopping_lines = _server_es_lines(nq, over, p)
    samples = result.sample_count
    final_done, final_sched = result.final_query_all_samples_done_ns, result.final_query_scheduled_ns
    result.completed_samples_per_sec = (samples - 1) / (final_done / 1e9) if final_done else 0.0
    if tokens.infer:
        result.inferred_tokens_per_second = result.completed_samples_per_sec * tokens.scaling_factor
    result.scheduled_samples_per_sec = (samples - 1) / (final_sched / 1e9) if final_sched else 0.0
    if lag is not None and len(lag):
        result.issue_lag_p50_ns = percentile(lag, 0.50)
        result.issue_lag_p99_ns = percentile(lag, 0.99)


def _stream_figures(result: PerformanceResult) -> None:
    """SingleStream/MultiStream: early stopping (on the token figures with token latencies)
    and its estimates, QPS with and without the LoadGen's overhead."""
    eff, nq, stats = result.eff, result.query_count, result.latency
    p = eff.target_latency_percentile
    single = eff.scenario is TestScenario.SingleStream
    if result.token_settings.use and result.tokens is not None:
        # as the official: early stopping on TPOT, then TTFT (the latter's estimates win)
        tk = result.tokens
        ok1, tk.tpot_es_lines, _, _ = _stream_es(tk.tpot_ns, p, single, nq)
        ok2, tk.ttft_es_lines, est, est99 = (False, [], None, None)
        if ok1:
            ok2, tk.ttft_es_lines, est, est99 = _stream_es(tk.ttft_ns, p, single, nq)
        ok = ok1 and ok2
        lines = ["TPOT:"] + tk.tpot_es_lines + (["TTFT:"] + tk.ttft_es_lines if tk.ttft_es_lines else [])
    else:
        ok, lines, est, est99 = _stream_es(result.latencies_ns, p, single)
    result.early_stopping_met = ok
    result.early_stopping_lines = lines
    if single:
        result.es_latency_ss, result.es_latency_ms = est, est99
    else:
        result.es_latency_ms = est
    total = result.final_query_all_samples_done_ns / 1e9
    result.qps_with_overhead = nq / total if total else 0.0
    result.qps_without_overhead = 1e9 / stats.mean if stats.mean else 0.0


def _token_result(count: int, ttft: np.ndarray, tpot: np.ndarray, n_lat: int, p: float,
                  r: PerformanceResult, stats: LatencyStats) -> TokenResult:
    """Statistics and rates of the token figures (means and percentiles over ``n_lat``, the
    completed sample count, as the official's)."""
    tk = TokenResult(count, LatencyStats.of(ttft, n_lat), LatencyStats.of(tpot, n_lat), ttft_ns=ttft, tpot_ns=tpot)
    if len(ttft):
        tk.ttft_target = int(ttft[min(int(n_lat * p), len(ttft) - 1)])
        tk.tpot_target = int(tpot[min(int(n_lat * p), len(tpot) - 1)])
    done_s = r.final_query_all_samples_done_ns / 1e9
    issued_s = r.final_query_issued_ns / 1e9
    tk.completed_tokens_per_sec = count / done_s if done_s else 0.0
    tk.tokens_per_sec_with_overhead = count / issued_s if issued_s else 0.0
    n = r.sample_count
    tk.tokens_per_sec_without_overhead = count / (stats.mean / 1e9 * n) if stats.mean and n else 0.0
    tk.token_throughput = count / (stats.mean * n_lat) if stats.mean and n_lat else 0.0
    tk.tokens_per_second = count / (stats.max / 1e9) if stats.max else 0.0
    return tk


def _token_server_verdict(r: PerformanceResult, nq: int, n_lat: int, p: float) -> None:
    """Server with token latencies: the TTFT and TPOT bounds at the Server percentile, and
    early stopping on TPOT then (only if that passed, as the official) on TTFT."""
    ts, tk = r.token_settings, r.tokens
    assert tk is not None
    texts = []
    if tk.ttft_target > ts.ttft_latency_ns:
        texts.append(REC_TTFT)
    if tk.tpot_target > ts.tpot_latency_ns:
        texts.append(REC_TPOT)
    r.perf_constraints_met = n_lat > 0 and len(tk.ttft_ns) > 0 and not texts
    if texts:  # one recommendation; a second constraint continues it on its own line
        r.recommendations.insert(0, "\n * ".join(texts))
    elif not r.perf_constraints_met:
        r.recommendations.insert(0, REC_LATENCY)
    tpot_over = int(np.count_nonzero(tk.tpot_ns > ts.tpot_latency_ns))
    ok, tk.tpot_es_lines = _server_es_lines(nq, tpot_over, p)
    if ok:
        ttft_over = int(np.count_nonzero(tk.ttft_ns > ts.ttft_latency_ns))
        ok, tk.ttft_es_lines = _server_es_lines(nq, ttft_over, p)
    r.early_stopping_met = ok
    # for ``reasons`` (the writers print the two results from ``tk``)
    r.early_stopping_lines = ["TPOT:"] + tk.tpot_es_lines + (["TTFT:"] + tk.ttft_es_lines if tk.ttft_es_lines else [])


def performance_metrics(r: PerformanceResult) -> dict[str, float]:
    """The figures of a result by name (``TestResult.metrics``)."""
    m: dict[str, float] = {
        "query_count": r.query_count,
        "sample_count": r.sample_count,
        "min_latency_ns": r.latency.min,
        "max_latency_ns": r.latency.max,
        "mean_latency_ns": r.latency.mean,
    }
    for p in PERCENTILES:
        m[f"p{p * 100:g}_latency_ns"] = r.latency.percentiles[p]
    s = r.eff.scenario
    if s is TestScenario.Offline:
        m["samples_per_second"] = r.samples_per_second
    elif s is TestScenario.Server:
        m["completed_samples_per_sec"] = r.completed_samples_per_sec
        m["scheduled_samples_per_sec"] = r.scheduled_samples_per_sec
        m["overlatency_query_count"] = r.overlatency_count
        if r.issue_lag_p50_ns is not None:
            m["issue_lag_p50_ns"] = r.issue_lag_p50_ns
            m["issue_lag_p99_ns"] = r.issue_lag_p99_ns
    else:
        m["qps_with_loadgen_overhead"] = r.qps_with_overhead
        m["qps_without_loadgen_overhead"] = r.qps_without_overhead
        if r.es_latency_ss is not None:
            m["early_stopping_latency_ss"] = r.es_latency_ss
        if r.es_latency_ms is not None:
            m["early_stopping_latency_ms"] = r.es_latency_ms
    tk = r.tokens
    if tk is not None:
        m["token_count"] = tk.token_count
        if s is TestScenario.Offline:
            m["tokens_per_second"] = tk.tokens_per_second
        else:
            m["completed_tokens_per_sec"] = tk.completed_tokens_per_sec
            for name, st in (("ttft", tk.ttft), ("tpot", tk.tpot)):
                m[f"min_{name}_ns"], m[f"max_{name}_ns"], m[f"mean_{name}_ns"] = st.min, st.max, st.mean
                for p in PERCENTILES:
                    m[f"p{p * 100:g}_{name}_ns"] = st.percentiles[p]
    if r.inferred_tokens_per_second is not None:
        m["inferred_tokens_per_second"] = r.inferred_tokens_per_second
    m["result_metric"] = r.metric_value
    return m

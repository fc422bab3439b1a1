"""Metrics and verdict of a performance phase: pure functions of the recorded arrays.

Percentiles use the official indexing (sort, take element ``int(n * p)``, no
interpolation). Validity follows the official rules: minimum duration, minimum
query count, the Server latency constraint and early stopping, plus mlpace's own
run faults (a SUT that raised, answered a wrong id, or went silent), each with
the official recommendation text where one exists and a plain reason always.
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
    def of(cls, sorted_lat: np.ndarray) -> "LatencyStats":
        if len(sorted_lat) == 0:
            return cls(0, 0, 0, {p: 0 for p in PERCENTILES})
        return cls(
            int(sorted_lat[0]),
            int(sorted_lat[-1]),
            int(sorted_lat.mean()),
            {p: percentile(sorted_lat, p) for p in PERCENTILES},
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
        if self.perf_constraints_met is False:
            out.append(
                f"latency constraint not met: {pct_label(eff.target_latency_percentile)}th percentile "
                f"{self.target_percentile_latency} ns > target_latency_ns={eff.target_latency_ns}"
            )
        if not self.early_stopping_met:
            out.append("early stopping not satisfied: " + " ".join(l.strip(" *") for l in self.early_stopping_lines))
        return out


def evaluate(eff: EffectiveSettings, rec: PhaseRecord) -> PerformanceResult:
    """Compute figures and verdict of a performance phase from its record."""
    scen = eff.scenario
    spq = rec.plan.samples_per_query
    nq = rec.issued_queries
    start = rec.start_ns
    complete = rec.complete_ns
    done_mask = complete > 0
    errors = list(rec.errors)
    if nq and not done_mask.all() and not rec.failed:
        errors.append(f"{int((~done_mask).sum())} samples were never completed")

    issue_rel = rec.issue_ns - start
    if scen is TestScenario.Server:
        sched_abs = start + rec.plan.scheduled_ns[:nq]
        lat = complete - sched_abs
        lag = np.sort(rec.issue_ns - sched_abs) if nq else np.zeros(0, dtype=np.int64)
    elif scen is TestScenario.Offline:
        lat = complete - (rec.issue_ns[0] if nq else start)
        lag = None
    elif scen is TestScenario.MultiStream:
        per_q = complete[: nq * spq].reshape(nq, spq)
        qdone = per_q.max(axis=1)
        lat = np.where(per_q.min(axis=1) > 0, qdone - rec.issue_ns, 0)
        lag = None
    else:
        lat = complete - rec.issue_ns
        lag = None
    if scen is not TestScenario.MultiStream:
        lat = lat[done_mask[: len(lat)]]
    else:
        lat = lat[lat > 0] if len(lat) else lat
    lat_sorted = np.sort(lat)
    stats = LatencyStats.of(lat_sorted)
    n_lat = len(lat_sorted)

    final_issued = int(issue_rel[-1]) if nq else 0
    final_sched = int(rec.plan.scheduled_ns[nq - 1]) if nq else 0
    final_done = int(complete[done_mask].max() - start) if done_mask.any() else 0

    min_ns = eff.min_duration_ms * 1_000_000
    recs: list[str] = []
    if scen is TestScenario.Offline:
        min_duration_met = stats.max >= min_ns
        dur_rec = REC_OFFLINE_DURATION
    elif scen is TestScenario.Server:
        min_duration_met = final_sched >= min_ns
        dur_rec = REC_SERVER_DURATION
    else:
        min_duration_met = final_issued >= min_ns
        dur_rec = REC_SS_MS_DURATION
    min_queries_met = nq >= eff.min_query_count
    if not min_duration_met:
        recs.append(dur_rec)

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
        recommendations=recs,
        errors=errors,
        interrupted=rec.interrupted,
        final_query_issued_ns=final_issued,
        final_query_scheduled_ns=final_sched,
        final_query_all_samples_done_ns=final_done,
        end_message=rec.end_message,
        latencies_ns=lat_sorted,
    )
    p = eff.target_latency_percentile
    result.target_percentile_latency = percentile(lat_sorted, p)

    if scen is TestScenario.Server:
        target = eff.target_latency_ns
        # no answered query is no evidence of meeting the bound (a run whose SUT went silent)
        result.perf_constraints_met = n_lat > 0 and result.target_percentile_latency <= target
        if not result.perf_constraints_met:
            recs.append(REC_LATENCY)
        over = int(np.count_nonzero(lat_sorted > target))
        result.overlatency_count = over
        es = server_early_stopping(nq, over, p)
        result.early_stopping_met = es.ok
        if es.ok:
            result.early_stopping_lines = [" * Run successful."]
        else:
            result.early_stopping_lines = [
                " * Run unsuccessful.",
                f" * Processed {nq} queries.",
                f" * Would need to run at least {es.more_needed} more queries,",
                " with the run being successful if every additional",
                " query were under latency.",
            ]
        samples = nq * spq
        result.completed_samples_per_sec = (samples - 1) / (final_done / 1e9) if final_done else 0.0
        result.scheduled_samples_per_sec = (samples - 1) / (final_sched / 1e9) if final_sched else 0.0
        if lag is not None and len(lag):
            result.issue_lag_p50_ns = percentile(lag, 0.50)
            result.issue_lag_p99_ns = percentile(lag, 0.99)
    elif scen is TestScenario.Offline:
        result.samples_per_second = (nq * spq) / (stats.max / 1e9) if stats.max else 0.0
    else:
        es = stream_early_stopping(n_lat, p)
        result.early_stopping_met = es.ok
        label = pct_label(p)
        if es.ok:
            est = int(lat_sorted[es.estimate_index])
            lines = [
                f" * Processed at least {es.min_queries} queries ({n_lat}).",
                f" * Would discard {es.discarded} highest latency queries.",
                f" * Early stopping {label}th percentile estimate: {est}",
            ]
            if scen is TestScenario.SingleStream:
                result.es_latency_ss = est
                es99 = stream_early_stopping(n_lat, 0.99)
                if es99.ok:
                    result.es_latency_ms = int(lat_sorted[es99.estimate_index])
                    lines.append(f" * Early stopping 99.0th percentile estimate: {result.es_latency_ms}")
                else:
                    lines.append(
                        " * Not enough queries processed for 99.0th percentile\n"
                        " early stopping estimate (would need to process at\n"
                        f" least {es99.min_queries} total queries)."
                    )
            else:
                result.es_latency_ms = est
            result.early_stopping_lines = lines
        else:
            result.early_stopping_lines = [
                f" * Only processed {n_lat} queries.",
                f" * Need to process at least {es.min_queries} queries for early stopping.",
            ]
        total = final_done / 1e9
        result.qps_with_overhead = nq / total if total else 0.0
        result.qps_without_overhead = 1e9 / stats.mean if stats.mean else 0.0
    if not min_queries_met:
        recs.append(REC_QUERIES)
    return result

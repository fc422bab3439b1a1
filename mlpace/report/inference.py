"""The report document of one LoadGen run folder (mlpace's or the official LoadGen's).

Verdict with each check and the numbers behind it, settings, latency histogram and CDF,
latency and throughput over time (from the trace), issue lag, TTFT/TPOT, the
FindPeakPerformance search path and accuracy, each when the folder holds the data.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np

from mlpace.loadgen.results import PERCENTILES
from mlpace.report.document import Figure, Mark, Report, Section, Table, Text, series
from mlpace.report.run_data import RunData, load_run
from mlpace.report.stats import window_throughputs

# The official FindPeakPerformance progress messages: what each names as tried, and the lower
# bound (the best QPS that met the bound so far) that each carries.
_NUM = r"([\d.e+-]+)"
_TRIED = [re.compile(r"Check validity of the base settings field: " + _NUM + "$"),
          re.compile(r"FindBoundaries: Checking fields \[" + _NUM + ", " + _NUM + r"\)$"),
          re.compile(r"Testing the mid value of bounds \[" + _NUM + ", " + _NUM + r"\): " + _NUM + "$")]
_LOWER = [re.compile(r"FindBoundaries: Checking fields \[" + _NUM + ","),
          re.compile(r"Found boundaries: \[" + _NUM + ","),
          re.compile(r"Testing the mid value of bounds \[" + _NUM + ","),
          re.compile(r"Found peak performance field: " + _NUM + "$")]


def _peak_tries(messages: list[str]) -> list[tuple[float, bool]]:
    """(QPS tried, met the latency bound) per full run of the search, from the official
    messages alone: a try met the bound when the next message carries it as the lower bound."""
    steps = []  # (tried value as logged or None, lower bound the message carries or None)
    for text in messages:
        tried = next((m.groups()[-1] for rx in _TRIED if (m := rx.search(text))), None)
        lower = next((m.group(1) for rx in _LOWER if (m := rx.search(text))), None)
        if tried is not None or lower is not None:
            steps.append((tried, lower))
    tries = []
    for i, (tried, _) in enumerate(steps):
        if tried is None:
            continue
        nxt = steps[i + 1][1] if i + 1 < len(steps) else None
        tries.append((float(tried), nxt is not None and float(nxt) == float(tried)))
    return tries


def _ms(ns) -> float | None:
    return None if ns is None else float(ns) / 1e6


def latency_figures(lat_ns: np.ndarray, what: str, marks: dict[str, float], bound_ns: float | None,
                    source: str) -> list[Figure]:
    """Histogram and CDF of latencies (ns in, ms drawn); log x only when the spread is > 20x."""
    lat = np.sort(np.asarray(lat_ns, dtype=np.float64)) / 1e6
    lo, hi = max(lat[0], 1e-6), max(lat[-1], 1e-6)
    log = hi / lo > 20
    edges = np.geomspace(lo, hi * 1.0001, 61) if log else np.linspace(lo, hi * 1.0001 + 1e-9, 61)
    counts, _ = np.histogram(lat, bins=edges)
    pmarks = [Mark(k, v / 1e6) for k, v in marks.items()]
    if bound_ns:
        pmarks.append(Mark("latency bound", bound_ns / 1e6, kind="bound"))
    # CDF: 400 evenly spaced fractions plus the tail up to the largest value
    probs = np.unique(np.concatenate([np.linspace(0, 1, 401), 1 - np.geomspace(1e-2, 1 / len(lat), 60)]))
    xs = lat[np.minimum((probs * len(lat)).astype(np.int64), len(lat) - 1)]
    hist = Figure("latency-histogram", f"{what} latency distribution", "histogram", "latency (ms)",
                  f"{what}s per bin", [series(what + "s", edges, counts)], pmarks, x_log=log,
                  caption=f"{len(lat):,} {what}s ({source}); x axis {'logarithmic' if log else 'linear'}.")
    cdf = Figure("latency-cdf", f"{what} latency CDF", "step", "latency (ms)", f"fraction of {what}s ≤ latency",
                 [series("CDF", xs, probs)], pmarks, x_log=log,
                 caption="Fraction of samples at or below each latency; dashed lines: reported percentiles.")
    return [hist, cdf]


def _over_time(run: RunData, windows: int = 40) -> list[Figure]:
    rec = run.records
    t, lat = rec.time_s, rec.latency_ns / 1e6
    if len(t) < 20 or t.max() <= 0:
        return []
    edges = np.linspace(0, t.max() * 1.000001, windows + 1)
    which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, windows - 1)
    centres, p50, p99, mx = [], [], [], []
    for w in range(windows):
        v = lat[which == w]
        if len(v):
            v = np.sort(v)
            centres.append((edges[w] + edges[w + 1]) / 2)
            p50.append(v[int(len(v) * 0.5)])
            p99.append(v[min(int(len(v) * 0.99), len(v) - 1)])
            mx.append(v[-1])
    spread = max(mx) / max(min(p50), 1e-9)
    lines = [series("p50 per window", centres, p50), series("p99 per window", centres, p99)]
    if len(t) / windows >= 200:  # with fewer samples per window p99 is the maximum
        lines.append(series("max per window", centres, mx, style="dim"))
    figs = [Figure("latency-over-time", "Latency over the run", "line", "time since first issue (s)", "latency (ms)",
                   lines, y_log=spread > 50,
                   caption=f"{windows} equal time windows by issue time; latency from actual issue (trace).")]
    official = not str(run.last("loadgen_version") or "").startswith("mlpace")
    if run.scenario == "Server" and official and rec.issue_start_ns is not None:
        lag_us = rec.issue_start_ns / 1e3
        l50, l99 = [], []
        for w in range(windows):
            v = np.sort(lag_us[which == w])
            if len(v):
                l50.append(v[int(len(v) * 0.5)])
                l99.append(v[min(int(len(v) * 0.99), len(v) - 1)])
        figs.append(Figure("issue-lag-over-time", "Issue lag over the run", "line", "time since first issue (s)",
                           "issue lag (µs)", [series("p50 per window", centres, l50),
                                              series("p99 per window", centres, l99)],
                           caption="Actual − scheduled issue time of each sample (the official trace's "
                                   "issue_start_ns); a growing lag means the load generator fell behind."))
    thr = window_throughputs(rec.completions_s(), 20)
    if len(thr):
        c = rec.completions_s()
        e = np.linspace(c[0], c[-1], 21)
        figs.append(Figure("throughput-over-time", "Throughput over the run", "line", "time since first issue (s)",
                           "completed samples/s", [series("per window", (e[:-1] + e[1:]) / 2, thr)],
                           caption="Completions per second in 20 equal windows between first and last completion."))
    return figs


def _checks(run: RunData) -> Table:
    d, s = run, run.summary
    rows, styles = [], []

    def add(name, required, measured, met):
        rows.append([name, required, measured, "yes" if met else ("NO" if met is not None else "-")])
        styles.append("" if met is None else ("good" if met else "bad"))

    dur = None
    b, e = d.last("power_begin"), d.last("power_end")
    if b and e:
        try:
            fmt = "%m-%d-%Y %H:%M:%S.%f"
            dur = (_dt.datetime.strptime(e, fmt) - _dt.datetime.strptime(b, fmt)).total_seconds()
        except ValueError:
            dur = None
    if d.last("result_min_duration_met") is not None:
        add("min duration", f"{d.last('effective_min_duration_ms')} ms",
            f"≈ {dur:.3f} s (power_begin→power_end)" if dur is not None else "-", bool(d.last("result_min_duration_met")))
    if d.last("result_min_queries_met") is not None:
        add("min queries", f"{d.last('effective_min_query_count')}", f"{d.last('result_query_count')}",
            bool(d.last("result_min_queries_met")))
    if s.scenario == "Server" and d.last("result_perf_constraints_met") is not None:
        pct = d.last("effective_target_latency_percentile") or 0.99
        lat = d.last(f"result_{pct * 100:.2f}_percentile_latency_ns")
        add(f"p{pct * 100:g} latency ≤ bound", f"{_ms(d.last('effective_target_latency_ns')):g} ms",
            f"{_ms(lat):.3f} ms; {d.last('result_overlatency_query_count')} queries over" if lat else "-",
            bool(d.last("result_perf_constraints_met")))
    es = d.last("early_stopping_met")
    if es is not None:
        text = d.last("early_stopping_result") or d.last("early_stopping_tpot_result") or ""
        add("early stopping", "see the official rule", " ".join(str(text).split())[:300] or "-", bool(es))
    errors = d.last("num_errors")
    if errors is not None:
        add("errors", "0", str(errors), errors == 0)
    return Table(["check", "required", "measured", "met"], rows, styles)


def _reasons(run: RunData) -> list[str]:
    out = [r.lstrip(" *") for r in run.summary.recommendations]
    for key in ("error_runtime", "error_invalid_config", "error_invalid_test_settings"):
        out += [str(v) for v in run.detail.get(key, [])]
    reason = run.last("result_invalid_reason")
    if reason and str(reason).strip() and str(reason).strip() not in " ".join(out):
        out.append(str(reason).strip())
    return out


def _peak_path(run: RunData) -> list:
    tries = _peak_tries([str(v) for v in run.detail.get("generic_message", [])])
    if not tries:
        return []
    fig = Figure("findpeak-path", "FindPeakPerformance search", "scatter", "attempt", "target QPS",
                 [series("meets the bound", [i + 1 for i, (_, ok) in enumerate(tries) if ok],
                         [q for q, ok in tries if ok]),
                  series("misses the bound", [i + 1 for i, (_, ok) in enumerate(tries) if not ok],
                         [q for q, ok in tries if not ok])],
                 caption="Each full Server run of the search, in order; the peak is the highest QPS that met it.")
    table = Table(["attempt", "target QPS", "latency bound"],
                  [[i + 1, q, "meets" if ok else "misses"] for i, (q, ok) in enumerate(tries)],
                  ["good" if ok else "bad" for _, ok in tries])
    return [table, fig]


def _token_section(run: RunData) -> Section | None:
    d = run.detail
    rows, pct_vals = [], {"TTFT": {}, "TPOT": {}}
    for name, key in (("TTFT", "result_first_token_{:.2f}_percentile_latency_ns"),
                      ("TPOT", "result_time_per_output_token_{:.2f}_percentile_ns")):
        for p in PERCENTILES:
            v = d.get(key.format(p * 100))
            if v:
                pct_vals[name][p] = v[-1] / 1e6
    if not any(pct_vals.values()):
        return None
    for p in PERCENTILES:
        rows.append([f"p{p * 100:g}", pct_vals["TTFT"].get(p), pct_vals["TPOT"].get(p)])
    blocks = [Table(["percentile", "TTFT (ms)", "TPOT (ms)"], rows)]
    labels = [f"p{p * 100:g}" for p in PERCENTILES]
    for name in ("TTFT", "TPOT"):
        if pct_vals[name]:
            blocks.append(Figure(f"{name.lower()}-percentiles", f"{name} percentiles", "bar", "percentile", f"{name} (ms)",
                                 [series(name, [], [pct_vals[name].get(p, 0.0) for p in PERCENTILES], labels=labels)],
                                 caption=f"{name} percentiles from the detail log (per-sample values are not logged)."))
    return Section("Token latencies (TTFT / TPOT)", blocks)


def inference_report(folder, latencies_ns: np.ndarray | None = None) -> Report:
    """The document for a run folder. ``latencies_ns`` (sorted, from a run in memory) stands in
    for the trace's per-sample latencies when the folder has no trace."""
    run = load_run(folder)
    s, d = run.summary, run.detail
    title = f"{s.sut_name or 'SUT'} — {s.scenario} — {s.mode}"
    sections: list[Section] = []
    sections.append(Section("Verdict: each check and its numbers", [_checks(run)]))

    figs = [["figure", "value"]]
    rows = []
    if s.metric_name:
        rows.append([s.metric_name, s.metric_value])
    for pct, est in sorted(s.early_stopping.items()):
        rows.append([f"early-stopping p{pct:g} estimate (ms)", est / 1e6])
    for p in PERCENTILES:
        v = run.last(f"result_{p * 100:.2f}_percentile_latency_ns")
        if v is not None:
            rows.append([f"p{p * 100:g} latency (ms)", v / 1e6])
    for key, label in (("result_min_latency_ns", "min latency (ms)"), ("result_mean_latency_ns", "mean latency (ms)"),
                       ("result_max_latency_ns", "max latency (ms)")):
        if run.last(key) is not None:
            rows.append([label, run.last(key) / 1e6])
    if run.last("result_query_count") is not None:
        rows.append(["queries", int(run.last("result_query_count"))])
    lag50, lag99 = run.last("mlpace_issue_lag_p50_ns"), run.last("mlpace_issue_lag_p99_ns")
    if lag50 is not None:
        rows.append(["issue lag p50 / p99 (µs, actual − scheduled issue)", f"{lag50 / 1e3:,.1f} / {lag99 / 1e3:,.1f}"])
    sections.append(Section("Figures", [Table(figs[0], rows)]))

    bound = run.last("effective_target_latency_ns") if s.scenario == "Server" else None
    what = "query" if s.scenario == "MultiStream" else "sample"
    lat_blocks: list = []
    if run.records is not None:
        lat = run.records.latency_ns
        marks = {f"p{p * 100:g}": float(np.sort(lat)[min(int(len(lat) * p), len(lat) - 1)]) for p in (0.5, 0.9, 0.99)}
        lat_blocks += latency_figures(lat, what, marks, bound, "trace: from actual issue to completion")
        lat_blocks += _over_time(run)
        if s.scenario == "Server":
            lat_blocks.append(Text(["Trace latencies count from each sample's actual issue; the Server figures in "
                                    "the table count from its scheduled time."], "note"))
    elif latencies_ns is not None and len(latencies_ns):
        marks = {f"p{p * 100:g}": float(run.last(f"result_{p * 100:.2f}_percentile_latency_ns") or 0)
                 for p in (0.5, 0.9, 0.99)}
        lat_blocks += latency_figures(np.asarray(latencies_ns), what, marks, bound, "this run, in memory")
        lat_blocks.append(Text(["Latency over time needs the trace: run with --trace."], "note"))
    else:
        pcts = {p: run.last(f"result_{p * 100:.2f}_percentile_latency_ns") for p in PERCENTILES}
        pcts = {p: v for p, v in pcts.items() if v is not None}
        if pcts:
            lat_blocks.append(Figure(
                "latency-percentiles", "Logged latency percentiles", "bar", "percentile", "latency (ms)",
                [series("latency", [], [v / 1e6 for v in pcts.values()], labels=[f"p{p * 100:g}" for p in pcts])],
                [Mark("latency bound", bound / 1e6, axis="y", kind="bound")] if bound and bound <= 3 * max(pcts.values()) else [],
                caption="No per-query records (no trace): the percentiles from the detail log."))
    if lat_blocks:
        sections.append(Section("Latency", lat_blocks))
    if tokens := _token_section(run):
        sections.append(tokens)
    if peak := _peak_path(run):
        sections.append(Section("FindPeakPerformance search path", peak))
    acc = run.folder / "accuracy.txt"
    if acc.is_file():
        sections.append(Section("Accuracy", [Text(acc.read_text(encoding="utf-8", errors="replace").splitlines(), "pre")]))
    settings = [[k[len("effective_"):], v] for k, v in ((k, vals[-1]) for k, vals in d.items()) if k.startswith("effective_")]
    if not settings:
        settings = [[k, v] for k, v in s.parameters.items()]
    sections.append(Section("Settings (effective)", [Table(["setting", "value"], [[k, str(v)] for k, v in settings])]))
    return Report("inference", title, verdict=s.result, reasons=_reasons(run), sections=sections,
                  source=str(run.folder))

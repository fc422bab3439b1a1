"""``mlpace compare`` on real runs: the same SUT twice is noise, a SUT made 20% slower is named;
runs without per-query records say that no CI is available; the bootstrap itself is checked
against brute-force resampling."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from mlpace import loadgen as lg
from mlpace.cli import main
from mlpace.report.compare import compare_paths
from mlpace.report.stats import mean_ratio_ci, percentile_ratio_ci, t_interval


# per-sample service times (a model whose cost depends on the input), in units of the base time
_COST = np.random.default_rng(5).lognormal(0.0, 0.3, 64)


class _SleepSUT:
    """Sleeps base × the sample's cost: the LoadGen's seeded sample order makes two runs of the
    same SUT ask for the same work, as a real model on the same data set does."""

    name = "sleep-sut"

    def __init__(self, seconds: float, varied: bool = True):
        self.seconds = seconds
        self.cost = _COST if varied else np.ones_like(_COST)

    def issue_queries(self, ids, indices):
        time.sleep(self.seconds * self.cost[indices[0]])
        lg.complete(ids)

    def flush_queries(self):
        pass


def _run(folder, seconds: float, varied: bool = True):
    settings = lg.TestSettings.make(scenario="SingleStream", mode="PerformanceOnly", min_duration_ms=500,
                                    min_query_count=300, single_stream_expected_latency_ns=int(seconds * 1e9))
    lg.start_test(_SleepSUT(seconds, varied), lg.SimpleQSL("q", 64, 64), settings,
                  lg.LogSettings(outdir=folder, enable_trace=True), audit_config=None)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    # "same": a SUT with varied per-sample cost, twice. "fixed"/"slow": a fixed 4 ms service time,
    # then 20% longer; its narrow distribution keeps the machine's wake-up jitter small next to 20%.
    return {"a": _run(root / "a", 0.004), "a2": _run(root / "a2", 0.004),
            "fixed": _run(root / "fixed", 0.004, varied=False), "slow": _run(root / "slow", 0.0048, varied=False)}


def test_same_sut_twice_is_no_significant_difference(runs, tmp_path, capsys):
    code = main(["compare", str(runs["a"]), str(runs["a2"]), "--html", str(tmp_path / "cmp.html")])
    out = capsys.readouterr().out
    assert code == 0
    assert "no significant difference" in out
    (pair,) = compare_paths([runs["a"], runs["a2"]])
    assert {r.metric for r in pair.rows} == {"throughput", "p50", "p90", "p99"}
    assert not any(r.significant for r in pair.rows)
    assert all(r.change.has_ci for r in pair.rows if r.metric != "p99")
    p99 = next(r for r in pair.rows if r.metric == "p99")  # ~300 samples: 3 beyond p99, no honest CI
    assert not p99.change.has_ci and p99.note.startswith("too few samples beyond p99")
    html = (tmp_path / "cmp.html").read_text()
    assert "no significant difference" in html and 'class="dim"' in html


def test_a_sut_made_20_percent_slower_is_named(runs, capsys):
    assert main(["compare", str(runs["fixed"]), str(runs["slow"])]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "significant:" in flat and "p50 latency +" in flat.split("significant:")[-1]
    (pair,) = compare_paths([runs["fixed"], runs["slow"]])
    p50 = next(r for r in pair.rows if r.metric == "p50")
    assert p50.significant and p50.direction == "worse"
    assert 0.10 < p50.change.change < 0.30 and p50.change.lo > 1.10  # sleeps 20% longer, beyond the floor


OFFICIAL_SS = textwrap.dedent("""
    import sys, time
    import mlperf_loadgen as lg
    delay = float(sys.argv[2])
    def issue(qs):
        time.sleep(delay)
        lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in qs])
    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(32, 32, lambda s: None, lambda s: None)
    s = lg.TestSettings()
    s.scenario = lg.TestScenario.SingleStream
    s.mode = lg.TestMode.PerformanceOnly
    s.single_stream_expected_latency_ns = int(delay * 1e9)
    s.min_duration_ms = 300
    s.min_query_count = 100
    ls = lg.LogSettings()
    ls.log_output.outdir = sys.argv[1]
    ls.enable_trace = False
    lg.StartTestWithLogSettings(sut, qsl, s, ls)
""")


def test_official_runs_without_trace_say_no_ci(tmp_path, capsys):
    folders = []
    for name, delay in (("a", "0.001"), ("b", "0.0015")):
        out = tmp_path / name
        out.mkdir()
        subprocess.run([sys.executable, "-c", OFFICIAL_SS, str(out), delay], check=True, cwd=out,
                       capture_output=True, timeout=60)
        folders.append(str(out))
    assert main(["compare", *folders]) == 0
    out = capsys.readouterr().out
    assert "no per-query records: CI not available" in out
    assert "no significant difference (4 metric(s) without a CI)" in out.replace("\n", " ")
    (pair,) = compare_paths(folders)
    p50 = next(r for r in pair.rows if r.metric == "p50")
    assert not p50.change.has_ci and p50.change.change > 0.2  # values still compared: 1.0 -> 1.5 ms
    # the page of such a folder plots the logged percentiles instead of a distribution
    from mlpace.report.build import build_report

    figs = {f.id: f for f in build_report(folders[0]).figures()}
    assert list(figs) == ["latency-percentiles"]
    assert figs["latency-percentiles"].series[0].y[0] == pytest.approx(p50.a)


def test_percentile_bootstrap_matches_brute_force_resampling():
    rng = np.random.default_rng(3)
    a = rng.lognormal(0, 0.4, 80) * 1e6  # < 100 samples: blocks of one, a plain bootstrap
    b = rng.lognormal(0, 0.4, 90) * 1.1e6
    ch = percentile_ratio_ci(a, b, 0.9, resamples=4000)
    ra = np.sort(a[rng.integers(0, 80, (4000, 80))], axis=1)[:, int(80 * 0.9)]
    rb = np.sort(b[rng.integers(0, 90, (4000, 90))], axis=1)[:, int(90 * 0.9)]
    lo, hi = np.quantile(rb / ra, [0.025, 0.975])
    assert ch.lo == pytest.approx(lo, rel=0.03) and ch.hi == pytest.approx(hi, rel=0.03)
    assert ch.a == np.sort(a)[72] and ch.b == np.sort(b)[81]  # LoadGen's sorted[int(n*p)]


def test_mean_ratio_and_t_interval():
    same = mean_ratio_ci([100, 101, 99, 100], [100, 99, 101, 100], "runs")
    assert same.has_ci and not same.significant(0.0)
    up = mean_ratio_ci([100, 101, 99, 100], [120, 121, 119, 120], "runs")
    assert up.significant(0.05) and up.lo > 1.15
    mean, lo, hi = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and hi - mean == pytest.approx(4.302653 / np.sqrt(3), rel=1e-5)
    assert t_interval([5.0])[1:] == (None, None)

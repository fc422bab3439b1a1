"""Schedules bit for bit: mlpace draws the same samples, arrivals and counts as the official LoadGen.

One subprocess runs every case below on the official ``mlperf_loadgen`` 6.0.17
(``harnesses/official_plan.py``: a QSL that records its load calls, an SUT that
records each query's sample indices and answers at once, trace on), another
runs the same harness on ``mlpace.compat``. The tests then check, per case:

* ``schedule`` against the official logs: the loaded sets, ``generated_query_count``
  and ``generated_query_duration`` of every phase, the QSL index of every sample
  by its sequence id (trace), the Server / Offline scheduled times to the
  nanosecond (trace), and the accuracy log's ``(seq_id, qsl_idx)`` pairs
  (accuracy mode, and the ``accuracy_log_probability`` / ``sampling_target``
  sampling of performance mode across phases);
* a real mlpace run (``mlpace.compat``) against the official run: the same load
  calls, the same sample indices in issue order, the same generated counts and
  the same accuracy-log pairs (over the samples both issued).

The cases cover every scenario in performance and accuracy mode with the
mlperf.conf seeds, ``performance_issue_unique`` / ``_same``, equal issue
(``sample_concatenate_permutation``), overrides of the sample counts, a 10k-query
Server timeline, and a 66k-sample shuffle (libstdc++'s one-draw-per-element path).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mlperf_loadgen  # noqa: F401  the official LoadGen must be installed: fail, never skip
import numpy as np
import pytest

from mlpace.loadgen import schedule
from mlpace.loadgen.effective import derive
from mlpace.loadgen.settings import TestSettings as Settings

HARNESS = Path(__file__).parent / "harnesses" / "official_plan.py"
SEEDS = dict(qsl_rng_seed=2085463073848966840, sample_index_rng_seed=2747215439041700203,
             schedule_rng_seed=16159082839903944936, accuracy_log_rng_seed=720381539243781796)

CASES = {
    "ss_perf": ("SingleStream", 500, 64, dict(min_duration_ms=100, min_query_count=50,
                                              single_stream_expected_latency_ns=1_000_000)),
    "ss_submission_sampled": ("SingleStream", 70, 32, dict(
        mode="SubmissionRun", min_duration_ms=50, min_query_count=20,
        single_stream_expected_latency_ns=2_000_000, accuracy_log_probability=0.2)),
    "ms_perf": ("MultiStream", 300, 50, dict(min_duration_ms=100, min_query_count=30,
                                             multi_stream_expected_latency_ns=2_000_000,
                                             multi_stream_samples_per_query=4)),
    "ms_accuracy": ("MultiStream", 45, 20, dict(mode="AccuracyOnly", multi_stream_samples_per_query=6)),
    "server_perf_sampling_target": ("Server", 1000, 100, dict(
        min_duration_ms=1000, min_query_count=100, server_target_qps=3000,
        accuracy_log_sampling_target=200)),
    "server_10k": ("Server", 5000, 1024, dict(min_duration_ms=500, min_query_count=100,
                                              server_target_qps=20000)),
    "server_accuracy": ("Server", 90, 40, dict(mode="AccuracyOnly", server_target_qps=500)),
    "offline_perf": ("Offline", 200, 64, dict(min_duration_ms=100, min_query_count=1,
                                              offline_expected_qps=3000)),
    "offline_perf_sampling_target": ("Offline", 200, 64, dict(min_duration_ms=100, offline_expected_qps=3000,
                                                              accuracy_log_sampling_target=50)),
    "offline_accuracy": ("Offline", 150, 64, dict(mode="AccuracyOnly", offline_expected_qps=1000)),
    "offline_accuracy_66k": ("Offline", 66_000, 66_000, dict(mode="AccuracyOnly")),
    "ss_unique": ("SingleStream", 300, 40, dict(min_duration_ms=50, min_query_count=10,
                                                performance_issue_unique=True)),
    "ss_same": ("SingleStream", 300, 40, dict(min_duration_ms=50, min_query_count=10,
                                              performance_issue_same=True, performance_issue_same_index=5)),
    "ms_unique": ("MultiStream", 300, 40, dict(min_duration_ms=50, min_query_count=10,
                                               performance_issue_unique=True, multi_stream_samples_per_query=4)),
    "offline_unique": ("Offline", 300, 40, dict(min_duration_ms=50, offline_expected_qps=2000,
                                                performance_issue_unique=True)),
    "offline_same": ("Offline", 300, 40, dict(min_duration_ms=50, offline_expected_qps=2000,
                                              performance_issue_same=True, performance_issue_same_index=3)),
    "server_unique": ("Server", 300, 40, dict(min_duration_ms=50, min_query_count=10,
                                              server_target_qps=1000, performance_issue_unique=True)),
    "ss_equal_issue": ("SingleStream", 300, 37, dict(min_duration_ms=100, min_query_count=10,
                                                     sample_concatenate_permutation=True,
                                                     single_stream_expected_latency_ns=1_000_000)),
    "ss_equal_issue_small_qsl": ("SingleStream", 30, 100, dict(min_duration_ms=100, min_query_count=10,
                                                               sample_concatenate_permutation=True,
                                                               single_stream_expected_latency_ns=1_000_000)),
    "server_equal_issue": ("Server", 300, 37, dict(min_duration_ms=100, min_query_count=10,
                                                   sample_concatenate_permutation=True, server_target_qps=2000)),
    "offline_equal_issue": ("Offline", 300, 37, dict(min_duration_ms=100, sample_concatenate_permutation=True,
                                                     offline_expected_qps=2000)),
    "ms_equal_issue": ("MultiStream", 300, 37, dict(min_duration_ms=100, min_query_count=10,
                                                    sample_concatenate_permutation=True,
                                                    multi_stream_samples_per_query=3,
                                                    multi_stream_expected_latency_ns=2_000_000)),
    "server_max_query_count": ("Server", 300, 37, dict(min_duration_ms=500, min_query_count=10,
                                                       max_query_count=50, server_target_qps=2000)),
    "ss_count_overrides": ("SingleStream", 50, 20, dict(
        mode="SubmissionRun", min_duration_ms=20, min_query_count=10, performance_sample_count_override=80,
        accuracy_sample_count_override=35, accuracy_log_probability=0.5)),
}


def _cases_json() -> list[dict]:
    return [{"name": name, "scenario": scen, "total": total, "performance": perf,
             "settings": {**SEEDS, **values}}
            for name, (scen, total, perf, values) in CASES.items()]


def _run_harness(module: str, root: Path) -> Path:
    cases = root / "cases.json"
    cases.write_text(json.dumps(_cases_json()))
    out = root / module
    env = {**os.environ, "HARNESS_LOADGEN": module}
    proc = subprocess.run([sys.executable, str(HARNESS), str(cases), str(out)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("official-schedules")
    return {"official": _run_harness("mlperf_loadgen", root), "mlpace": _run_harness("mlpace.compat", root)}


def _load(out: Path, name: str) -> dict:
    return json.loads((out / name / "plan.json").read_text())


def _mlpace_plans(name: str):
    """The phases mlpace's schedule generates for a case, with accuracy-log pairs."""
    scen, total, perf, values = CASES[name]
    values = {**SEEDS, **values}
    eff = derive(Settings.make(scenario=scen, **values), total, perf)
    mode = values.get("mode", "PerformanceOnly")
    phases, accuracy, seq = [], [], 0
    if mode in ("AccuracyOnly", "SubmissionRun"):
        for loaded in schedule.accuracy_sets(eff, total):
            plan = schedule.accuracy_plan(eff, loaded)
            phases.append((loaded, plan))
            accuracy += [[seq + i, int(x)] for i, x in enumerate(plan.sample_index)]
            seq += plan.sample_count
    if mode in ("PerformanceOnly", "SubmissionRun"):
        loaded = schedule.performance_set(eff, total)
        plan = schedule.performance_plan(eff, loaded)
        phases.append((loaded, plan))
        mask = schedule.accuracy_log_mask(eff, plan.sample_count, seq)
        if mask is not None:
            accuracy += [[seq + int(i), int(plan.sample_index[i])] for i in np.flatnonzero(mask)]
    return phases, accuracy


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_matches_the_official_logs(runs, name):
    official = _load(runs["official"], name)
    phases, accuracy = _mlpace_plans(name)
    assert official["loads"] == [loaded.tolist() for loaded, _ in phases]
    assert official["generated"]["generated_query_count"] == [p.query_count for _, p in phases]
    assert official["generated"]["generated_query_duration"] == [p.duration_ns for _, p in phases]
    assert official["generated"]["generated_samples_per_query"] == [p.samples_per_query for _, p in phases]
    trace = np.array(official["trace"], dtype=np.int64).reshape(-1, 4)  # seq, query, idx, ts
    seq0 = q0 = 0
    for _, plan in phases:
        rows = trace[(trace[:, 0] >= seq0) & (trace[:, 0] < seq0 + plan.sample_count)]
        assert len(rows) > 0
        np.testing.assert_array_equal(rows[:, 2], plan.sample_index[rows[:, 0] - seq0])
        np.testing.assert_array_equal(rows[:, 1] - q0, (rows[:, 0] - seq0) // plan.samples_per_query)
        if CASES[name][0] in ("Server", "Offline"):  # the others schedule each query when issued
            scheduled = plan.scheduled_ns[rows[:, 1] - q0]
            np.testing.assert_array_equal(rows[:, 3] - rows[0, 3], scheduled - scheduled[0])
        seq0 += plan.sample_count
        q0 += plan.query_count
    if CASES[name][3].get("mode", "PerformanceOnly") == "PerformanceOnly" and accuracy:
        issued = int(trace[:, 0].max()) + 1  # only issued samples reach the log
        accuracy = [a for a in accuracy if a[0] < issued]
    assert official["accuracy"] == sorted(accuracy)


@pytest.mark.parametrize("name", list(CASES))
def test_mlpace_run_matches_the_official_run(runs, name):
    official, ours = _load(runs["official"], name), _load(runs["mlpace"], name)
    assert ours["loads"] == official["loads"]
    assert ours["generated"] == official["generated"]
    a = [i for q in official["issued"] for i in q]
    b = [i for q in ours["issued"] for i in q]
    n = min(len(a), len(b))  # a stream run stops on the clock: compare what both issued
    assert n > 0 and a[:n] == b[:n]
    done = min(max((s for s, _ in official["accuracy"]), default=-1),
               max((s for s, _ in ours["accuracy"]), default=-1))
    if CASES[name][0] == "Offline" or CASES[name][3].get("mode") == "AccuracyOnly":
        assert ours["accuracy"] == official["accuracy"]
    else:
        assert [x for x in ours["accuracy"] if x[0] <= done] == [x for x in official["accuracy"] if x[0] <= done]


_DECODER = json.JSONDecoder()


def _raw_values(path: Path) -> list[tuple[str, str]]:
    """``(key, value as written)`` for every detail-log line: the number text itself."""
    out = []
    for line in path.read_text().splitlines():
        if line.startswith(":::MLLOG "):
            key = json.loads(line[len(":::MLLOG "):])["key"]
            at = line.index('"value": ') + len('"value": ')
            _, end = _DECODER.raw_decode(line, at)
            out.append((key, line[at:end]))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_detail_log_values_are_written_as_officially(runs, name):
    """Every requested_/effective_/generated_ value has the official text (``0.95``, ``500``,
    ``3333.33``, ``1e+06``); every measured float has at most 6 significant digits."""
    official = _raw_values(runs["official"] / name / "mlperf_log_detail.txt")
    ours = _raw_values(runs["mlpace"] / name / "mlperf_log_detail.txt")
    settled = ("requested_", "effective_", "generated_", "qsl_reported_")
    assert [kv for kv in ours if kv[0].startswith(settled)] == [kv for kv in official if kv[0].startswith(settled)]
    official_keys = {k for k, _ in official}
    for key, text in ours:
        if key.startswith("result_") and key in official_keys and re.fullmatch(r"-?[0-9]*[.e][0-9.e+-]*", text):
            assert "%.6g" % float(text) == text, (key, text)

"""The official early stops and binding edges, side by side with ``mlperf_loadgen``.

Each ``stop_*`` harness (``harnesses/stops.py``) reaches one stop long before the
minimum duration and query count: ``server_max_async_queries``, ``max_query_count``
(SingleStream and Server) and ``max_duration_ms`` (SingleStream and Server). Both
LoadGens must end issuing at the same query (exactly, where the rules make it
deterministic), log the same error, wait for the queries in flight (every issued
query answered and timed), and write the same verdict, flags, recommendations and
``result_invalid_reason``. ``fast_sut`` checks ``ConstructFastSUT`` in the one-sample
scenarios, ``server_coalesce`` ``server_coalesce_queries``,
``infer_tokens_*`` ``infer_token_latencies`` (Server and Offline), ``es_only_invalid``
a run INVALID through early stopping alone;
``api_vectors`` exercises ``VectorQuerySample``,
``VectorQuerySampleResponse`` and numpy integer ids.

The official module is imported, not skipped: without it these tests fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mlperf_loadgen  # noqa: F401 - the official LoadGen must be installed (mlcommons-loadgen)
import pytest

HARNESSES = Path(__file__).parent / "harnesses"
MODULES = {"official": "mlperf_loadgen", "mlpace": "mlpace.compat"}
MARKER = ":::MLLOG "


class Run:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.sidecar = json.loads((out / "harness.json").read_text())
        if not (out / "mlperf_log_summary.txt").is_file():  # logs in per-scenario sub-folders
            return
        self.summary = (out / "mlperf_log_summary.txt").read_text(encoding="utf-8")
        lines = (out / "mlperf_log_detail.txt").read_text(encoding="utf-8").splitlines()
        self.records = [json.loads(l[len(MARKER):]) for l in lines if l.startswith(MARKER)]
        self.detail: dict = {}
        for r in self.records:
            self.detail.setdefault(r["key"], r["value"])

    @property
    def errors(self) -> list[str]:
        return [r["value"] for r in self.records if r["metadata"]["is_error"]]

    @property
    def messages(self) -> list[str]:
        return [r["value"] for r in self.records if r["key"] == "generic_message"]

    def summary_block(self, start: str, end: str) -> list[str]:
        lines = self.summary.splitlines()
        i = lines.index(start)
        j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith(end))
        return lines[i:j]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    cache: dict[str, tuple[Run, Run]] = {}

    def run(name: str) -> tuple[Run, Run]:
        if name not in cache:
            runs = []
            for which in ("official", "mlpace"):
                out = tmp_path_factory.mktemp(f"{name}-{which}")
                env = dict(os.environ, HARNESS_LOADGEN=MODULES[which])
                proc = subprocess.run([sys.executable, str(HARNESSES / f"{name}.py"), str(out)], cwd=out,
                                      env=env, capture_output=True, text=True, timeout=120)
                assert proc.returncode == 0, f"{name} on {which} failed:\n{proc.stderr[-3000:]}"
                runs.append(Run(out))
            cache[name] = (runs[0], runs[1])
        return cache[name]

    return run


def _masked(text: str) -> str:
    return re.sub(r"duration_ns \d+", "duration_ns N", text)


STOPS = {
    # harness: (error as logged, masked; exact query count or None where timing decides)
    "stop_max_async": ("IssueQueryThread 0 Ending early: Too many outstanding queries. issued 4 outstanding 4", 4),
    "stop_max_queries_ss": ("IssueQueryThread 0 Ending early: Max query count reached. query_count 50", 50),
    "stop_max_queries_server": ("IssueQueryThread 0 Ending early: Max query count reached. query_count 50", 50),
    "stop_max_duration_ss": ("IssueQueryThread 0 Ending early: Max test duration reached. duration_ns N", None),
    "stop_max_duration_server": ("IssueQueryThread 0 Ending early: Max test duration reached. duration_ns N", None),
}


@pytest.mark.parametrize("name", list(STOPS))
def test_stop_logs_the_official_error_and_ends_at_the_same_query(both, name):
    official, ours = both(name)
    error, count = STOPS[name]
    for run in (official, ours):
        assert [_masked(e) if count is None else e for e in run.errors] == [error], run.errors
        assert run.detail["num_errors"] == 1
        assert not any(m.startswith("Ending") for m in run.messages), run.messages
        assert run.detail["result_validity"] == "INVALID"
        # every issued query was waited for and timed: none of the latencies is 0
        assert run.sidecar["answered"] == run.sidecar["issued"] == run.detail["result_query_count"]
        assert run.detail["result_min_latency_ns"] > 1_000_000  # (every SUT answer takes >= 1 ms)
        if count is not None:
            assert run.detail["result_query_count"] == count
    if count is None:  # the first query issued after 300 ms: the same count within timing noise
        a, b = official.detail["result_query_count"], ours.detail["result_query_count"]
        assert 0.6 < b / a < 1.6, (a, b)
        assert int(ours.errors[0].rsplit(" ", 1)[1]) > 300_000_000


@pytest.mark.parametrize("name", list(STOPS))
def test_stop_verdict_and_recommendations_match(both, name):
    official, ours = both(name)
    for key in ("result_validity", "result_min_duration_met", "result_min_queries_met",
                "result_perf_constraints_met", "early_stopping_met", "result_invalid_reason"):
        assert ours.detail.get(key) == official.detail.get(key), key
    recs = [run.summary_block("Recommendations:", "Early Stopping Result:") for run in (official, ours)]
    assert recs[1] == recs[0]
    if not official.detail["result_min_queries_met"]:
        assert "   See the detailed log for why this may have occurred." in recs[1]
    for label in ("Result is", "  Performance constraints satisfied", "  Min duration satisfied",
                  "  Min queries satisfied", "  Early stopping satisfied"):
        lines = [[l for l in run.summary.splitlines() if l.startswith(label)] for run in (official, ours)]
        assert lines[1] == lines[0], label


def test_vectors_and_numpy_ids_work_as_in_the_official(both):
    official, ours = both("api_vectors")
    for run in (official, ours):
        assert run.detail["result_validity"] == "VALID", run.summary
        assert run.sidecar["types"] == ["int"]  # a numpy id reads back as a plain int
        assert run.errors == []


def test_server_coalesce_queries_hands_every_due_arrival_in_one_call(both):
    """server_coalesce_queries: a SUT slower than the arrivals gets the due ones together;
    every generated query is issued and answered, and the verdicts agree."""
    official, ours = both("server_coalesce")
    for run in (official, ours):
        sizes = run.sidecar["sizes"]
        assert max(sizes) > 1 and len(sizes) < sum(sizes)  # coalesced calls
        assert sum(sizes) == run.detail["result_query_count"] == run.detail["generated_query_count"]
        assert run.errors == []
    assert ours.detail["result_validity"] == official.detail["result_validity"]
    assert ours.detail["requested_server_coalesce_queries"] is official.detail["requested_server_coalesce_queries"] is True
    a, b = (len(run.sidecar["sizes"]) / sum(run.sidecar["sizes"]) for run in (official, ours))
    assert 0.5 < b / a < 2.0, (a, b)  # calls per query, within timing noise


@pytest.mark.parametrize("name,key,label", [
    ("infer_tokens_server", "result_inferred_completed_tokens_per_second", "Completed tokens per second (inferred)"),
    ("infer_tokens_offline", "result_inferred_tokens_per_second", "Tokens per second (inferred)"),
])
def test_inferred_token_rate_matches_the_official(both, name, key, label):
    official, ours = both(name)
    def head(text):  # the lines above the verdict, numbers masked (the verdict may differ on a busy machine)
        lines = text.splitlines()
        return [re.sub(r"\d+(\.\d+)?(e[+-]\d+)?", "N", l) for l in lines[:lines.index(next(
            l for l in lines if l.startswith("Result is")))]]

    assert head(ours.summary) == head(official.summary)
    for run in (official, ours):
        rate = "result_completed_samples_per_sec" if "server" in name else "result_samples_per_second"
        assert run.detail[key] == pytest.approx(run.detail[rate] * run.sidecar["factor"], rel=1e-5)
        assert any(l.startswith(label + ": ") for l in run.summary.splitlines())
    def result_keys(run):  # (result_invalid_reason comes only with an INVALID run: a busy machine's)
        return {k for k in run.detail if k.startswith("result_")} - {"result_invalid_reason"}

    assert result_keys(ours) == result_keys(official)
    keys = [[r["key"] for r in run.records] for run in (official, ours)]
    for k in keys:  # the inferred rate follows the latency percentiles, as the official writes it
        assert k[k.index(key) - 1] == "result_99.90_percentile_latency_ns"


def test_invalid_through_early_stopping_alone_keeps_the_official_lines_and_adds_the_reason(both):
    """The official prints an empty "Recommendations:" and an empty result_invalid_reason; mlpace
    writes the same, and adds mlpace_early_stopping_reason with the numbers."""
    official, ours = both("es_only_invalid")
    for run in (official, ours):
        assert run.detail["result_validity"] == "INVALID"
        assert run.detail["result_min_duration_met"] is run.detail["result_min_queries_met"] is True
        assert run.detail["early_stopping_met"] is False
        assert run.detail["result_invalid_reason"] == ""
        assert run.summary_block("Recommendations:", "Early Stopping Result:") == ["Recommendations:"]
    assert "mlpace_early_stopping_reason" not in official.detail
    reason = ours.detail["mlpace_early_stopping_reason"]
    n = ours.detail["result_query_count"]
    assert f"of {n} queries took longer than target_latency_ns=100000000" in reason
    assert re.search(r"needs at least \d+ more queries", reason), reason


def test_fast_sut_gets_id_and_index_lists_in_one_sample_scenarios(both):
    """ConstructFastSUT's callback takes (ids, indices) in SingleStream and Server too."""
    official, ours = both("fast_sut")
    assert ours.sidecar["shapes"] == official.sidecar["shapes"] == [["list", 1, 1]]
    for scenario in ("SingleStream", "Server"):
        for run in (official, ours):
            summary = (run.out / scenario / "mlperf_log_summary.txt").read_text().splitlines()
            assert "Result is : VALID" in summary, (scenario, run.out)

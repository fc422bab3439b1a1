"""API edges of the engine: late completions, a SUT blocked in issue_queries, numpy ids,
the default timeout, and the process-wide settings a run touches (restored afterwards).
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import warnings

import numpy as np
import pytest

from mlpace import compat
from mlpace.loadgen import LogSettings, SimpleQSL, api, complete, start_test
from mlpace.loadgen.settings import TestSettings as Settings


def run(tmp_path, sut, **values):
    values = dict(dict(scenario="SingleStream", mode="PerformanceOnly", min_duration_ms=20,
                       min_query_count=100, single_stream_expected_latency_ns=1_000), **values)
    return start_test(sut, SimpleQSL("q", 64, 64), Settings.make(**values),
                      LogSettings(outdir=tmp_path), audit_config=None)


class InlineSUT:
    name = "InlineSUT"

    def __init__(self, convert=lambda ids: ids) -> None:
        self.convert = convert

    def issue_queries(self, ids, indices):
        complete(self.convert(ids))

    def flush_queries(self):
        pass


@pytest.mark.parametrize("convert", [lambda ids: ids[0], lambda ids: np.uint64(ids[0]),
                                     lambda ids: np.int64(ids[0]), lambda ids: int(ids[0])],
                         ids=["numpy-element", "uint64", "int64", "int"])
def test_complete_takes_a_numpy_scalar_id(tmp_path, convert):
    result = run(tmp_path, InlineSUT(convert))
    assert result.valid, result.reasons


def test_a_completion_after_its_test_ended_never_lands_in_the_next_test(tmp_path):
    """Test 1 gives up on a silent query (sut_timeout_ms); its answer arrives during test 2,
    which must stay VALID with no negative latency; the stray answer is ignored with a warning."""
    late_ids = []
    release = threading.Event()

    class AnswersQuery5Late:
        name = "Late"

        def issue_queries(self, ids, indices):
            if not late_ids:
                late_ids.append(ids.copy())

                def later():
                    release.wait(10)
                    complete(late_ids[0])

                threading.Thread(target=later, daemon=True).start()
                return
            complete(ids)

        def flush_queries(self):
            pass

    first = run(tmp_path / "1", AnswersQuery5Late(), sut_timeout_ms=200)
    assert not first.valid and any("sut_timeout_ms=200" in r for r in first.reasons)

    class ReleasesMidRun(InlineSUT):
        calls = 0

        def issue_queries(self, ids, indices):
            self.calls += 1
            if self.calls == 20:
                release.set()
                time.sleep(0.05)  # the stray completion arrives while this test runs
            complete(ids)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = run(tmp_path / "2", ReleasesMidRun())
    assert second.valid, second.reasons
    assert second.performance.latency.min > 0
    assert any("arrived after its test ended" in str(w.message) for w in caught)


def test_a_late_compat_completion_after_the_test_is_ignored_with_a_warning(tmp_path):
    kept = []

    def issue(samples):
        kept.extend(samples)
        compat.QuerySamplesComplete([compat.QuerySampleResponse(s.id, 0, 0) for s in samples])

    sut = compat.ConstructSUT(issue, lambda: None)
    qsl = compat.ConstructQSL(16, 16, lambda i: None, lambda i: None)
    s = compat.TestSettings()
    s.scenario = compat.TestScenario.SingleStream
    s.mode = compat.TestMode.PerformanceOnly
    s.min_duration_ms = 10
    s.min_query_count = 10
    ls = compat.LogSettings()
    ls.log_output.outdir = str(tmp_path)
    compat.StartTestWithLogSettings(sut, qsl, s, ls)
    with pytest.warns(RuntimeWarning, match="after its test ended"):
        compat.QuerySamplesComplete([compat.QuerySampleResponse(kept[0].id, 0, 0)])


def test_a_sut_blocked_inside_issue_queries_ends_the_run_at_sut_timeout(tmp_path):
    """The LoadGen cannot stop the blocked thread: the run ends INVALID at sut_timeout_ms with
    the reason, and the thread, once released, issues nothing more and ends."""
    gate = threading.Event()
    calls = []

    class Blocks:
        name = "Blocks"

        def issue_queries(self, ids, indices):
            calls.append(int(ids[0]))
            if len(calls) == 3:
                gate.wait(30)
                return
            complete(ids)

        def flush_queries(self):
            pass

    t0 = time.monotonic()
    result = run(tmp_path, Blocks(), sut_timeout_ms=300, min_duration_ms=5_000,
                 single_stream_expected_latency_ns=1_000_000)  # a plan of 10k queries, not 10M
    took = time.monotonic() - t0
    assert not result.valid
    assert any("blocked in issue_queries" in r and "sut_timeout_ms=300" in r for r in result.reasons)
    assert "blocked in issue_queries" in result.detail_path.read_text()
    assert took < 3  # not the 5 s minimum duration, nor forever
    gate.set()
    deadline = time.monotonic() + 5
    while any(t.name == "mlpace-issue" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "mlpace-issue" for t in threading.enumerate())
    assert len(calls) == 3  # released, it issued nothing more


def test_default_sut_timeout_is_finite(tmp_path, monkeypatch):
    """Settings that leave sut_timeout_ms unset get api.DEFAULT_SUT_TIMEOUT_MS (30 minutes);
    an explicit 0 still means wait forever."""
    assert api.DEFAULT_SUT_TIMEOUT_MS == 1_800_000
    monkeypatch.setattr(api, "DEFAULT_SUT_TIMEOUT_MS", 200)

    class Silent(InlineSUT):
        def issue_queries(self, ids, indices):
            pass

    result = run(tmp_path, Silent())
    assert not result.valid and any("sut_timeout_ms=200" in r for r in result.reasons)


def test_a_run_restores_gc_and_switch_interval_and_leaves_no_thread(tmp_path):
    before_threads = set(threading.enumerate())
    sys.setswitchinterval(0.004)
    gc.enable()
    thresholds = gc.get_threshold()
    try:
        for scenario in ("SingleStream", "Server", "Offline"):
            result = run(tmp_path / scenario, InlineSUT(), scenario=scenario, server_target_qps=5000,
                         min_query_count=500, min_duration_ms=50, offline_expected_qps=1000)
            assert not result.errors and result.performance.query_count, (scenario, result.reasons)
            assert sys.getswitchinterval() == pytest.approx(0.004)
            assert gc.isenabled() and gc.get_threshold() == thresholds
            assert gc.get_freeze_count() == 0
        gc.disable()
        run(tmp_path / "off", InlineSUT())
        assert not gc.isenabled()  # a caller's own choice is kept too
    finally:
        gc.enable()
        sys.setswitchinterval(0.005)
    assert set(threading.enumerate()) <= before_threads

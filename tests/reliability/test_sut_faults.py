"""The SUT fault matrix, for both APIs (native ``mlpace.loadgen`` and ``mlpace.compat``).

Each fault ends the run INVALID with its cause named (the summary and detail log on disk),
never a hang or a crash: a SUT that raises, goes silent, answers an unknown id or an id twice.
A huge payload in a performance run is not kept (the run stays VALID). A SUT that blocks inside
``issue_queries`` ends the run at ``sut_timeout_ms`` instead of when it returns, and a response
that arrives after its test ended is not counted in the next test.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import mlpace.compat as clg
from mlpace import loadgen as lg

FAULTS = ("raise", "silent", "unknown", "duplicate")
NEEDLE = {"raise": "raised RuntimeError", "silent": "sut_timeout_ms", "unknown": "unknown response id",
          "duplicate": "more than once"}
SETTINGS = dict(min_duration_ms=100, min_query_count=40, sut_timeout_ms=300)


class Behaviour:
    """What the SUT does with query number ``at`` (earlier queries are answered at once)."""

    def __init__(self, fault: str, at: int = 5, payload: int = 0, on_call=None):
        self.fault, self.at, self.payload, self.on_call = fault, at, payload, on_call
        self.calls = 0
        self.release = threading.Event()
        self.go = threading.Event()  # "late": answer once the next test is running
        self.late: list[threading.Thread] = []
        self.late_errors: list[BaseException] = []

    def _late(self, respond, ids) -> None:
        self.go.wait(10.0)
        try:
            respond(ids)
        except BaseException as exc:  # noqa: BLE001 - what the SUT's own thread would die of
            self.late_errors.append(exc)

    def answer(self, ids, respond) -> None:
        self.calls += 1
        if self.on_call is not None:
            self.on_call()
        if self.calls < self.at or self.fault in ("none", "huge"):
            respond(ids)
            return
        if self.fault == "raise":
            raise RuntimeError("model exploded")
        if self.fault == "unknown":
            respond(np.array([10**9], dtype=np.uint64))
        elif self.fault == "duplicate":
            respond(ids)
            respond(ids)
        elif self.fault == "block":
            self.release.wait(6.0)
        elif self.fault == "late" and self.calls == self.at:
            t = threading.Thread(target=self._late, args=(respond, ids), daemon=True)
            t.start()
            self.late.append(t)
        elif self.fault == "late":
            respond(ids)


def run_native(tmp_path, behaviour: Behaviour, **values):
    huge = np.zeros(behaviour.payload, dtype=np.uint8) if behaviour.payload else None

    def respond(ids):
        ids = np.asarray(ids, dtype=np.uint64)
        if huge is None:
            lg.complete(ids)
        else:
            lg.complete(ids, [huge] * len(ids))

    class SUT:
        name = "native-faulty"

        def issue_queries(self, ids, indices):
            behaviour.answer(ids, respond)

        def flush_queries(self):
            pass

    settings = lg.TestSettings.make(scenario="SingleStream", mode="PerformanceOnly", **{**SETTINGS, **values})
    return lg.start_test(SUT(), lg.SimpleQSL("q", 64, 64), settings, lg.LogSettings(outdir=tmp_path),
                         audit_config=None)


def run_compat(tmp_path, behaviour: Behaviour, **values):
    huge = np.zeros(behaviour.payload, dtype=np.uint8) if behaviour.payload else None

    def respond(ids):
        addr, size = (huge.ctypes.data, huge.nbytes) if huge is not None else (0, 0)
        clg.QuerySamplesComplete([clg.QuerySampleResponse(int(i), addr, size) for i in ids])

    def issue(samples):
        behaviour.answer([s.id for s in samples], respond)

    sut = clg.ConstructSUT(issue, lambda: None)
    qsl = clg.ConstructQSL(64, 64, lambda i: None, lambda i: None)
    settings = clg.TestSettings()
    settings.scenario = clg.TestScenario.SingleStream
    settings.mode = clg.TestMode.PerformanceOnly
    for k, v in {**SETTINGS, **values}.items():
        setattr(settings, k, v)
    ls = clg.LogSettings()
    ls.log_output.outdir = str(tmp_path)
    return clg.StartTestWithLogSettings(sut, qsl, settings, ls, "")


RUNNERS = {"native": run_native, "compat": run_compat}


@pytest.mark.parametrize("api", RUNNERS)
@pytest.mark.parametrize("fault", FAULTS)
def test_fault_ends_the_run_invalid_with_its_cause(tmp_path, api, fault):
    result = RUNNERS[api](tmp_path, Behaviour(fault))
    assert not result.valid
    why = " ".join(result.reasons)
    assert NEEDLE[fault] in why, why
    summary = (tmp_path / "mlperf_log_summary.txt").read_text()
    assert "Result is : INVALID" in summary and NEEDLE[fault] in summary
    assert NEEDLE[fault] in (tmp_path / "mlperf_log_detail.txt").read_text()


@pytest.mark.parametrize("api", RUNNERS)
def test_huge_payloads_in_a_performance_run_are_not_kept(tmp_path, api):
    result = RUNNERS[api](tmp_path, Behaviour("huge", payload=8 << 20))  # 8 MiB per answer, 200 answers
    assert result.errors == [] and result.performance.sample_count >= 40, result.reasons
    assert (tmp_path / "mlperf_log_accuracy.json").stat().st_size < 100


@pytest.mark.parametrize("api", RUNNERS)
def test_sut_blocking_in_issue_queries_times_out(tmp_path, api):
    behaviour = Behaviour("block")
    t0 = time.monotonic()
    try:
        result = RUNNERS[api](tmp_path, behaviour)
    finally:
        behaviour.release.set()
    assert time.monotonic() - t0 < 3.0, "the run waited for the blocked SUT"
    assert not result.valid and "sut_timeout_ms" in " ".join(result.reasons)


@pytest.mark.parametrize("api", RUNNERS)
def test_late_response_does_not_leak_into_the_next_test(tmp_path, api):
    """Test 1 times out waiting for one answer; that answer arrives while test 2 runs."""
    behaviour = Behaviour("late")
    first = RUNNERS[api](tmp_path / "first", behaviour)
    assert not first.valid  # it timed out waiting for the late answer
    second = RUNNERS[api](tmp_path / "second", Behaviour("none", on_call=behaviour.go.set), min_duration_ms=300,
                          single_stream_expected_latency_ns=2000)
    behaviour.go.set()
    for t in behaviour.late:
        t.join(10)
    assert second.valid, second.reasons
    assert behaviour.late_errors == [], behaviour.late_errors

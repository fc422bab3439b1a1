"""Harness for the official early stops: one worker thread answers each query after ``delay_s``.

``main(scenario, **settings)`` sets the given ``TestSettings`` attributes (PerformanceOnly)
and runs once; the thin ``stop_*`` wrappers pick a stop: ``server_max_async_queries``,
``max_query_count`` or ``max_duration_ms``, each reached well before the minimum
duration and query count. The sidecar records how many queries the SUT saw and how
many it answered (every one, as both LoadGens wait for the queries in flight).
"""

import queue
import threading
import time

import common

lg = common.loadgen()


def main(scenario: str, *, delay_s: float = 0.001, **values) -> None:
    out = common.outdir()
    issued = []
    answered = []
    work: queue.SimpleQueue = queue.SimpleQueue()

    def worker():
        while True:
            samples = work.get()
            if samples is None:
                return
            time.sleep(delay_s)
            answered.append(len(samples))
            lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()

    def issue_queries(samples):
        issued.append(len(samples))
        work.put(samples)

    sut = lg.ConstructSUT(issue_queries, lambda: None)
    qsl = lg.ConstructQSL(128, 128, lambda idx: None, lambda idx: None)
    settings = lg.TestSettings()
    settings.scenario = getattr(lg.TestScenario, scenario)
    settings.mode = lg.TestMode.PerformanceOnly
    settings.min_duration_ms = 1000
    settings.min_query_count = 100
    for key, value in values.items():
        setattr(settings, key, value)
    lg.StartTestWithLogSettings(sut, qsl, settings, common.log_settings(lg, out))
    work.put(None)
    thread.join()
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    common.write_sidecar(out, issued=len(issued), answered=len(answered))

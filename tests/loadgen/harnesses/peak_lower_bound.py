"""FindPeakPerformance whose lower bound misses the latency bound (every answer takes 30 ms,
the bound is 5 ms). Usage: ``python peak_lower_bound.py OUTDIR``; ``HARNESS_LOADGEN`` picks
the module (``mlperf_loadgen``, the default, or ``mlpace.compat``)."""

import importlib
import os
import sys
import threading
import time

lg = importlib.import_module(os.environ.get("HARNESS_LOADGEN", "mlperf_loadgen"))


def issue(samples):
    responses = [lg.QuerySampleResponse(s.id, 0, 0) for s in samples]

    def later():
        time.sleep(0.03)
        lg.QuerySamplesComplete(responses)

    threading.Thread(target=later, daemon=True).start()


settings = lg.TestSettings()
settings.scenario = lg.TestScenario.Server
settings.mode = lg.TestMode.FindPeakPerformance
settings.server_target_qps = 100
settings.server_target_latency_ns = 5_000_000
settings.min_duration_ms = 200
settings.min_query_count = 10
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(64, 64, lambda idx: None, lambda idx: None)
log = lg.LogSettings()
log.log_output.outdir = sys.argv[1]
log.log_output.copy_summary_to_stdout = False
lg.StartTestWithLogSettings(sut, qsl, settings, log)
time.sleep(0.1)  # let the last answers land before the module goes away
lg.DestroyQSL(qsl)
lg.DestroySUT(sut)

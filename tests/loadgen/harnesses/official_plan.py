"""Run LoadGen tests with a recording QSL and an instant SUT; dump what the LoadGen chose.

Usage: ``python official_plan.py CASES_JSON OUTDIR``. CASES_JSON is a list of
``{"name", "scenario", "total", "performance", "settings"}`` (TestSettings
attribute values; ``mode`` by name). Each case runs in ``OUTDIR/<name>`` with the
trace on and writes ``plan.json`` there: the QSL load calls, the sample indices
of every issued query in issue order, the detail log's ``generated_*`` values,
the official trace's ``(sample_seq, query_seq, sample_idx, ts_ns)`` per sample (``ts`` is
the query's scheduled time in the official trace), and the accuracy log's
``(seq_id, qsl_idx)`` pairs. ``HARNESS_LOADGEN`` picks the module
(``mlperf_loadgen``, the default, or ``mlpace.compat``).
"""

import importlib
import json
import os
import re
import sys
from pathlib import Path

lg = importlib.import_module(os.environ.get("HARNESS_LOADGEN", "mlperf_loadgen"))

# "Sample" begin events: ts in microseconds with 3 decimals, i.e. whole nanoseconds
BEGIN = re.compile(r'\{"name":"Sample","cat":"default","ph":"b",[^}]*?"ts":(-?\d+)\.(\d{3}),'
                   r'"args":\{"sample_seq":(\d+),"query_seq":(\d+),"sample_idx":(\d+)')


def run(case: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    loads, issued = [], []

    def issue(samples):
        issued.append([s.index for s in samples])
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    settings = lg.TestSettings()
    settings.scenario = getattr(lg.TestScenario, case["scenario"])
    for key, value in case["settings"].items():
        setattr(settings, key, getattr(lg.TestMode, value) if key == "mode" else value)
    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(case["total"], case["performance"], lambda idx: loads.append([int(i) for i in idx]),
                          lambda idx: None)
    log = lg.LogSettings()
    log.log_output.outdir = str(out)
    log.log_output.copy_summary_to_stdout = False
    log.enable_trace = lg.__name__ == "mlperf_loadgen"  # only the official trace is read
    lg.StartTestWithLogSettings(sut, qsl, settings, log)
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)

    generated = {}
    for line in (out / "mlperf_log_detail.txt").read_text().splitlines():
        if line.startswith(":::MLLOG "):
            rec = json.loads(line[len(":::MLLOG "):])
            if rec["key"].startswith("generated_"):
                generated.setdefault(rec["key"], []).append(rec["value"])
    trace = []
    trace_text = (out / "mlperf_log_trace.json").read_text() if log.enable_trace else ""
    for m in BEGIN.finditer(trace_text):
        sign = -1 if m.group(1).startswith("-") else 1
        trace.append([int(m.group(3)), int(m.group(4)), int(m.group(5)),
                      int(m.group(1)) * 1000 + sign * int(m.group(2))])
    text = (out / "mlperf_log_accuracy.json").read_text().strip()
    accuracy = [[e["seq_id"], e["qsl_idx"]] for e in json.loads(text or "[]")]
    (out / "plan.json").write_text(json.dumps({"loads": loads, "issued": issued, "generated": generated,
                                               "trace": sorted(trace), "accuracy": sorted(accuracy)}))


if __name__ == "__main__":
    root = Path(sys.argv[2])
    for case in json.loads(Path(sys.argv[1]).read_text() if sys.argv[1].endswith(".json") else sys.argv[1]):
        run(case, root / case["name"])

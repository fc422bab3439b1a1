"""Run the official ``mlperf_loadgen`` with a recording QSL and an instant SUT; dump what it chose.

Usage: ``python official_plan.py CONFIG_JSON OUTDIR``. CONFIG_JSON holds
``scenario``, ``total``, ``performance`` and ``settings`` (TestSettings attribute
values; ``mode`` by name). OUTDIR receives the official logs (trace on) and
``plan.json``: the QSL load calls, the sample indices of every issued query in
issue order, the detail log's ``generated_*`` values, each sample's scheduled
time in ns from the trace, and the accuracy log's ``(seq_id, qsl_idx)`` pairs.
"""

import json
import re
import sys
from pathlib import Path

import mlperf_loadgen as lg

cfg = json.loads(sys.argv[1])
out = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

loads, issued = [], []


def issue(samples):
    issued.append([s.index for s in samples])
    lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])


settings = lg.TestSettings()
settings.scenario = getattr(lg.TestScenario, cfg["scenario"])
for key, value in cfg["settings"].items():
    setattr(settings, key, getattr(lg.TestMode, value) if key == "mode" else value)
sut = lg.ConstructSUT(issue, lambda: None)
qsl = lg.ConstructQSL(cfg["total"], cfg["performance"], lambda idx: loads.append(list(idx)), lambda idx: None)
log = lg.LogSettings()
log.log_output.outdir = str(out)
log.log_output.copy_summary_to_stdout = False
log.enable_trace = True
lg.StartTestWithLogSettings(sut, qsl, settings, log)
lg.DestroyQSL(qsl)
lg.DestroySUT(sut)

generated = {}
for line in (out / "mlperf_log_detail.txt").read_text().splitlines():
    if line.startswith(":::MLLOG "):
        rec = json.loads(line[len(":::MLLOG "):])
        if rec["key"].startswith("generated_"):
            generated.setdefault(rec["key"], []).append(rec["value"])
# "Sample" begin events: ts is the query's scheduled time in microseconds with 3 decimals (ns)
begin = re.compile(r'\{"name":"Sample","cat":"default","ph":"b",[^}]*?"ts":(-?\d+)\.(\d{3}),'
                   r'"args":\{"sample_seq":(\d+),"query_seq":(\d+),"sample_idx":(\d+)')
trace = []
for m in begin.finditer((out / "mlperf_log_trace.json").read_text()):
    sign = -1 if m.group(1).startswith("-") else 1
    ns = int(m.group(1)) * 1000 + sign * int(m.group(2))
    trace.append([int(m.group(3)), int(m.group(4)), int(m.group(5)), ns])
accuracy = [[e["seq_id"], e["qsl_idx"]] for e in json.loads((out / "mlperf_log_accuracy.json").read_text() or "[]")]
(out / "plan.json").write_text(json.dumps({"loads": loads, "issued": issued, "generated": generated,
                                           "trace": sorted(trace), "accuracy": sorted(accuracy)}))

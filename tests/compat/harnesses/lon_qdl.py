"""LoadGen over the Network: the LoadGen node of the official LON demo, through ConstructQDL.

Server scenario, PerformanceOnly, 200 QPS for 3 s, 500 ms bound (the demo: 100 QPS, 10 s, 100 ms); a QSL of 1024 dummy string
features (128 for performance); the QDL sends each sample over HTTP to the SUT nodes in
turn (one thread per issue call, as the demo does) and completes with the UTF-8 bytes of
the node's answer. Its name round trip asks every node and joins their names.

usage: lon_qdl.py OUTDIR URL[,URL...]  (HARNESS_LOADGEN picks the LoadGen module)
"""

import array
import itertools
import sys
import threading
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from common import log_settings, loadgen, write_sidecar  # noqa: E402

lg = loadgen()
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
servers = sys.argv[2].split(",")
features = {i: f"what_is_my_dummy_feature_{i}?" for i in range(1024)}
turn = itertools.cycle(range(len(servers)))
turn_lock = threading.Lock()
session = requests.Session()
answers = []


def issue(samples):
    threading.Thread(target=process, args=(list(samples),)).start()


def process(samples):
    responses, keep = [], []
    for s in samples:
        with turn_lock:
            url = servers[next(turn)]
        result = session.post(f"{url}/predict/", json={"query": features[s.index]}, timeout=10).json()["result"]
        buf = array.array("B", result.encode("utf-8"))
        keep.append(buf)
        responses.append(lg.QuerySampleResponse(s.id, buf.buffer_info()[0], len(buf)))
        answers.append((s.index, result))
    lg.QuerySamplesComplete(responses)


def name():
    names = [session.post(f"{url}/getname/", timeout=10).json()["name"] for url in servers]
    return names[0] if len(names) == 1 else "Multi-node SUT: " + ", ".join(names)


qsl = lg.ConstructQSL(1024, 128, lambda s: None, lambda s: None)
qdl = lg.ConstructQDL(issue, lambda: None, name)
settings = lg.TestSettings()
settings.scenario = lg.TestScenario.Server
settings.mode = lg.TestMode.PerformanceOnly
settings.server_target_qps = 200  # the demo: 100 QPS for 10 s; early stopping needs ~460+ queries
settings.server_target_latency_ns = 500_000_000  # the demo: 100 ms; room for a busy 2-core CI box
settings.min_query_count = 100
settings.min_duration_ms = 3000
lg.StartTestWithLogSettings(qdl, qsl, settings, log_settings(lg, out))
wrong = [(i, r) for i, r in answers if r != f"dummy_feature_{i}"]
write_sidecar(out, answered=len(answers), wrong=len(wrong))
lg.DestroyQDL(qdl)
lg.DestroyQSL(qsl)

"""HTTP client accuracy, side by side: mlpace's endpoint SUT vs guidellm vs aiperf.

    python benchmarks/http_client.py            # a few minutes
    python benchmarks/http_client.py --quick    # about a minute (fewer rates, shorter runs)
    python benchmarks/http_client.py --peers-venv .peers-venv   # where guidellm/aiperf live

Every client drives the same local streaming server (``mlpace.endpoints.testing``,
its own process) that injects a known TTFT and time per token and records, per request,
what it really did (arrival -> first token; gaps between tokens) on the machine's
monotonic clock. Printed per client:

(a) the highest request rate of the ladder at which the client's own send lag p99 stays
    under 1 ms. Each as the client itself records it: mlpace = LoadGen issue lag p99 +
    client send lag p99 (schedule -> request headers written; the sum bounds the p99 of
    the total); guidellm = ``request_dispatch_delay`` (targeted start -> request start);
    aiperf = ``request_start_ns - credit_issued_ns`` per record. For the peers the lag of
    the server-observed arrivals behind their constant-rate schedule is printed too;
(b) TTFT and TPOT error: the client's reported median minus the server's true median
    at a moderate rate (mlpace: the LoadGen's TTFT, from the scheduled time as MLPerf
    defines it; the note also gives mlpace's TTFT from the actual send, the peers' t0) (TPOT = MLPerf's (E2E - TTFT)/(tokens - 1); guidellm's and
    aiperf's "inter token latency" have that definition).

guidellm and aiperf are never test dependencies: install them into their own venv
(``python3 -m venv .peers-venv && .peers-venv/bin/pip install guidellm aiperf``). A peer
that cannot be installed or run prints why on its row; the other rows still run. aiperf
counts output tokens with a client tokenizer (no download here): the script builds a
word-level one that matches the server's words, so its token counts are exact.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlpace.endpoints.config import EndpointConfig  # noqa: E402
from mlpace.endpoints.sources import TextSource  # noqa: E402
from mlpace.endpoints.sut import EndpointSUT  # noqa: E402
from mlpace.endpoints.testing import ServerProcess  # noqa: E402

TTFT_MS, TPOT_MS, TOKENS = 20.0, 2.0, 16
LAG_LIMIT_NS = 1_000_000
SATURATED_NS = 50_000_000  # the ladder stops above this lag (the client is clearly saturated)


def server_truth(srv) -> dict:
    t = np.array(srv.stats()["truth"], dtype=np.int64)
    if not len(t):
        return {"n": 0}
    ttft = np.sort(t[:, 1] - t[:, 0])
    tpot = np.sort((t[:, 2] - t[:, 1]) / np.maximum(t[:, 3] - 1, 1))
    arrivals = np.sort(t[:, 0])
    return {"n": len(t), "ttft_ms": ttft[len(ttft) // 2] / 1e6, "tpot_ms": tpot[len(tpot) // 2] / 1e6,
            "arrivals": arrivals}


def observed_lag_p99(arrivals: np.ndarray, rate: float) -> float:
    """p99 of how far arrivals fall behind a constant-rate schedule from the first arrival (ns)."""
    if len(arrivals) < 2:
        return float("inf")
    sched = arrivals[0] + np.arange(len(arrivals)) * (1e9 / rate)
    lag = np.sort(np.maximum(arrivals - sched, 0))
    return float(lag[min(len(lag) - 1, int(len(lag) * 0.99))])


# ------------------------------------------------------------------------------- mlpace
def run_mlpace(srv, rate: float, seconds: float) -> dict:
    from mlpace.loadgen import LogSettings, SimpleQSL, start_test
    from mlpace.loadgen.settings import TestSettings

    srv.control(fail="none")
    cfg = EndpointConfig(urls=[srv.url], request_timeout_s=30).validated("openai-chat")
    src = TextSource([f"prompt {i}" for i in range(1024)], TOKENS, 0)
    sut = EndpointSUT(cfg, src, model="mlpace-test")
    settings = TestSettings.make(scenario="Server", mode="PerformanceOnly", server_target_qps=rate,
                                 min_duration_ms=int(seconds * 1000), min_query_count=1,
                                 use_token_latencies=True, ttft_latency=10**10, tpot_latency=10**10)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            r = start_test(sut, SimpleQSL("prompts", 1024, 1024), settings, LogSettings(outdir=tmp),
                           audit_config=None)
        finally:
            sut.close()
    st = sut.history[-1]
    m = r.metrics
    lag = m.get("issue_lag_p99_ns", 0) + st.lag(0.99)
    ts = st.ttft_from_send_ns
    return {"lag_p99_ns": lag, "failed": st.failed, "ttft_ms": m.get("p50_ttft_ns", 0) / 1e6,
            "ttft_from_send_ms": ts[len(ts) // 2] / 1e6 if len(ts) else float("nan"),
            "tpot_ms": m.get("p50_tpot_ns", 0) / 1e6, "truth": server_truth(srv)}


# ------------------------------------------------------------------------------- peers
def peer_bin(venv: Path, name: str) -> Path | None:
    p = venv / "bin" / name
    return p if p.exists() else (Path(shutil.which(name)) if shutil.which(name) else None)


_TOKENIZER = """
import json, sys
from tokenizers import Tokenizer, models, pre_tokenizers
vocab = {"[UNK]": 0}
for w in ["prompt", "about", "things"] + [f"tok{i}" for i in range(4096)] + [str(i) for i in range(4096)]:
    vocab.setdefault(w, len(vocab))
tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
tok.pre_tokenizer = pre_tokenizers.Whitespace()
tok.save(sys.argv[1] + "/tokenizer.json")
json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]", "model_max_length": 100000},
          open(sys.argv[1] + "/tokenizer_config.json", "w"))
"""


def word_tokenizer(python: Path, folder: Path) -> Path:
    """A local word-level tokenizer matching the test server's ``tokN`` words (no download):
    aiperf counts output tokens with a client tokenizer and ignores ``usage``."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-c", _TOKENIZER, str(folder)], check=True, capture_output=True, timeout=120)
    return folder


def run_peer(name: str, exe: Path, srv, rate: float, seconds: float, work: Path) -> dict:
    srv.control(fail="none")
    n = max(2, int(rate * seconds))
    prompts = work / "prompts.txt"
    prompts.write_text("".join(f"prompt {i} about things\n" for i in range(1024)))
    with tempfile.TemporaryDirectory() as tmp:
        if name == "guidellm":
            cmd = [str(exe), "run", "--backend", f"kind=openai_http,target={srv.url},model=mlpace-test",
                   "--profile", f"kind=constant,rate={rate}", "--constraint", f"kind=max_requests,count={n}",
                   "--data", f"kind=text_file,path={prompts}", "--output", f"kind=json,path={tmp}/out.json",
                   "--disable-console-interactive"]
        else:
            cmd = [str(exe), "profile", "--url", srv.url, "--model", "mlpace-test", "--endpoint-type", "chat",
                   "--streaming", "--request-rate", str(rate), "--arrival-pattern", "constant",
                   "--request-count", str(n),
                   "--tokenizer", str(work / "tokenizer"), "--synthetic-input-tokens-mean", "16",
                   "--output-tokens-mean", str(TOKENS), "--artifact-dir", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=max(180, 10 * seconds), cwd=tmp)
        if proc.returncode != 0:
            tail = [x for x in (proc.stderr + proc.stdout).strip().splitlines() if x.strip()][-3:]
            raise RuntimeError(f"exit {proc.returncode}: {' | '.join(tail)[:300]}")
        ttft, itl, own_lag = (parse_guidellm if name == "guidellm" else parse_aiperf)(Path(tmp))
    truth = server_truth(srv)
    return {"lag_p99_ns": own_lag, "failed": 0, "ttft_ms": ttft, "tpot_ms": itl, "truth": truth,
            "observed_lag_p99_ns": observed_lag_p99(truth.get("arrivals", np.zeros(0)), rate)}


def parse_guidellm(tmp: Path) -> tuple[float, float, float]:
    """(median TTFT ms, median inter-token latency ms, p99 of its own dispatch delay ns)."""
    m = json.loads((tmp / "out.json").read_text())["benchmarks"][0]["metrics"]
    return (float(m["time_to_first_token_ms"]["successful"]["median"]),
            float(m["inter_token_latency_ms"]["successful"]["median"]),
            float(m["request_dispatch_delay"]["successful"]["percentiles"]["p99"]) * 1e9)


def parse_aiperf(tmp: Path) -> tuple[float, float, float]:
    """(p50 TTFT ms, p50 inter-token latency ms, p99 of request start - credit issued ns)."""
    data = json.loads((tmp / "profile_export_aiperf.json").read_text())
    lags = []
    for line in (tmp / "profile_export.jsonl").read_text().splitlines():
        meta = json.loads(line).get("metadata", {})
        if meta.get("request_start_ns") and meta.get("credit_issued_ns"):
            lags.append(meta["request_start_ns"] - meta["credit_issued_ns"])
    lags.sort()
    lag99 = float(lags[min(len(lags) - 1, int(len(lags) * 0.99))]) if lags else float("inf")
    return float(data["time_to_first_token"]["p50"]), float(data["inter_token_latency"]["p50"]), lag99


# ------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--peers-venv", type=Path, default=ROOT / ".peers-venv")
    ap.add_argument("--rates", default=None, help="comma-separated request rates of the ladder")
    args = ap.parse_args()
    rates = [float(x) for x in args.rates.split(",")] if args.rates else (
        [5, 25, 100] if args.quick else [2, 10, 50, 200, 800])
    seconds = 2.0 if args.quick else 5.0
    accuracy_rate = 10.0
    print(f"server: TTFT {TTFT_MS} ms, {TPOT_MS} ms per token, {TOKENS} tokens; rates {rates} req/s, "
          f"{seconds:g} s each; cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    clients = {"mlpace": None}
    for name in ("guidellm", "aiperf"):
        clients[name] = peer_bin(args.peers_venv, name)
    rows = []
    with ServerProcess(ttft_ms=TTFT_MS, tpot_ms=TPOT_MS, tokens=TOKENS) as srv:
        for name, exe in clients.items():
            if name != "mlpace" and exe is None:
                rows.append((name, None, None, f"not installed (looked in {args.peers_venv}/bin and PATH)", ""))
                continue
            work = Path(tempfile.mkdtemp(prefix=f"http-client-{name}-"))
            run = (lambda r, s: run_mlpace(srv, r, s)) if name == "mlpace" else \
                (lambda r, s, n=name, e=exe, w=work: run_peer(n, e, srv, r, s, w))
            try:
                if name == "aiperf":
                    word_tokenizer(exe.parent / "python", work / "tokenizer")
                acc = run(accuracy_rate, seconds * 2)  # first: the ladder's top rates saturate the box
                best, by_rate = None, []
                for rate in rates:
                    res = run(rate, seconds)
                    lag = res["lag_p99_ns"]
                    ok = lag < LAG_LIMIT_NS and not res["failed"]
                    seen = res.get("observed_lag_p99_ns")
                    seen_text = "" if seen is None else f" (server-observed vs constant rate: {seen / 1e6:.3f} ms)"
                    print(f"  {name:8s} {rate:6g} req/s: own send lag p99 {lag / 1e6:8.3f} ms "
                          f"{'ok' if ok else 'over 1 ms'}{seen_text}", flush=True)
                    by_rate.append(f"{rate:g}: {lag / 1e6:.2f}")
                    if ok and (best is None or rate > best):
                        best = rate
                    if lag > SATURATED_NS or res["failed"]:
                        break
                t = acc["truth"]
                err = (acc["ttft_ms"] - t["ttft_ms"], acc["tpot_ms"] - t["tpot_ms"])
                note = f"truth TTFT {t['ttft_ms']:.2f} ms, TPOT {t['tpot_ms']:.3f} ms"
                if "ttft_from_send_ms" in acc:
                    note += (f"; TTFT counted from the send as peers do: "
                             f"{acc['ttft_from_send_ms'] - t['ttft_ms']:+.3f} ms")
                rows.append((name, best, err, note, ", ".join(by_rate)))
            except Exception as exc:  # noqa: BLE001 - a peer that cannot run gets a row saying why
                rows.append((name, None, None, f"could not run: {type(exc).__name__}: {exc}", ""))
    print()
    print("| client | highest rate with send lag p99 < 1 ms (req/s) | send lag p99 by rate (req/s: ms) "
          "| TTFT error (ms) | TPOT error (ms) | note |")
    print("|---|---|---|---|---|---|")
    for name, best, err, note, by_rate in rows:
        b = "-" if best is None and err is None else (f"none (>= {rates[0]:g} tried)" if best is None else f"{best:g}")
        e1, e2 = ("-", "-") if err is None else (f"{err[0]:+.3f}", f"{err[1]:+.3f}")
        print(f"| {name} | {b} | {by_rate or '-'} | {e1} | {e2} | {note} |")


if __name__ == "__main__":
    main()

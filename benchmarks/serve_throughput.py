"""Throughput of the reference server (``mlpace serve textgen``) under concurrent streams.

Starts ``mlpace serve textgen --port 0`` as a subprocess (its own process, as a user runs
it), then for each concurrency level sends the workload's prompts as streamed
``/v1/completions`` requests (``max_tokens`` = the workload's, greedy) from that many
concurrent asyncio clients, and prints completed requests/s, output tokens/s (from
``usage.completion_tokens``), the mean time to the first token chunk and the server
process's CPU time per output token (robust to other load on the machine). Also the
engine alone (no HTTP, in this process), for the cost of the serving layer.

    .venv/bin/python benchmarks/serve_throughput.py [--requests 300] [--concurrency 1,8,32,64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import subprocess
import sys
import time

import httpx

from mlpace import workloads
from mlpace.workloads.textgen_engine import Generation


async def one_request(client: httpx.AsyncClient, prompt: str, max_tokens: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    ttft = None
    tokens = 0
    body = {"model": "mlpace-textgen", "prompt": prompt, "max_tokens": max_tokens, "temperature": 0,
            "stream": True, "stream_options": {"include_usage": True}}
    async with client.stream("POST", "/v1/completions", json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            chunk = json.loads(data)
            if chunk["choices"] and ttft is None:
                ttft = time.perf_counter() - t0
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
    return tokens, ttft or 0.0


async def load(url: str, prompts: list[str], max_tokens: int, concurrency: int):
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
        queue = list(reversed(prompts))
        results = []

        async def worker():
            while queue:
                results.append(await one_request(client, queue.pop(), max_tokens))

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results, time.perf_counter() - t0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``; 0 elsewhere)."""
    import os

    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def start_server(max_batch: int) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-c", "from mlpace.cli import main; main()", "serve", "textgen", "--port", "0",
           "--max-batch", str(max_batch)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if m:
            return proc, f"http://127.0.0.1:{m.group(1)}"
        if not line:
            break
    proc.kill()
    raise SystemExit("mlpace serve did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--concurrency", default="1,8,32,64")
    ap.add_argument("--max-batch", type=int, default=64)
    args = ap.parse_args()
    wl = workloads.get("textgen")
    prompts = (wl.prompts() * (args.requests // len(wl.prompts()) + 1))[: args.requests]

    eng = wl.make_engine(args.max_batch)
    t0 = time.perf_counter()
    gens = [eng.submit(Generation(wl.encode(p), wl.max_output_tokens, wl.min_output_tokens)) for p in prompts]
    tokens = sum(len(g.wait(600)) for g in gens)
    wall = time.perf_counter() - t0
    print(f"engine only (max_batch {args.max_batch}): {len(prompts)} requests in {wall:.2f} s: "
          f"{len(prompts) / wall:.1f} req/s, {tokens / wall:.0f} tokens/s, {tokens / eng.steps:.1f} tokens/step")
    eng.close()

    proc, url = start_server(args.max_batch)
    try:
        print(f"mlpace serve textgen at {url}, {len(prompts)} streamed requests per level")
        print(f"{'clients':>8} {'req/s':>8} {'tokens/s':>9} {'mean TTFT ms':>13} {'server CPU us/token':>20}")
        for conc in (int(c) for c in args.concurrency.split(",")):
            cpu0 = cpu_seconds(proc.pid)
            results, wall = asyncio.run(load(url, prompts, wl.max_output_tokens, conc))
            cpu = cpu_seconds(proc.pid) - cpu0
            tokens = sum(t for t, _ in results)
            ttft = sum(f for _, f in results) / len(results)
            print(f"{conc:8d} {len(results) / wall:8.1f} {tokens / wall:9.0f} {1000 * ttft:13.1f} "
                  f"{1e6 * cpu / max(tokens, 1):20.1f}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()

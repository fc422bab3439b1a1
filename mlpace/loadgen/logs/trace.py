"""``mlperf_log_trace.json``: a Chrome trace (µs) of the run, written after it ends.

Complete events (``ph: X``) for the setup steps and one begin/end pair
(``ph: b``/``e``) per sample with its sequence numbers, QSL index, and issue
and completion times, as the official LoadGen's trace has. Open it in
chrome://tracing or Perfetto.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


def write_trace(path: Path, spans: list[tuple[str, int, int, dict]], phases: list, origin_ns: int) -> None:
    """``spans``: (name, start_ns, dur_ns, args); ``phases``: PhaseRecords."""
    pid = os.getpid()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"traceEvents":[\n')
        first = True

        def emit(obj: dict) -> None:
            nonlocal first
            if not first:
                fh.write(",\n")
            fh.write(json.dumps(obj, separators=(",", ":")))
            first = False

        for name, start, dur, args in spans:
            emit({"name": name, "ph": "X", "pid": pid, "tid": pid,
                  "ts": round((start - origin_ns) / 1e3, 3), "dur": round(dur / 1e3, 3), "args": args})
        seq_base = q_base = 0  # sequence ids run on across phases, as officially (generated counts)
        for rec in phases:
            spq = rec.plan.samples_per_query
            n = rec.issued_samples
            if n == 0:
                seq_base += rec.plan.sample_count
                q_base += rec.plan.query_count
                continue
            q_of = np.arange(n) // spq
            issue = rec.issue_ns[q_of]
            done = rec.complete_ns[:n]
            idx = rec.plan.sample_index[:n]
            for i in range(n):
                seq = seq_base + i
                t_issue = int(issue[i])
                t_done = int(done[i])
                emit({"name": "Sample", "cat": "default", "ph": "b", "pid": pid, "id": seq,
                      "ts": round((t_issue - origin_ns) / 1e3, 3),
                      "args": {"sample_seq": seq, "query_seq": q_base + int(q_of[i]), "sample_idx": int(idx[i]),
                               "issue_start_ns": t_issue - rec.start_ns,
                               "complete_ns": (t_done - rec.start_ns) if t_done else None}})
                if t_done:
                    emit({"name": "Sample", "cat": "default", "ph": "e", "pid": pid, "id": seq,
                          "ts": round((t_done - origin_ns) / 1e3, 3)})
            seq_base += rec.plan.sample_count
            q_base += rec.plan.query_count
        fh.write("\n]}\n")

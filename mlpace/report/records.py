"""Per-query records of a run folder: one row per sample of the performance run.

Source: ``mlperf_log_trace.json`` (mlpace's, or the official LoadGen's with tracing on),
read line by line (the official trace is one event per line but not strict JSON as a
whole). Each ``Sample`` begin event gives ``ts`` (µs since the run's origin: the
official LoadGen stamps the scheduled time, mlpace the issue time) and, in ``args``,
``issue_start_ns`` and ``complete_ns`` (relative to the scheduled time in the official
trace, to the phase start in mlpace's); their difference is the sample's latency from
its actual issue in both.

A SubmissionRun trace also holds the accuracy phase; the performance run is the last
``result_query_count × samples_per_query`` samples (from the detail log), in sample order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlpace.errors import DataError

TRACE = "mlperf_log_trace.json"
# one begin event in the usual field order (both writers); other lines fall back to _parse_line
_BEGIN = re.compile(r'"ts":\s*(-?[\d.]+),\s*"args":\s*\{\s*"sample_seq":\s*(\d+),\s*"query_seq":\s*\d+,\s*'
                    r'"sample_idx":\s*\d+,\s*"issue_start_ns":\s*(-?\d+),\s*"complete_ns":\s*(-?\d+|null)')
_SEQ = re.compile(r'"sample_seq":\s*(\d+)')
_TS = re.compile(r'"ts":\s*(-?[\d.]+)')
_ISSUE = re.compile(r'"issue_start_ns":\s*(-?\d+)')
_DONE = re.compile(r'"complete_ns":\s*(-?\d+|null)')


@dataclass
class Records:
    """Arrays in sample order; ``latency_ns`` of uncompleted samples are dropped."""

    time_s: np.ndarray  # float64, when the sample started, seconds since the first sample
    latency_ns: np.ndarray  # int64, completion - actual issue
    source: str
    phases_skipped: int = 0  # samples before the performance run (accuracy phase, ...)
    issue_start_ns: np.ndarray | None = None  # raw args.issue_start_ns (official: actual - scheduled issue)

    def __len__(self) -> int:
        return len(self.latency_ns)

    def completions_s(self) -> np.ndarray:
        return np.sort(self.time_s + self.latency_ns / 1e9)


def _parse_line(line: str):
    m_seq, m_ts, m_is, m_done = _SEQ.search(line), _TS.search(line), _ISSUE.search(line), _DONE.search(line)
    if m_seq and m_ts and m_is and m_done:
        done = None if m_done.group(1) == "null" else int(m_done.group(1))
        return int(m_seq.group(1)), float(m_ts.group(1)), int(m_is.group(1)), done
    try:  # unusual spacing or field order: fall back to a JSON parse of the line
        ev = json.loads(line.strip().rstrip(","))
        a = ev["args"]
        return int(a["sample_seq"]), float(ev["ts"]), int(a["issue_start_ns"]), a.get("complete_ns")
    except (ValueError, KeyError, TypeError):
        return None


def read_trace(path: str | Path, perf_samples: int | None = None) -> Records:
    """Records from a trace; ``perf_samples``: how many trailing samples form the performance run."""
    path = Path(path)
    rows = []
    try:
        with open(path, encoding="utf-8") as fh:
            while chunk := fh.read(1 << 22):
                chunk += fh.readline()  # whole lines only
                fast = [(int(q), float(t), int(i), None if d == "null" else int(d))
                        for t, q, i, d in _BEGIN.findall(chunk)]
                rows += fast
                if len(fast) < chunk.count('"Sample"') // 2:  # unusual layout: line by line
                    del rows[len(rows) - len(fast):]
                    for line in chunk.splitlines():
                        if '"Sample"' in line and '"ph":"b"' in line.replace(" ", ""):
                            row = _parse_line(line)
                            if row is not None:
                                rows.append(row)
    except OSError as exc:
        raise DataError(f"{path}: cannot read the trace ({exc})") from None
    if not rows:
        return Records(np.zeros(0), np.zeros(0, dtype=np.int64), str(path))
    arr = np.array([(s, t, i, -1 if d is None else d) for s, t, i, d in rows], dtype=np.float64)
    arr = arr[np.argsort(arr[:, 0], kind="stable")]
    skipped = 0
    if perf_samples and 0 < perf_samples < len(arr):
        skipped = len(arr) - perf_samples
        arr = arr[skipped:]
    done = arr[:, 3] >= 0
    ts_s = arr[:, 1] / 1e6
    t0 = ts_s.min()
    return Records((ts_s - t0)[done], (arr[done, 3] - arr[done, 2]).astype(np.int64), str(path), skipped,
                   arr[done, 2].astype(np.int64))


def perf_sample_count(detail: dict) -> int | None:
    """Samples of the (last) performance run, from the detail log's records."""
    q = detail.get("result_query_count")
    spq = detail.get("generated_samples_per_query") or detail.get("effective_samples_per_query")
    if not q or not spq:
        return None
    try:
        return int(q[-1]) * int(spq[-1])
    except (TypeError, ValueError):
        return None


def folder_records(folder: Path, detail: dict) -> Records | None:
    """The folder's per-query records, or None when it has no trace (or an empty one)."""
    trace = Path(folder) / TRACE
    if not trace.is_file():
        return None
    rec = read_trace(trace, perf_sample_count(detail))
    return rec if len(rec) else None

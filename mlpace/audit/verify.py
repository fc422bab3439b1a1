"""File-only verification of audit runs, with the official pass rules and verdict lines.

* accuracy (TEST01): for each record of the performance-mode accuracy log, the first
  element of its payload (decoded as ``dtype``) must equal the accuracy run's for the
  same ``qsl_idx``; PASS iff no mismatch and at least one index matched.
* performance: the score is the early-stopping latency estimate (SingleStream p90,
  MultiStream p99) or the throughput (Server completed samples/s, Offline samples/s).
  The threshold is 10% (TEST01, TEST04) or 5% (TEST05), relaxed to 20% when the
  reference is a SingleStream score <= 200,000 ns or a MultiStream one <= 1,600,000 ns.

  - TEST01: the test score must lie within +/- threshold of the reference.
  - TEST04: the test must not be better than the reference by more than the threshold
    (the same sample every time must not be faster: that is what caching looks like).
    For throughput this is the official rule ``test < ref * (1 + t)``; for latency
    mlpace applies the same meaning, ``test > ref * (1 - t)`` (the official script
    reuses the throughput inequality for latency, which a caching SUT passes).
  - TEST05: the test must not be worse by more than the threshold (official rule).
  - Both runs must be VALID and, for Server, use the same target latency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlpace.errors import DataError
from mlpace.loadgen.logs.read import read_summary
from mlpace.workloads import accuracy_log

DTYPES = {"byte": "i1", "float32": "<f4", "int32": "<i4", "int64": "<i8"}


@dataclass
class Verdict:
    passed: bool
    lines: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        for line in reversed(self.lines):
            if line.startswith("TEST"):
                return line
        return ""

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.text())
        return path


def _first(raw: bytes, dt: np.dtype):
    if len(raw) < dt.itemsize:
        return None
    return np.frombuffer(raw[: dt.itemsize], dtype=dt)[0]


def verify_accuracy(reference_log: str | Path, test_log: str | Path, dtype: str = "byte") -> Verdict:
    """Compare a TEST01 performance-mode accuracy log with the accuracy run's."""
    if dtype not in DTYPES:
        raise DataError(f"unknown payload dtype {dtype!r}; allowed: {', '.join(DTYPES)}")
    dt = np.dtype(DTYPES[dtype])
    ref = accuracy_log.read(reference_log)
    test = accuracy_log.read(test_log)
    lines = ["Verifying accuracy.", f"reference accuracy log: {ref.path}", f"test accuracy log: {test.path}",
             f"dtype: {dtype}"]
    results: dict[int, bytes] = {}
    dup = acc_mismatch = 0
    for idx, data in zip(ref.qsl_idx.tolist(), ref.data):
        if idx in results:
            dup += 1
            acc_mismatch += results[idx] != data
        else:
            results[idx] = data
    matched = mismatched = missing = 0
    for idx, data in zip(test.qsl_idx.tolist(), test.data):
        if idx not in results:
            missing += 1
            continue
        matched += 1
        a, b = _first(data, dt), _first(results[idx], dt)
        if (a is None) != (b is None) or (a is not None and a != b):
            mismatched += 1
    lines += [
        f"num_acc_log_entries = {len(ref)}",
        f"num_acc_log_duplicate_keys = {dup}",
        f"num_acc_log_data_mismatch = {acc_mismatch}",
        f"num_perf_log_entries = {len(test)}",
        f"num_perf_log_qsl_idx_match = {matched}",
        f"num_perf_log_data_mismatch = {mismatched}",
        f"num_missing_qsl_idxs = {missing}",
    ]
    passed = mismatched == 0 and matched > 0
    if passed:
        lines.append("TEST PASS")
    elif matched == 0:
        lines.append("TEST FAIL: no logged qsl_idx of the performance run is in the accuracy log")
    else:
        lines.append(f"TEST FAIL: {mismatched} of {matched} responses differ from the accuracy run")
    return Verdict(passed, lines)


def threshold_for(test: str, scenario: str, ref_score: float) -> float:
    base = 0.05 if test == "TEST05" else 0.10
    if (scenario == "SingleStream" and ref_score <= 200_000) or (scenario == "MultiStream" and ref_score <= 1_600_000):
        return 0.20
    return base


def verify_performance(test: str, reference_summary: str | Path, test_summary: str | Path) -> Verdict:
    """Compare an audit run's summary with the reference performance run's (rules above)."""
    ref = read_summary(reference_summary)
    got = read_summary(test_summary)
    lines = ["Verifying performance.", f"reference summary: {ref.path}", f"test summary: {got.path}"]
    if not ref.valid:
        return Verdict(False, lines + ["TEST FAIL: Reference results are invalid"])
    if not got.valid:
        return Verdict(False, lines + ["TEST FAIL: Test results are invalid"])
    if ref.scenario != got.scenario:
        return Verdict(False, lines + [f"TEST FAIL: Test and reference scenarios do not match! ({got.scenario} vs {ref.scenario})"])
    if ref.scenario == "Server":
        a, b = ref.parameters.get("target_latency (ns)"), got.parameters.get("target_latency (ns)")
        if a != b:
            return Verdict(False, lines + [f"TEST FAIL: Server target latency mismatch ({b} vs {a})"])
    for s, tag in ((ref, "reference"), (got, "test")):
        if s.errors:
            lines.append(f"WARNING: {s.errors} ERROR reported in {tag} results")
    r, t = ref.score(), got.score()
    th = threshold_for(test, ref.scenario, r)
    lower = ref.lower_is_better
    unit = "ns" if lower else "samples/s"
    lines += [f"reference score = {r:g} ({unit})", f"test score = {t:g} ({unit})"]
    if test == "TEST01":
        ok = r * (1 - th) < t < r * (1 + th)
        rule = f"within +/-{th:.0%} of the reference"
    elif test == "TEST04":
        ok = t > r * (1 - th) if lower else t < r * (1 + th)
        rule = f"not more than {th:.0%} better than the reference (same sample every query)"
    elif test == "TEST05":
        ok = t < r * (1 + th) if lower else t > r * (1 - th)
        rule = f"not more than {th:.0%} worse than the reference (alternate seeds)"
    else:
        raise ValueError(f"unknown audit test {test!r}")
    ratio = t / r if r else float("inf")
    lines.append(f"rule: test score {rule}; test/reference = {ratio:.3f}")
    lines.append("TEST PASS" if ok else "TEST FAIL: Test score invalid")
    return Verdict(ok, lines)


def read_verdict(path: str | Path) -> Verdict:
    """Read a verify_*.txt (mlpace's or the official scripts'); PASS iff a 'TEST PASS' line."""
    path = Path(path)
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        raise DataError(f"{path}: verdict file not found") from None
    lines = text.splitlines()
    passed = any(line.strip() == "TEST PASS" for line in lines)
    if not passed and not any(line.strip().startswith("TEST FAIL") for line in lines):
        lines.append("TEST FAIL: no 'TEST PASS' line")
    return Verdict(passed, lines)

"""LLM compliance tests TEST06 (output consistency) and TEST09 (output length), file-only checks.

Both run the LoadGen in performance mode with their ``audit.config`` and read the run's
``mlperf_log_accuracy.json``, whose ``data`` are the output token ids (int32 here, as the
reference LLM SUTs write them) and, with token latencies, ``token_data`` (the first
token reported through ``FirstTokenComplete``) and ``token_count``.

* TEST06 (official ``compliance/TEST06``): (1) except in Offline, every ``token_data``
  token equals the leading token of ``data`` at the same position (compared over the
  shorter length); (2) at most one trailing EOS per sample, counted from the end down to
  index 1 (an output of exactly two EOS passes); (3) ``len(data) == token_count``.
  ``TEST06/verify_accuracy.txt`` holds ``First token check pass: True|False|Skipped``,
  ``EOS check pass: ...``, ``Sample length check pass: ...`` and ``TEST06 verification
  complete`` or ``TEST06 verification failed``.
* TEST09 (official ``compliance/TEST09``): every sample logged; the mean output length
  (token ids per ``data``, 4-byte little-endian) must lie within
  ``[test09_min_output_tokens, test09_max_output_tokens]`` (+/-10% of the reference
  model's mean). ``TEST09/verify_output_len.txt`` ends ``TEST PASS`` or ``TEST FAIL``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mlpace.audit.verify import DTYPES, Verdict
from mlpace.errors import DataError

LLM_TESTS = ("TEST06", "TEST09")

TEST06_ACCURACY_LOG_RNG_SEED = 720381539243781796
TEST06_SAMPLES = 100
TEST09_SAMPLING_TARGET = 10_000
TEST09_TOLERANCE = 0.10

_HEADER = """\
# The format of this config file is 'key = value'.
# The key has the format 'model.scenario.key'. Value is mostly int64_t.
# Model maybe '*' as wildcard. In that case the value applies to all models.
# All times are in milli seconds

# mode dictionary (0 = submission, 1 = accuracy, 2 = performance, 3 = find peak perf)
"""


def test06_config_text() -> str:
    """The official TEST06 audit.config."""
    return _HEADER + (
        "*.*.mode = 2\n"
        f"*.*.accuracy_log_rng_seed = {TEST06_ACCURACY_LOG_RNG_SEED}\n"
        f"*.*.accuracy_log_sampling_target = {TEST06_SAMPLES}\n"
        f"*.*.min_query_count = {TEST06_SAMPLES}\n"
        "*.*.min_duration = 0\n"
        "# Turn off equal issue mode for TEST06\n"
        "*.*.sample_concatenate_permutation = 0\n"
    )


def test09_bounds(reference_tokens_per_sample: float) -> tuple[float, float]:
    r = float(reference_tokens_per_sample)
    return round(r * (1 - TEST09_TOLERANCE), 2), round(r * (1 + TEST09_TOLERANCE), 2)


def test09_config_text(total_samples: int, reference_tokens_per_sample: float) -> str:
    """TEST09's audit.config (the official pattern: log every sample, run through the set)."""
    lo, hi = test09_bounds(reference_tokens_per_sample)
    return _HEADER + (
        "*.*.mode = 2\n"
        f"*.*.accuracy_log_rng_seed = {TEST06_ACCURACY_LOG_RNG_SEED}\n"
        f"*.*.accuracy_log_sampling_target = {max(TEST09_SAMPLING_TARGET, total_samples)}\n"
        f"*.*.min_query_count = {int(total_samples)}\n"
        "*.*.min_duration = 0\n"
        "*.*.sample_concatenate_permutation = 0\n"
        f"# reference mean output length {reference_tokens_per_sample} tokens, +/-10%\n"
        f"*.*.test09_min_output_tokens = {lo}\n"
        f"*.*.test09_max_output_tokens = {hi}\n"
    )


def read_test09_bounds(config: str | Path, scenario: str = "Offline") -> tuple[float, float]:
    """``(min, max)`` from an audit.config's ``test09_*_output_tokens`` keys, read by the
    official conf grammar (``loadgen.config.audit_values``)."""
    from mlpace.loadgen.config import audit_values

    found = audit_values(config, scenario)
    if "test09_min_output_tokens" not in found or "test09_max_output_tokens" not in found:
        raise DataError(f"{config}: needs test09_min_output_tokens and test09_max_output_tokens")
    return found["test09_min_output_tokens"], found["test09_max_output_tokens"]


def _records(path: str | Path) -> list[dict]:
    path = Path(path)
    try:
        records = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: accuracy log not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a valid accuracy log ({exc})") from None
    if not isinstance(records, list):
        raise DataError(f"{path}: accuracy log must be a JSON list of records")
    return records


def _tokens(hex_text: str, dt: np.dtype) -> np.ndarray:
    raw = bytes.fromhex(hex_text)
    return np.frombuffer(raw[: len(raw) // dt.itemsize * dt.itemsize], dtype=dt)


def first_token_check(records: list[dict], dt: np.dtype) -> bool:
    for rec in records:
        data, first = _tokens(rec["data"], dt), _tokens(rec["token_data"], dt)
        n = min(len(data), len(first))
        if not np.array_equal(data[:n], first[:n]):
            return False
    return True


def eos_check(records: list[dict], dt: np.dtype, eos: int) -> bool:
    for rec in records:
        data = _tokens(rec["data"], dt)
        trailing = 0
        for i in range(len(data) - 1, 0, -1):  # index 0 is never inspected
            if data[i] != eos:
                break
            trailing += 1
            if trailing >= 2:
                if len(data) != 2:  # [EOS, EOS] alone is allowed
                    return False
                break
    return True


def length_check(records: list[dict], dt: np.dtype) -> bool:
    return all(len(_tokens(rec["data"], dt)) == int(rec["token_count"]) for rec in records)


def verify_test06(accuracy_log: str | Path, scenario: str, eos_token_id: int = 2, dtype: str = "int32") -> Verdict:
    """TEST06 verdict of a performance-mode accuracy log (the official checks and lines)."""
    if dtype not in DTYPES:
        raise DataError(f"unknown payload dtype {dtype!r}; allowed: {', '.join(DTYPES)}")
    dt = np.dtype(DTYPES[dtype])
    records = _records(accuracy_log)

    def guarded(check, *args) -> bool:  # the official script turns an error into a failed check
        try:
            return check(records, dt, *args)
        except (KeyError, TypeError, ValueError):
            return False

    eos_pass = guarded(eos_check, int(eos_token_id))
    first = "Skipped" if scenario == "Offline" else guarded(first_token_check)
    length_pass = guarded(length_check)
    passed = eos_pass and first in (True, "Skipped") and length_pass
    lines = [
        f"First token check pass: {first}",
        f"EOS check pass: {eos_pass}",
        f"Sample length check pass: {length_pass}",
        "TEST06 verification complete" if passed else "TEST06 verification failed",
    ]
    return Verdict(bool(passed), lines)


def verify_test09(accuracy_log: str | Path, min_tokens: float, max_tokens: float) -> Verdict:
    """TEST09 verdict: mean output length (4-byte ids per ``data``) within [min, max]."""
    records = _records(accuracy_log)
    lengths = np.array([len(bytes.fromhex(r.get("data", "") or "")) // 4 for r in records], dtype=np.int64)
    if len(lengths) == 0:
        raise DataError(f"{accuracy_log}: no entries in the accuracy log")
    mean = float(lengths.mean())
    std = float(np.sqrt(((lengths - mean) ** 2).mean()))
    lo_ok, hi_ok = mean >= min_tokens, mean <= max_tokens
    passed = lo_ok and hi_ok
    bar = "=" * 80
    lines = [
        bar, "TEST09: Verify Output Token Length in Performance Mode", bar, "",
        "Output Token Length Statistics", "-" * 40,
        f"Total samples: {len(lengths)}",
        f"Mean output tokens: {mean:.2f}",
        f"Min output tokens: {int(lengths.min())}",
        f"Max output tokens: {int(lengths.max())}",
        f"Std deviation: {std:.2f}",
        "", bar, "Verification Results", bar,
        f"Mean output tokens: {mean:.2f}",
        f"Min threshold: {min_tokens}",
        f"Max threshold: {max_tokens}",
        f"Min check pass: {lo_ok}",
        f"Max check pass: {hi_ok}",
        "",
        "TEST PASS" if passed else "TEST FAIL",
    ]
    return Verdict(bool(passed), lines)


def read_test06_verdict(path: str | Path) -> Verdict:
    """A TEST06 ``verify_accuracy.txt`` (ours or the official script's), judged as the official
    submission checker does: first token ``True`` or ``Skipped``, EOS and length ``True``."""
    path = Path(path)
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except FileNotFoundError:
        raise DataError(f"{path}: verdict file not found") from None
    first = "First token check pass: True" in lines or "First token check pass: Skipped" in lines
    passed = first and "EOS check pass: True" in lines and "Sample length check pass: True" in lines
    if not passed:
        lines.append("TEST06 verification failed: " + ", ".join(
            name for name, ok in (("first token", first), ("EOS", "EOS check pass: True" in lines),
                                  ("sample length", "Sample length check pass: True" in lines)) if not ok))
    return Verdict(passed, lines)

"""The ``audit.config`` text of each audit test (official keys and values).

* TEST01 - log a sample of responses in performance mode (``accuracy_log_sampling_target``,
  official ``accuracy_log_rng_seed`` 720381539243781796).
* TEST04 - issue the same sample (index 3 of the loaded set) for every query.
* TEST05 - alternate seeds for the QSL, sample index and schedule generators.
"""

from __future__ import annotations

TESTS = ("TEST01", "TEST04", "TEST05")

TEST01_ACCURACY_LOG_RNG_SEED = 720381539243781796
TEST04_SAME_INDEX = 3
TEST05_SEEDS = {
    "qsl_rng_seed": 313588358309856706,
    "sample_index_rng_seed": 471397156132239067,
    "schedule_rng_seed": 413914573387865862,
}

_HEADER = """\
# The format of this config file is 'key = value'.
# The key has the format 'model.scenario.key'. Value is mostly int64_t.
# Model maybe '*' as wildcard. In that case the value applies to all models.
# All times are in milli seconds
"""

_MODES = "# mode dictionary (0 = submission, 1 = accuracy, 2 = performance, 3 = find peak perf)\n"


def audit_config_text(test: str, *, sampling_target: int = 64) -> str:
    """Return the audit.config for ``test`` (one of ``TESTS``)."""
    if test == "TEST01":
        body = (
            _MODES
            + "*.*.mode = 2\n"
            + f"*.*.accuracy_log_rng_seed = {TEST01_ACCURACY_LOG_RNG_SEED}\n"
            + f"*.*.accuracy_log_sampling_target = {int(sampling_target)}\n"
        )
    elif test == "TEST04":
        body = "".join(
            f"*.{s}.mode = 2\n"
            f"*.{s}.performance_issue_unique = 0\n"
            f"*.{s}.performance_issue_same = 1\n"
            f"*.{s}.performance_issue_same_index = {TEST04_SAME_INDEX}\n"
            for s in ("MultiStream", "Offline", "SingleStream", "Server")
        )
    elif test == "TEST05":
        body = _MODES + "*.*.mode = 2\n" + "".join(f"*.*.{k} = {v}\n" for k, v in TEST05_SEEDS.items())
    else:
        raise ValueError(f"unknown audit test {test!r}; allowed: {', '.join(TESTS)}")
    return _HEADER + "\n" + body

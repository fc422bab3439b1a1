"""Conf files side by side with the official parser: mlpace may refuse more, never read differently.

Generated files (hypothesis) and the setting lines of the official compliance
audit.config files go through the official ``TestSettings.FromConfig`` (audit
rules, ``conf_type`` 2: no bundled mlperf.conf, nothing counted, so it runs in
this process) and through mlpace's ``from_config``. The rule checked on every
file: when the official refuses it, mlpace refuses it; when mlpace accepts it,
every setting equals the official's; when mlpace refuses a file the official
accepts, the error names the file and the line. Generated files mix CR, FF, VT,
U+0085, U+2028, non-ASCII spaces, comments in every position, huge numbers,
``inf``, ``nan``, ``1e30``, hex and octal spellings, unknown keys and the
TEST07/TEST09 keys.
"""

from __future__ import annotations

import re

import mlperf_loadgen as official_lg  # the official LoadGen must be installed: fail, never skip
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpace.errors import ConfigError
from mlpace.loadgen.config import AUDIT_ONLY_KEYS, SCENARIOS, apply_audit_config, audit_values, from_config
from mlpace.loadgen.settings import TestSettings as Settings

_NAMES = [n for n in dir(official_lg.TestSettings()) if not n.startswith("_") and n != "FromConfig"]


def _official(path, model: str, scenario: str):
    s = official_lg.TestSettings()
    rc = s.FromConfig(str(path), model, scenario, 2)
    values = {}
    for name in _NAMES:
        v = getattr(s, name)
        values[name] = v if isinstance(v, (bool, int, float)) else int(v)
    return rc, values


def _ours(path, model: str, scenario: str):
    s = Settings()
    try:
        from_config(s, path, model, scenario, conf_type=2)
    except ConfigError as exc:
        return exc, None
    return None, s


def _same(ours: Settings, values: dict) -> list[str]:
    diffs = []
    for name, value in values.items():
        mine = getattr(ours, name)
        mine = int(mine) if hasattr(mine, "value") else mine
        if not (mine == value or (mine != mine and value != value)):  # nan == nan
            diffs.append(f"{name}: mlpace {mine!r} != official {value!r}")
    return diffs


def check_side_by_side(path, model: str, scenario: str) -> str:
    """Apply the rule; returns 'both', 'stricter' or 'refused' for the caller's statistics."""
    rc, values = _official(path, model, scenario)
    error, ours = _ours(path, model, scenario)
    if error is not None:
        assert re.match(re.escape(str(path)) + r":\d+: ", str(error)), str(error)
        return "refused" if rc != 0 else "stricter"
    assert rc == 0, f"the official refuses {path.read_bytes()!r} but mlpace accepts it"
    assert not _same(ours, values), (path.read_bytes(), _same(ours, values))
    return "both"


# --------------------------------------------------------------------------- generated files
# A generated file: valid setting lines, then a few edits that splice in what parsers disagree
# on (line ends Python knows and C does not, non-ASCII spaces, comments, odd numbers).
_VALID = [("min_duration", "100"), ("max_duration", "0"), ("min_query_count", "24"),
          ("max_query_count", "0x40"), ("mode", "2"), ("target_qps", "12.5"), ("target_latency", "15"),
          ("target_latency_percentile", "99.9"), ("samples_per_query", "4"), ("print_timestamps", "1"),
          ("sample_concatenate_permutation", "0"), ("accuracy_log_sampling_target", "64"),
          ("max_async_queries", "3"), ("coalesce_queries", "1"), ("performance_issue_same_index", "7"),
          ("target_duration", "0"), *[(k, "60.5") for k in AUDIT_ONLY_KEYS]]
_SPLICES = ["\r", "\r\n", "\n", "\f", "\v", "\t", "\x85", "\u2028", "\u2029", "\x1c", "\xa0", "\u2000",
            "\u3000", "\ufeff", "#", "# ", " #", " # c", "#c", "\n#note here\n", "=", " = ", " 5", ".",
            "*", "e30", "e400", "inf", "nan", "0x", "08", "-", "1" * 5000, "\x00", "é"]

_ENDS = ["\r\n", "\r", "\f", "\v", "\x85", "\u2028", "\u2029", "\x1c", "\x1e"]

_line = st.builds(lambda m, scen, kv: f"{m}.{scen}.{kv[0]} = {kv[1]}",
                  st.sampled_from(["*", "m", "other"]), st.sampled_from(["*", *SCENARIOS]),
                  st.sampled_from(_VALID))


@st.composite
def _file(draw):
    lines = draw(st.lists(_line, min_size=1, max_size=5))
    ends = draw(st.lists(st.sampled_from(["\n"] * 6 + _ENDS), min_size=len(lines), max_size=len(lines)))
    text = "".join(line + end for line, end in zip(lines, ends))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(_SPLICES)) + text[at:]
    return text


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_file(), scenario=st.sampled_from(SCENARIOS))
def test_generated_conf_files_never_read_differently(tmp_path, text, scenario):
    path = tmp_path / "gen.conf"
    path.write_bytes(text.encode("utf-8"))
    check_side_by_side(path, "m", scenario)


@pytest.mark.parametrize("text", [
    "*.*.min_query_count = 5\r*.*.max_query_count = 6\n",        # CR is a space there, not a line end
    "*.*.min_query_count = 5\f*.*.max_query_count = 6\n",
    "*.*.min_query_count = 5\u2028*.*.max_query_count = 6\n",
    "*.*.min_query_count = 5\x85*.*.max_query_count = 6\n",
    "*.*.min_query_count\xa0= 5\n",
    "*.*.min_query_count = 5 # five\n",
    "#note here\n*.*.min_query_count = 5\n",
    "*.*.min_query_count = " + "1" * 5000 + "\n",
    "*.Server.target_qps = inf\n",
    "*.Server.target_qps = 1e30\n",
    "*.Server.target_latency = 18446744073709551\n",
])
def test_lines_python_would_split_differently_are_refused_cleanly(tmp_path, text):
    path = tmp_path / "edge.conf"
    path.write_bytes(text.encode("utf-8"))
    assert check_side_by_side(path, "m", "Server") in ("refused", "stricter")


def test_spaces_the_official_reads_as_spaces_are_accepted(tmp_path):
    path = tmp_path / "ok.conf"
    path.write_bytes(b"*.*.min_query_count\v=\t5\r\n\f*.Server.target_qps =  12.5 \r\n#x\n# note\n")
    assert check_side_by_side(path, "m", "Server") == "both"


# --------------------------------------------------------------------------- official audit.config files
# The setting lines of the official compliance/**/audit.config files (mlcommons/inference).
OFFICIAL_AUDIT_CONFIGS = {
    "TEST01": "*.*.mode = 2\n*.*.accuracy_log_rng_seed = 720381539243781796\n"
              "*.*.accuracy_log_sampling_target = 64\n",
    "TEST04": "".join(f"*.{s}.mode = 2\n*.{s}.performance_issue_unique = 0\n*.{s}.performance_issue_same = 1\n"
                      f"*.{s}.performance_issue_same_index = 3\n"
                      for s in ("MultiStream", "Offline", "SingleStream", "Server"))
              + "stable-diffusion-xl.Offline.min_query_count = 500\n"
                "# stable-diffusion-xl.Offline.target_qps = 0.75\n",
    "TEST06": "*.*.mode = 2\n*.*.accuracy_log_rng_seed = 720381539243781796\n"
              "*.*.accuracy_log_sampling_target = 100\n*.*.min_query_count = 100\n*.*.min_duration = 0\n"
              "# Turn off equal issue mode for TEST06\n*.*.sample_concatenate_permutation = 0",
    "TEST07": "*.*.mode = 2\n*.*.accuracy_log_rng_seed = 720381539243781796\n"
              "*.*.accuracy_log_sampling_target = 10000\n*.*.min_query_count = 4395\n*.*.min_duration = 0\n"
              "*.*.sample_concatenate_permutation = 0\n*.*.test07_accuracy_threshold = 60.698\n",
    "TEST09": "*.*.mode = 2\n*.*.accuracy_log_rng_seed = 720381539243781796\n"
              "*.*.accuracy_log_sampling_target = 10000\n*.*.min_query_count = 824\n*.*.min_duration = 0\n"
              "*.*.sample_concatenate_permutation = 0\n# 273.81 * 0.90 = 246.43\n"
              "*.*.test09_min_output_tokens = 246.43\n*.*.test09_max_output_tokens = 301.19\n",
    # one version puts the rationale after the value: the official LoadGen refuses that file
    "TEST09-trailing-comment": "*.*.mode = 2\n*.*.test09_min_output_tokens = 1150.38 # 1278.2 * 0.90\n",
}


@pytest.mark.parametrize("name", sorted(OFFICIAL_AUDIT_CONFIGS))
def test_official_audit_configs_read_as_officially(tmp_path, name):
    path = tmp_path / "audit.config"
    path.write_text(OFFICIAL_AUDIT_CONFIGS[name])
    for scenario in SCENARIOS:
        outcome = check_side_by_side(path, "*", scenario)
        assert outcome == ("refused" if name == "TEST09-trailing-comment" else "both"), (name, scenario)


def test_audit_only_keys_reach_the_audit_code(tmp_path):
    path = tmp_path / "audit.config"
    path.write_text(OFFICIAL_AUDIT_CONFIGS["TEST09"] + OFFICIAL_AUDIT_CONFIGS["TEST07"].splitlines()[-1] + "\n")
    assert audit_values(path, "Server") == {"test07_accuracy_threshold": 60.698,
                                            "test09_min_output_tokens": 246.43,
                                            "test09_max_output_tokens": 301.19}
    s = Settings()
    warnings = apply_audit_config(s, path, "gpt-oss-120b", "Server")
    assert s.min_query_count == 824 and not any("test0" in w for w in warnings)

"""Conf files: official values, precedence, units, errors, and attribute-by-attribute
agreement with the official ``mlperf_loadgen.TestSettings.FromConfig``."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from mlpace.errors import ConfigError
from mlpace.loadgen.config import (
    AUDIT_CONFIG_WARNING,
    MULTIPLE_CONF_WARNING,
    SCENARIOS,
    apply_audit_config,
    builtin_mlperf_conf,
    from_config,
    parse_conf,
)
from mlpace.loadgen.settings import TestMode as Mode
from mlpace.loadgen.settings import TestSettings as Settings

OFFICIAL_SEEDS = {
    "qsl_rng_seed": 2085463073848966840,
    "sample_index_rng_seed": 2747215439041700203,
    "schedule_rng_seed": 16159082839903944936,
}


def _write(tmp_path, text, name="user.conf"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _mlperf(model, scenario):
    s = Settings()
    from_config(s, "", model, scenario, conf_type=0)
    return s


# --------------------------------------------------------------------------- bundled mlperf.conf
def test_bundled_mlperf_conf_official_values():
    assert len(parse_conf(builtin_mlperf_conf(), "mlperf.conf").entries) == 148
    server = _mlperf("resnet50", "Server")
    assert server.server_target_latency_ns == 15_000_000
    assert server.server_target_latency_percentile == 0.99
    assert server.min_duration_ms == 600_000
    assert server.performance_sample_count_override == 1024
    assert {k: getattr(server, k) for k in OFFICIAL_SEEDS} == OFFICIAL_SEEDS
    assert _mlperf("resnet50", "MultiStream").min_query_count == 662
    assert _mlperf("resnet50", "Offline").min_query_count == 24576
    assert _mlperf("bert", "Server").server_target_latency_ns == 130_000_000
    llama = _mlperf("llama2-70b", "Server")
    assert llama.use_token_latencies and llama.server_target_latency_ns == 0
    assert (llama.ttft_latency, llama.tpot_latency) == (2_000_000_000, 200_000_000)
    assert _mlperf("pointpainting", "SingleStream").single_stream_target_latency_percentile == 99.9 * 0.01


def test_scenario_argument_and_settings_scenario():
    s = _mlperf("resnet50", "Offline")
    # Scenario-bound keys are read under their own scenario whatever is configured.
    assert s.server_target_latency_ns == 15_000_000
    assert s.single_stream_expected_latency_ns == 10_000_000
    assert s.scenario.name == "SingleStream"  # FromConfig never sets the scenario
    with pytest.raises(ConfigError, match="unknown scenario 'server'.*SingleStream"):
        from_config(Settings(), "", "resnet50", "server", conf_type=0)


# --------------------------------------------------------------------------- precedence, units
def test_precedence(tmp_path):
    text = ("*.*.min_query_count = 1\n"
            "resnet50.*.min_query_count = 2\n"
            "*.Server.min_query_count = 3\n"
            "resnet50.Server.min_query_count = 4\n")
    conf = _write(tmp_path, text)
    counts = {}
    for model, scen in [("resnet50", "Server"), ("bert", "Server"), ("resnet50", "Offline"),
                        ("bert", "Offline")]:
        s = Settings()
        from_config(s, conf, model, scen, conf_type=2)
        counts[model, scen] = s.min_query_count
    assert counts == {("resnet50", "Server"): 4, ("bert", "Server"): 3,
                      ("resnet50", "Offline"): 2, ("bert", "Offline"): 1}


def test_units_and_key_mapping(tmp_path):
    conf = _write(tmp_path, "\n".join([
        "m.SingleStream.target_latency = 2.5",
        "m.MultiStream.target_latency = 40",
        "m.Server.target_latency = 100",
        "m.Server.target_latency_percentile = 97",
        "m.*.min_duration = 1234",
        "m.Server.target_qps = 250.5",
        "m.Offline.target_qps = 0x10",
        "m.MultiStream.samples_per_query = 4",
        "m.Server.coalesce_queries = 1",
        "m.Server.max_async_queries = 3",
        "m.*.mode = 1",
        "  # an indented comment line",
        "",
    ]))
    s = Settings()
    assert s.FromConfig(conf, "m", "Server", 2) == 0
    assert s.single_stream_expected_latency_ns == 2_500_000
    assert s.multi_stream_expected_latency_ns == 40_000_000
    assert s.server_target_latency_ns == 100_000_000
    assert s.server_target_latency_percentile == 0.97
    assert s.min_duration_ms == 1234
    assert s.server_target_qps == 250.5 and s.offline_expected_qps == 16.0
    assert s.multi_stream_samples_per_query == 4
    assert s.server_coalesce_queries and s.server_max_async_queries == 3
    assert s.mode == Mode.AccuracyOnly


# --------------------------------------------------------------------------- user.conf rules
def test_user_conf_loads_mlperf_conf_first_and_cannot_change_seeds(tmp_path):
    conf = _write(tmp_path, "*.*.qsl_rng_seed = 5\n*.Server.target_qps = 100\n")
    s = Settings()
    warnings = from_config(s, conf, "resnet50", "Server")
    assert s.min_duration_ms == 600_000  # from the bundled mlperf.conf
    assert s.server_target_qps == 100
    assert s.qsl_rng_seed == OFFICIAL_SEEDS["qsl_rng_seed"]
    assert any("qsl_rng_seed ignored" in w and ":1:" in w for w in warnings)
    assert s.conf_warnings == warnings


def test_second_user_conf_warns_multiple(tmp_path):
    first = _write(tmp_path, "*.Server.target_qps = 100\n", "a.conf")
    second = _write(tmp_path, "*.*.min_duration = 5\n", "b.conf")
    s = Settings()
    assert MULTIPLE_CONF_WARNING not in from_config(s, first, "resnet50", "Server")
    assert MULTIPLE_CONF_WARNING in from_config(s, second, "resnet50", "Server")
    assert s.min_duration_ms == 5 and s.server_target_qps == 100
    assert MULTIPLE_CONF_WARNING in s.conf_warnings


def test_token_latency_keys_need_their_switch(tmp_path):
    conf = _write(tmp_path, "*.Server.ttft_latency = 500\n")
    s = Settings()
    warnings = from_config(s, conf, "resnet50", "Server")
    assert s.ttft_latency == 100_000_000
    assert any("ttft_latency ignored because use_token_latencies is 0" in w for w in warnings)
    s = Settings()
    from_config(s, conf, "llama2-70b", "Server")
    assert s.ttft_latency == 500_000_000


def test_audit_config_overrides_with_official_rules(tmp_path):
    user = _write(tmp_path, "*.Server.target_qps = 100\n*.*.mode = 2\n")
    audit = _write(tmp_path, "*.*.mode = 1\n*.*.accuracy_log_rng_seed = 720381539243781796\n"
                             "*.*.accuracy_log_sampling_target = 4096\n*.*.schedule_rng_seed = 1\n"
                             "resnet50.*.min_query_count = 7\n", "audit.config")
    s = Settings()
    from_config(s, user, "resnet50", "Server")
    warnings = apply_audit_config(s, audit, "resnet50", "Server")
    assert warnings[0] == AUDIT_CONFIG_WARNING
    assert s.mode == Mode.AccuracyOnly
    assert s.accuracy_log_rng_seed == 720381539243781796
    assert s.accuracy_log_sampling_target == 4096
    assert s.schedule_rng_seed == OFFICIAL_SEEDS["schedule_rng_seed"]
    assert s.min_query_count == 100  # model-specific audit entries are not applied
    assert any("resnet50.*.min_query_count ignored" in w for w in warnings)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("line, message", [
    ("*.*.min_duration=5", "spaces around '='"),
    ("*.*.min_duration 5", "spaces around '='"),
    ("*.*.min_duration = 5 # ten", "comment must be on its own line"),
    ("*.*.min_duration = 5 6", "one value expected"),
    ("min_duration = 5", "model.scenario.key"),
    ("*.server.min_duration = 5", "unknown scenario 'server'; allowed: \\*, SingleStream"),
    ("*.*.min_durations = 5", "unknown key 'min_durations'; allowed: .*min_duration"),
    ("*.*.min_duration = ten", "not a number"),
    ("*.Server.target_latency = 0.5", "whole number >= 0 \\(whole milliseconds\\).*read it as 0"),
    ("*.*.min_query_count = 010", "read it as 8"),
    ("*.*.min_query_count = 1e3", "read it as 1"),
    ("*.*.min_query_count = -1", "whole number >= 0"),
    ("*.*.mode = 7", "allowed: 0 \\(SubmissionRun\\)"),
    ("*.*.print_timestamps = 2", "must be 0 or 1"),
    ("*.Server.target_latency_percentile = 100", "less than 1"),
    ("*.Server.target_qps = inf", "finite"),
])
def test_errors_name_file_line_key(tmp_path, line, message):
    conf = _write(tmp_path, "# header\n*.*.max_duration = 9\n" + line + "\n")
    s = Settings()
    before = s.model_dump()
    with pytest.raises(ConfigError, match=message) as info:
        from_config(s, conf, "resnet50", "Server", conf_type=2)
    text = str(info.value)
    assert text.startswith(f"{conf}:3:")
    key = line.split()[0].split("=")[0]
    if "." in key and "spaces" not in message:
        assert repr(key) in text
    assert s.model_dump() == before  # nothing applied from a refused file


def test_missing_file_and_bad_conf_type(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        from_config(Settings(), tmp_path / "nope.conf", "resnet50", "Server")
    with pytest.raises(ConfigError, match="conf_type 5 is not valid"):
        from_config(Settings(), tmp_path / "nope.conf", "resnet50", "Server", conf_type=5)


def test_parse_conf_reports_overridden_lines():
    conf = parse_conf("*.*.min_duration = 1\n*.*.min_duration = 2\n", "x.conf")
    assert conf.lookup("m", "Server", "min_duration").value == "2"
    assert conf.warnings and "x.conf:2" in conf.warnings[0] and "line 1" in conf.warnings[0]


# --------------------------------------------------------------------------- official LoadGen
_OFFICIAL_LOAD = r"""
import json, sys, mlperf_loadgen as lg
out = []
for path, model, scenario, conf_type in json.loads(sys.argv[1]):
    s = lg.TestSettings()
    rc = s.FromConfig(path, model, scenario, conf_type)
    values = {}
    for name in dir(s):
        if name.startswith("_") or name == "FromConfig":
            continue
        v = getattr(s, name)
        values[name] = v if isinstance(v, (bool, int, float)) else int(v)
    out.append({"rc": rc, "values": values})
print(json.dumps(out))
"""


def _official(calls):
    """Each call on a fresh official Settings; one process (user.conf count is per process)."""
    res = subprocess.run([sys.executable, "-c", _OFFICIAL_LOAD, json.dumps(calls)],
                         check=True, capture_output=True, text=True, timeout=60)
    return json.loads(res.stdout)


def _assert_same(ours: Settings, official: dict, label: str):
    assert official["rc"] == 0, label
    compared = 0
    for name, value in official["values"].items():
        mine = getattr(ours, name)
        mine = int(mine) if hasattr(mine, "value") else mine
        assert mine == value, f"{label}: {name}: mlpace {mine!r} != official {value!r}"
        compared += 1
    assert compared >= 40


def test_bundled_conf_matches_official_builtin():
    models = sorted({m.rsplit(".", 2)[0] for m in re.findall(r"^([^#\s*][^\s]*)\s=",
                                                         builtin_mlperf_conf(), re.M)})
    models.append("not-a-model")
    calls = [["", model, scen, 0] for model in models for scen in SCENARIOS]
    for call, official in zip(calls, _official(calls)):
        _assert_same(_mlperf(call[1], call[2]), official, f"{call[1]}/{call[2]}")


USER_CONFS = {
    "typical": ("resnet50", "Server",
                "resnet50.Server.target_qps = 1234.5\n"
                "resnet50.Offline.target_qps = 5000\n"
                "resnet50.SingleStream.target_latency = 0.75\n"
                "*.MultiStream.target_latency = 12\n"
                "*.*.min_duration = 60000\n"
                "*.*.performance_sample_count_override = 2048\n"),
    "seeds_and_flags": ("bert", "Offline",
                        "*.*.qsl_rng_seed = 5\n*.*.schedule_rng_seed = 6\n"
                        "*.*.accuracy_log_probability = 50\n*.*.test05 = 1\n"
                        "*.*.accuracy_log_rng_seed = 8\n*.*.accuracy_log_sampling_target = 9\n"
                        "*.*.mode = 3\n*.*.print_timestamps = 1\n"
                        "*.*.performance_issue_same = 1\n*.*.performance_issue_same_index = 3\n"
                        "*.*.sample_concatenate_permutation = 1\n*.*.max_query_count = 0x40\n"),
    "llm": ("llama2-70b", "Server",
            "llama2-70b.Server.ttft_latency = 1500\nllama2-70b.Server.tpot_latency = 150\n"
            "*.Server.target_latency_percentile = 99.9\n*.*.infer_token_latencies = 1\n"
            "*.*.token_latency_scaling_factor = 7\n*.Server.coalesce_queries = 1\n"
            "*.Server.max_async_queries = 4\n"),
    "precedence": ("retinanet", "MultiStream",
                   "*.*.min_query_count = 10\nretinanet.*.min_query_count = 20\n"
                   "*.MultiStream.min_query_count = 30\n*.MultiStream.samples_per_query = 2\n"
                   "retinanet.MultiStream.target_latency_percentile = 95\n"
                   "*.Offline.target_latency_percentile = 50\n"),
}


@pytest.mark.parametrize("case", sorted(USER_CONFS))
def test_user_conf_matches_official(tmp_path, case):
    model, scenario, text = USER_CONFS[case]
    conf = _write(tmp_path, text)
    (official,) = _official([[str(conf), model, scenario, 1]])  # fresh process: first user.conf
    ours = Settings()
    assert ours.FromConfig(conf, model, scenario) == 0
    _assert_same(ours, official, case)


def test_audit_rules_match_official(tmp_path):
    audit = _write(tmp_path, "*.*.mode = 1\n*.*.qsl_rng_seed = 3\n*.*.min_duration = 0\n"
                             "*.*.accuracy_log_sampling_target = 4096\n"
                             "*.Server.target_latency = 20\n", "audit.config")
    (official,) = _official([[str(audit), "*", "Server", 2]])  # what StartTest applies
    ours = Settings()
    apply_audit_config(ours, audit, "resnet50", "Server")
    _assert_same(ours, official, "audit")

"""The official compliance checker on mlpace's logs, with the rules mlpace ships."""

import subprocess
import sys

import yaml

from mlpace.training import compliance
from mlpace.training.benchmarks import BUILTIN

from .handmade import write_log


def _rules(tmp_path):
    cfgs = [make().config for make in BUILTIN.values()]
    return compliance.materialise_rules(cfgs, tmp_path / "rules", [compliance.RULES_DIR])


def _cli(tmp_path, path, config):
    return subprocess.run([sys.executable, "-m", "mlperf_logging.compliance_checker", "--usage", "training",
                           "--ruleset", "6.0.0", "--config", str(config), "--log_output",
                           str(tmp_path / "cc.log"), str(path)], capture_output=True, text=True, timeout=120)


def test_real_logs_pass_the_official_cli(digits_set, tmp_path):
    layout, _ = digits_set
    common = _rules(tmp_path)
    proc = _cli(tmp_path, layout.result_path(0), common)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "SUCCESS" in out
    assert f"Compliance checks: {common.parent}/closed_digits_cnn.yaml" in out


def test_removed_key_fails_the_official_cli(digits_set, tmp_path):
    layout, _ = digits_set
    text = layout.result_path(0).read_text().splitlines()
    for key, expected in (("cache_clear", "Required AT_LEAST_ONE occurrence of 'cache_clear' but found 0"),
                          ("opt_base_learning_rate", "Required EXACTLY_ONE occurrence of 'opt_base_learning_rate'"),
                          ("submission_platform", "Required EXACTLY_ONE occurrence of 'submission_platform'")):
        broken = tmp_path / f"no_{key}.txt"
        broken.write_text("\n".join(ln for ln in text if f'"key": "{key}"' not in ln) + "\n")
        proc = _cli(tmp_path, broken, _rules(tmp_path))
        assert proc.returncode == 1
        assert "FAILED" in proc.stdout + proc.stderr
        assert expected in proc.stdout + proc.stderr


def test_target_and_status_rules(tmp_path):
    common = _rules(tmp_path)
    below = write_log(tmp_path / "below.txt", metric=0.95)  # never reaches 0.96
    res = compliance.check_file(below, common)
    assert not res.passed
    assert any("Failed checks for eval_accuracy : v['value'] >= 0.96" in m for m in res.messages)
    ok = write_log(tmp_path / "ok.txt", metric=0.96)
    assert compliance.check_file(ok, common).passed
    no_status = tmp_path / "no_status.txt"
    no_status.write_text(ok.read_text().replace(', "status": "success"', ""))
    res = compliance.check_file(no_status, common)
    assert not res.passed and any("failed test: 'status' in v['metadata']" in m for m in res.messages)


def test_lower_is_better_target(tmp_path):
    common = _rules(tmp_path)
    hyper = {"global_batch_size": 64, "opt_name": "adam", "opt_base_learning_rate": 0.005,
             "gradient_accumulation_steps": 1}
    good = write_log(tmp_path / "g.txt", benchmark="adding_gru", metric=0.009, hyper=hyper)
    bad = write_log(tmp_path / "b.txt", benchmark="adding_gru", metric=0.011, hyper=hyper)
    assert compliance.check_file(good, common).passed
    assert not compliance.check_file(bad, common).passed


def test_unknown_benchmark_name_is_rejected(tmp_path):
    log = write_log(tmp_path / "x.txt", benchmark="not_a_benchmark")
    res = compliance.check_file(log, _rules(tmp_path))
    assert not res.passed and any("submission_benchmark" in m for m in res.messages)


def test_common_rules_are_the_official_ones_but_one_post(tmp_path):
    common = _rules(tmp_path)
    mine = yaml.load(common.read_text(), Loader=yaml.BaseLoader)
    official = yaml.load((compliance.OFFICIAL_RULES_DIR / "common.yaml").read_text(), Loader=yaml.BaseLoader)
    assert len(mine) == len(official)
    diffs = [(a, b) for a, b in zip(mine, official) if a != b]
    assert len(diffs) == 1
    a, b = diffs[0]
    assert a["KEY"]["NAME"] == "submission_division"
    assert {k: v for k, v in a["KEY"].items() if k != "POST"} == {k: v for k, v in b["KEY"].items() if k != "POST"}
    assert str(common.parent) in a["KEY"]["POST"] and "training_6.0.0" in b["KEY"]["POST"]


def test_official_benchmark_log_uses_official_rules(tmp_path):
    # an official benchmark's log checked through mlpace's rules set meets the official per-benchmark rules
    common = _rules(tmp_path)
    log = write_log(tmp_path / "lora.txt", benchmark="llama2_70b_lora", unit="samples_count", metric=0.92,
                    hyper={"global_batch_size": 8, "opt_base_learning_rate": 4e-4, "opt_learning_rate_training_steps": 800,
                           "opt_gradient_clip_norm": 0.3, "opt_adamw_weight_decay": 1e-4,
                           "gradient_accumulation_steps": 1, "lora_alpha": 32, "lora_rank": 16})
    res = compliance.check_file(log, common)
    assert res.passed, res.messages
    assert res.configs[-1].endswith("closed_llama2_70b_lora.yaml")
    assert compliance.check_file(log).passed  # and the official rules alone agree


def test_shipped_benchmark_rules_match_their_configs():
    for name, make in BUILTIN.items():
        cfg = make().config
        for division in ("closed", "open"):
            shipped = (compliance.RULES_DIR / f"{division}_{name}.yaml").read_text()
            assert shipped == compliance.benchmark_rules(cfg, division), f"{division}_{name}.yaml is stale"

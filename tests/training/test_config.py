"""Benchmark configs are validated at the edge; errors name the key."""

import pytest

from mlpace.cli import main
from mlpace.errors import ConfigError
from mlpace.training.benchmarks import get_benchmark
from mlpace.training.config import parse_override, validate_config
from mlpace.training.runset import build_benchmark

BASE = {"name": "b", "quality": {"metric": "acc", "goal": "max", "target": 0.9}, "global_batch_size": 8,
        "optimizer": "adam", "opt_base_learning_rate": 0.01, "max_epochs": 5, "required_runs": 5}


@pytest.mark.parametrize("change,key", [
    ({"max_epochs": 0}, "max_epochs"),
    ({"optimizer": "rmsprop"}, "optimizer"),
    ({"quality": {"metric": "acc", "goal": "up", "target": 0.9}}, "quality.goal"),
    ({"max_epoch": 5}, "max_epoch"),
    ({"required_runs": 2}, "required_runs"),
    ({"name": "Bad Name"}, "name"),
    ({"eval_every_epochs": 9}, "(top level)"),
    ({"hyperparameters": {"seed": 3}}, "hyperparameters"),
])
def test_bad_values_name_the_key(change, key):
    with pytest.raises(ConfigError) as err:
        validate_config({**BASE, **change}, source="test.yaml")
    assert f"key '{key}'" in str(err.value) and "test.yaml" in str(err.value)


def test_missing_key_is_named():
    raw = dict(BASE)
    del raw["global_batch_size"]
    with pytest.raises(ConfigError, match="key 'global_batch_size': Field required"):
        validate_config(raw)


def test_optimizer_error_lists_allowed_values():
    with pytest.raises(ConfigError, match="'adam', 'adamw' or 'sgd'"):
        validate_config({**BASE, "optimizer": "rmsprop"})


def test_overrides_and_closed_division():
    b = build_benchmark("digits_cnn", {"global_batch_size": 64, "opt_base_learning_rate": 0.004})
    assert b.config.global_batch_size == 64 and b.rcp_file == get_benchmark("digits_cnn").rcp_file
    with pytest.raises(ConfigError, match="closed division fixes quality"):
        build_benchmark("digits_cnn", {"quality.target": 0.5})
    assert build_benchmark("digits_cnn", {"quality.target": 0.5}, division="open").config.quality.target == 0.5
    with pytest.raises(ConfigError, match="key 'model.hidden'"):
        build_benchmark("digits_cnn", {"model.hidden": "wide"}, division="open")
    with pytest.raises(ConfigError, match="key 'data.train_sizes'"):
        build_benchmark("adding_gru", {"data.train_sizes": 10}, division="open")
    assert parse_override("max_epochs=3") == ("max_epochs", 3)
    assert parse_override("opt_name=sgd") == ("opt_name", "sgd")


def test_config_file(tmp_path):
    (tmp_path / "c.yaml").write_text("global_batch_size: 16\nmax_epochs: oops\n")
    with pytest.raises(ConfigError, match="key 'max_epochs'"):
        build_benchmark("digits_cnn", config_file=tmp_path / "c.yaml")
    (tmp_path / "c.yaml").write_text("global_batch_size: 16\n")
    assert build_benchmark("digits_cnn", config_file=tmp_path / "c.yaml").config.global_batch_size == 16


def test_unknown_benchmark_lists_choices():
    with pytest.raises(ConfigError, match="digits_cnn, adding_gru"):
        get_benchmark("resnet")


def test_cli_bad_config_is_one_red_line(capsys, tmp_path):
    code = main(["train", "digits_cnn", "--set", "max_epochs=-1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("error: ") and "key 'max_epochs'" in err[0]
    assert not (tmp_path / "o").exists()

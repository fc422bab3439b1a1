"""One run and a set: event order, target, limits, crashes, Ctrl-C (a user loop and the real benchmark)."""

import json

import pytest

from mlpace.errors import ConfigError, Interrupted
from mlpace.training import Benchmark, DataInfo, validate_config
from mlpace.training.harness import Submission, run_once
from mlpace.training.logfile import read_run_log
from mlpace.training.results_tree import ResultsLayout
from mlpace.training.runset import run_set


def _events(path):
    return [json.loads(ln.split(":::MLLOG ", 1)[1]) for ln in path.read_text().splitlines() if ":::MLLOG " in ln]


class CountingLoop:
    """A user's loop without torch: the metric rises by 0.1 per epoch; it notes when data is read."""

    def __init__(self, cfg, crash_at=None, interrupt_at=None):
        self.cfg, self.crash_at, self.interrupt_at = cfg, crash_at, interrupt_at
        self.calls = []

    def init(self, ctx):
        self.calls.append("init")
        self.epochs = 0

    def load_data(self, ctx):
        self.calls.append("load_data")
        return DataInfo(train_samples=100, eval_samples=10)

    def train_epoch(self, ctx, epoch):
        if epoch == self.crash_at:
            raise RuntimeError("loss is NaN")
        if epoch == self.interrupt_at:
            raise KeyboardInterrupt
        self.epochs = epoch

    def evaluate(self, ctx):
        return self.epochs / 10


def _bench(target=0.7, every=1, max_epochs=10, **loop_kw):
    cfg = validate_config({"name": "counting", "quality": {"metric": "score", "goal": "max", "target": target},
                           "global_batch_size": 8, "optimizer": "sgd", "opt_base_learning_rate": 0.1,
                           "eval_every_epochs": every, "max_epochs": max_epochs, "required_runs": 3,
                           "hyperparameters": {"opt_momentum": 0.9}})
    loops = []

    def make(c):
        loops.append(CountingLoop(c, **loop_kw))
        return loops[-1]

    return Benchmark(cfg, make), loops


def test_event_order_and_stop_at_first_passing_eval(tmp_path):
    bench, loops = _bench(target=0.7, every=2)
    res = run_once(bench, index=0, seed=7, log_path=tmp_path / "r.txt")
    assert res.status == "success" and res.epochs == 8  # evals at 2, 4, 6, 8: 0.8 is the first >= 0.7
    keys = [e["key"] for e in _events(tmp_path / "r.txt")]
    order = ["cache_clear", "init_start", "submission_org", "init_stop", "run_start", "train_samples", "run_stop"]
    assert [keys.index(k) for k in order] == sorted(keys.index(k) for k in order)
    evals = [e for e in _events(tmp_path / "r.txt") if e["key"] == "eval_accuracy"]
    assert [e["metadata"]["epoch_num"] for e in evals] == [2, 4, 6, 8]
    assert loops[0].calls == ["init", "load_data"]
    for key, value in (("opt_momentum", 0.9), ("global_batch_size", 8), ("seed", 7), ("opt_name", "sgd")):
        assert [e["value"] for e in _events(tmp_path / "r.txt") if e["key"] == key] == [value]
    stop = _events(tmp_path / "r.txt")[-1]
    assert stop["key"] == "run_stop" and stop["metadata"]["status"] == "success"
    log = read_run_log(tmp_path / "r.txt")
    assert res.time_to_train_s == pytest.approx(log.time_to_train_ms / 1000)


def test_run_start_precedes_data_access(tmp_path):
    seen = {}

    class Spy(CountingLoop):
        def load_data(self, ctx):
            seen["run_start_logged"] = '"run_start"' in (tmp_path / "r.txt").read_text()
            seen["init_stop_logged"] = '"init_stop"' in (tmp_path / "r.txt").read_text()
            return super().load_data(ctx)

    cfg = _bench()[0].config
    run_once(Benchmark(cfg, Spy), index=0, seed=1, log_path=tmp_path / "r.txt")
    assert seen == {"run_start_logged": True, "init_stop_logged": True}


def test_limit_gives_aborted_with_a_final_eval(tmp_path):
    bench, _ = _bench(target=2.0, every=4, max_epochs=6)
    res = run_once(bench, index=0, seed=1, log_path=tmp_path / "r.txt")
    assert res.status == "aborted" and res.epochs is None
    evals = [e["metadata"]["epoch_num"] for e in _events(tmp_path / "r.txt") if e["key"] == "eval_accuracy"]
    assert evals == [4, 6]
    assert _events(tmp_path / "r.txt")[-1]["metadata"]["status"] == "aborted"


def test_crashing_run_is_aborted_and_the_set_goes_on(tmp_path):
    cfg = _bench()[0].config
    made = []

    def make(c):  # the second run's loop crashes in epoch 3
        made.append(CountingLoop(c, crash_at=3 if len(made) == 1 else None))
        return made[-1]

    layout = ResultsLayout(tmp_path / "org", "sys", "counting")
    layout.prepare(False)
    results = run_set(Benchmark(cfg, make), layout, runs=3, base_seed=1, submission=Submission())
    assert [r.status for r in results] == ["success", "aborted", "success"]
    assert results[1].error == "RuntimeError: loss is NaN"
    log = read_run_log(layout.result_path(1))
    assert log.status == "aborted" and log.error == "RuntimeError: loss is NaN"
    assert [r.seed for r in results] == [1, 2, 3]


def test_ctrl_c_keeps_finished_results(tmp_path):
    cfg = _bench()[0].config
    made = []

    def make(c):
        made.append(CountingLoop(c, interrupt_at=2 if len(made) == 2 else None))
        return made[-1]

    layout = ResultsLayout(tmp_path / "org", "sys", "counting")
    layout.prepare(False)
    with pytest.raises(Interrupted, match="kept 2 finished"):
        run_set(Benchmark(cfg, make), layout, runs=5, base_seed=1, submission=Submission())
    names = sorted(p.name for p in layout.benchmark_dir.iterdir())
    assert names == ["result_0.txt", "result_1.txt", "result_2.txt.interrupted"]
    assert read_run_log(layout.result_path(1)).converged


def test_existing_set_is_not_mixed(tmp_path):
    layout = ResultsLayout(tmp_path / "org", "sys", "counting")
    layout.prepare(False)
    layout.result_path(0).write_text("old")
    with pytest.raises(ConfigError, match="--overwrite"):
        layout.prepare(False)
    layout.prepare(True)
    assert not layout.result_path(0).exists()


def test_real_digits_runs_reach_the_target(digits_set):
    layout, results = digits_set
    cfg_target = 0.96
    assert sum(r.converged for r in results) >= 4
    for r in results:
        log = read_run_log(layout.result_path(r.index))
        assert log.benchmark == "digits_cnn" and log.global_batch_size == 32 and log.seed == r.seed
        if r.converged:
            assert r.last_metric >= cfg_target and log.converged_at == r.epochs
            assert 0 < r.time_to_train_s < 120
    assert json.loads(layout.system_json.read_text())["framework"].startswith("PyTorch 2.13.0")


def test_real_adding_gru_run_reaches_the_target(tmp_path):
    from mlpace.training.benchmarks import get_benchmark

    bench = get_benchmark("adding_gru")
    res = run_once(bench, index=0, seed=3, log_path=tmp_path / "r.txt")
    assert res.status == "success", res
    assert res.last_metric <= 0.01 and res.epochs <= bench.config.max_epochs
    log = read_run_log(tmp_path / "r.txt")
    assert log.converged_at == res.epochs and log.evals[-1][1] == res.last_metric
    assert log.evals[0][1] > 0.05  # it really learned: the first epoch is far from the target

"""textgen: tokenizer, ROUGE against hand-computed cases, the engine's batching, and the
full LoadGen accuracy path with the model trained from its seed (session cache)."""

import json

import numpy as np
import pytest

from mlpace import loadgen as lg
from mlpace import workloads
from mlpace.workloads import rouge
from mlpace.workloads import textgen_model as tm
from mlpace.workloads.textgen_engine import Generation


@pytest.fixture(scope="module")
def wl():
    return workloads.get("textgen")


@pytest.fixture(scope="module")
def engine(wl):
    eng = wl.make_engine(max_batch=16)
    yield eng
    eng.close()


def test_contract_attributes(wl):
    assert "textgen" in workloads.names()
    assert wl.served_model_name == "mlpace-textgen"
    assert wl.min_output_tokens >= 2 and wl.max_output_tokens > wl.min_output_tokens
    prompts = wl.prompts()
    assert len(prompts) == 300 == wl.make_qsl().total_sample_count
    assert len(set(prompts)) == len(prompts)
    assert "proxy" in wl.proxy_note
    s = wl.default_settings("Server")
    assert s["use_token_latencies"] and s["ttft_latency"] > 0 and s["tpot_latency"] > 0


def test_held_out_lines_are_not_in_the_training_text(wl):
    train = set(wl.split.train)
    for prompt, ref in zip(wl.split.prompts, wl.split.references):
        assert f"{prompt} {ref}" not in train


def test_tokenizer_round_trip_and_special_ids(wl):
    text = "def f(x):\n    return x  # café ✓"
    ids = wl.encode(text)
    assert ids.dtype == np.int32 and ids.min() >= 3
    assert wl.decode(ids) == text
    assert wl.decode(np.concatenate([[tm.BOS], ids, [tm.EOS, tm.EOS]])) == text
    assert wl.eos_token_id == tm.EOS == 2


def test_rouge_hand_computed():
    # pred "the cat sat", ref "the cat sat down": unigram overlap 3, P=1, R=3/4 -> F=6/7
    s = rouge.scores("The cat sat", "the cat, sat down!")
    assert s["rouge1"] == pytest.approx(6 / 7)
    # bigrams: pred (the cat)(cat sat), ref (the cat)(cat sat)(sat down): overlap 2, P=1, R=2/3 -> 0.8
    assert s["rouge2"] == pytest.approx(0.8)
    assert s["rougeL"] == pytest.approx(6 / 7)
    # LCS of "a b c d" and "b d a": "b d" -> 2; P=2/3, R=2/4 -> F=4/7
    assert rouge.lcs_length(list("abcd"), list("bda")) == 2
    assert rouge.scores("b d a", "a b c d")["rougeL"] == pytest.approx(4 / 7)
    # clipped counts: "the the the" vs "the cat": overlap 1, P=1/3, R=1/2 -> 0.4
    assert rouge.scores("the the the", "the cat")["rouge1"] == pytest.approx(0.4)
    assert rouge.scores("", "the cat") == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert rouge.mean_scores(["the cat sat", "x"], ["the cat sat down", "y"])["rouge1"] == pytest.approx(
        round(100 * (6 / 7) / 2, 4))


def test_engine_batched_equals_serial_and_limits(wl, engine):
    prompts = [wl.encode(p) for p in wl.prompts()[:24]]
    batched = [engine.submit(Generation(p, wl.max_output_tokens, wl.min_output_tokens)) for p in prompts]
    outs = [g.wait(120) for g in batched]
    serial = [engine.generate(p, wl.max_output_tokens, wl.min_output_tokens) for p in prompts[:6]]
    assert serial == outs[:6]
    for g in batched:
        assert wl.min_output_tokens <= len(g.tokens) <= wl.max_output_tokens
        assert (g.finish_reason == "stop") == (g.tokens[-1] == tm.EOS)
        assert tm.EOS not in g.tokens[:-1]
    # ignore_eos: exactly max_tokens, no EOS; min_tokens holds EOS back
    long = engine.generate(prompts[0], 80, ignore_eos=True)
    assert len(long) == 80 and tm.EOS not in long
    short = engine.generate(prompts[0], 80, min_tokens=70)
    assert len(short) >= 70 and tm.EOS not in short[:70]


def test_accuracy_path_meets_target_and_logs_token_ids(wl, tmp_path):
    """Train from seed (cached), AccuracyOnly Offline over all 300 prompts, score: PASS."""
    qsl = wl.make_qsl()
    sut = wl.make_sut(qsl)
    settings = lg.TestSettings.make(**wl.default_settings("Offline"), mode="AccuracyOnly")
    result = lg.start_test(sut, qsl, settings, lg.LogSettings(outdir=tmp_path))
    assert not result.errors
    report = wl.score_accuracy_log(result.accuracy_path, out_dir=tmp_path)
    assert report.passed, report.why()
    assert report.count == 300 and report.value >= report.target
    assert report.scores["tokens_per_sample"] == pytest.approx(wl.reference_tokens_per_sample, rel=0.1)
    text = (tmp_path / "accuracy.txt").read_text()
    assert text.startswith("{'rouge1': ") and "'tokens_per_sample': " in text and "result: PASS" in text
    records = json.loads(result.accuracy_path.read_text())
    rec = records[0]
    ids = np.frombuffer(bytes.fromhex(rec["data"]), dtype="<i4")
    assert rec["token_count"] == len(ids) >= wl.min_output_tokens
    assert "token_data" not in rec  # Offline: no first-token payload, as the official LoadGen
    # the same ids as the engine gives for that prompt
    assert ids.tolist() == sut.engine.generate(wl.encode(wl.prompts()[rec["qsl_idx"]]), wl.max_output_tokens,
                                               wl.min_output_tokens)
    sut.engine.close()


def test_truncated_outputs_fail_the_length_rule(wl):
    idx = np.arange(300)
    outs = [np.array([100, 101], dtype=np.int32)] * 300
    scores, reasons = wl.score_outputs(idx, outs)
    assert any("tokens_per_sample" in r for r in reasons)

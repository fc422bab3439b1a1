"""``textgen``: greedy text generation, a proxy for MLPerf's LLM benchmarks (llama2-70b, llama3.1-8b).

Data: held-out lines of Python's bundled documentation (``mlpace.data.pydoc_text``);
each sample's prompt is the start of a line, its reference output the rest of the line.
Model: a byte-level GRU language model (``textgen_model``) trained from a fixed seed on
the other lines, cached like every model; inference in numpy with continuous batching
(``textgen_engine``). Accuracy, as MLPerf's LLM scripts: the accuracy-log payload of a
sample is its output token ids (little-endian int32, EOS included), decoded without
special tokens, stripped and scored with ROUGE-1/2/L against the reference (mean x 100);
each ROUGE must reach 99% of the reference model's and the mean output length
(``tokens_per_sample``) must lie within [0.9, 1.1] x the reference model's.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from mlpace.errors import ConfigError, SUTError
from mlpace.workloads import accuracy_log, models, rouge
from mlpace.workloads import textgen_model as tm
from mlpace.workloads.base import OFFICIAL_SEEDS, Workload, scenario_name
from mlpace.workloads.qsl import LoadedSet
from mlpace.workloads.report import AccuracyReport
from mlpace.workloads.textgen_engine import Engine, Generation

# Measured with the reference SUT over all 300 samples (AccuracyOnly run, Offline) on
# Python 3.11's pydoc text, torch 2.13.0: ``mlpace run textgen -s Offline --mode AccuracyOnly``.
REFERENCE = {"rouge1": 9.5318, "rouge2": 0.7657, "rougeL": 9.1981, "tokens_per_sample": 49.6}
LENGTH_TOLERANCE = 0.10  # MLPerf LLM checker: tokens_per_sample / gen_len within +/-10%


class TextQSL(LoadedSet):
    """Query sample library over the prompts (already tokenized); loading marks samples readable."""

    def __init__(self, name: str, prompts: list[str], performance_sample_count: int | None = None):
        self.prompts = list(prompts)
        self.prompt_ids = [tm.encode(p) for p in self.prompts]
        super().__init__(name, len(self.prompts), performance_sample_count)

    def tokens(self, index: int) -> np.ndarray:
        if not self._loaded[index]:  # one sample: the plain check, no array round trip
            raise SUTError(f"QSL {self.name!r}: sample {index} read before LoadSamplesToRam loaded it")
        return self.prompt_ids[index]


class TextgenSUT:
    """In-process SUT: every sample becomes a generation on the engine; first token and
    completion (int32 token ids, ``n_tokens``) are reported to the native LoadGen."""

    def __init__(self, qsl: TextQSL, engine: Engine, max_tokens: int, min_tokens: int, lg=None):
        if lg is None:
            from mlpace import loadgen as lg
        self.name = "numpy-textgen"
        self.qsl = qsl
        self.engine = engine
        self.max_tokens = max_tokens
        self.min_tokens = min_tokens
        self.lg = lg
        self.samples_run = 0

    def _on_token(self, gen: Generation, tok: int) -> None:
        if len(gen.tokens) == 1:
            self.lg.first_token_complete(gen.tag, np.array([[tok]], dtype="<i4"))

    def _on_done(self, gen: Generation) -> None:
        if gen.finish_reason not in ("stop", "length"):
            self.lg.fail(f"textgen generation for response id {int(gen.tag[0])} ended: "  # type: ignore[index]
                         f"{gen.finish_reason}")
            return
        out = np.asarray(gen.tokens, dtype="<i4")
        self.lg.complete(gen.tag, [out], n_tokens=np.array([len(out)], dtype=np.int64))

    def issue_queries(self, ids, indices) -> None:
        ids = np.asarray(ids, dtype=np.uint64)
        indices = np.asarray(indices, dtype=np.int64)
        for rid, idx in zip(ids, indices.tolist()):
            gen = Generation(self.qsl.tokens(idx), self.max_tokens, self.min_tokens,
                             on_token=self._on_token, on_done=self._on_done, tag=np.array([rid], dtype=np.uint64))
            self.engine.submit(gen)
        self.samples_run += len(ids)

    def flush_queries(self) -> None:
        pass


@dataclass
class TextgenAccuracyReport(AccuracyReport):
    """``accuracy.txt`` starts with the dict line MLPerf's LLM scripts print, then mlpace's fields."""

    scores: dict[str, float] = field(default_factory=dict)

    def to_text(self) -> str:
        head = "{" + ", ".join(f"'{k}': {v}" for k, v in self.scores.items()) + "}"
        rest = super().to_text().split("\n", 1)[1]
        return head + "\n" + rest


class Textgen(Workload):
    name = "textgen"
    description = "Text generation, greedy, byte-level GRU LM (ROUGE-1/2/L + output length)"
    proxy_note = ("proxy for the MLPerf LLM benchmarks (llama2-70b, llama3.1-8b): held-out lines of Python's "
                  "bundled docs, a small GRU language model, token streaming with TTFT/TPOT")
    metric = "rougeL"
    reference = REFERENCE["rougeL"]
    model_version = "1"
    seed = 0
    max_output_tokens = 64
    min_output_tokens = 2
    served_model_name = "mlpace-textgen"
    payload_dtype_name = "int32"
    eos_token_id = tm.EOS
    scenario_settings = {
        # SingleStream: 100 queries (early stopping at p90 needs at least 64)
        "SingleStream": {"single_stream_expected_latency_ns": 20_000_000, "min_duration_ms": 1000,
                         "min_query_count": 100},
        # MultiStream: early stopping at p99 needs 662 queries (tens of seconds; the MLPerf LLM
        # benchmarks have no MultiStream)
        "MultiStream": {"multi_stream_expected_latency_ns": 40_000_000, "min_duration_ms": 1000,
                        "min_query_count": 662},
        # 500 queries: enough for TTFT/TPOT early stopping at p99 with no query over the bounds
        # (the official llama2-70b Server bounds: TTFT 2 s, TPOT 200 ms)
        "Server": {"server_target_qps": 100, "ttft_latency": 2_000_000_000, "tpot_latency": 200_000_000,
                   "min_duration_ms": 1000, "min_query_count": 500},
        "Offline": {"offline_expected_qps": 300, "min_duration_ms": 1000, "min_query_count": 1},
    }

    @property
    def payload_dtype(self) -> str:
        return "<i4"

    @property
    def target_note(self) -> str:
        return (f"{100 * self.target_fraction:g}% of reference {self.reference:.4f}; also rouge1, rouge2 >= 99% "
                f"of reference and tokens_per_sample within 0.9-1.1 x {REFERENCE['tokens_per_sample']}")

    @property
    def reference_tokens_per_sample(self) -> float:
        return REFERENCE["tokens_per_sample"]

    @property
    def target(self) -> float:
        return round(self.reference * self.target_fraction, 4)

    # ---- data ------------------------------------------------------------------------
    @functools.cached_property
    def split(self):
        from mlpace.data import pydoc_text

        return pydoc_text.load(self.seed)

    def prompts(self) -> list[str]:
        """Prompt text of QSL index i at position i (each ends with a space)."""
        return [p + " " for p in self.split.prompts]

    def references(self) -> list[str]:
        return list(self.split.references)

    def load_eval(self):
        """No feature matrix (prompts are text); the labels are the reference outputs."""
        refs = self.references()
        return np.zeros((len(refs), 0), dtype=np.float32), np.array(refs, dtype=object)

    def encode(self, text: str) -> np.ndarray:
        return tm.encode(text)

    def decode(self, ids) -> str:
        return tm.decode(ids)

    # ---- model -----------------------------------------------------------------------
    def model_path(self):
        return models.ensure(self.name, self.model_version, self.seed,
                             lambda: tm.train(self.split.train, self.seed), suffix=".npz")

    @functools.cached_property
    def model(self) -> tm.GRU:
        return tm.GRU.load(self.model_path())

    def make_engine(self, max_batch: int = 64) -> Engine:
        return Engine(self.model, max_batch=max_batch)

    def default_settings(self, scenario) -> dict:
        name = scenario_name(scenario)
        return {"scenario": name, **OFFICIAL_SEEDS, "use_token_latencies": True, **self.scenario_settings[name]}

    def make_qsl(self, performance_sample_count: int | None = None) -> TextQSL:  # type: ignore[override]
        return TextQSL(self.name, self.prompts(), performance_sample_count)

    def make_sut(self, qsl, backend: str = "numpy", complete=None, batch_size: int = 64, engine: Engine | None = None):
        """In-process SUT on a fresh engine (``batch_size`` = concurrent sequences); ``backend``
        is accepted for the CLI's sake: textgen always runs its numpy engine."""
        if backend not in ("numpy", "onnxruntime"):
            raise ConfigError(f"unknown backend {backend!r}; allowed: numpy, onnxruntime")
        return TextgenSUT(qsl, engine or self.make_engine(batch_size), self.max_output_tokens, self.min_output_tokens)

    # ---- accuracy --------------------------------------------------------------------
    def outputs_from_log(self, path) -> tuple[np.ndarray, list[np.ndarray]]:
        log = accuracy_log.read(path)
        idx, payloads = log.first_per_index()
        return idx, [np.frombuffer(p[: len(p) // 4 * 4], dtype="<i4") for p in payloads]

    def score_outputs(self, idx: np.ndarray, outputs: list[np.ndarray]) -> tuple[dict[str, float], list[str]]:
        """MLPerf-style scores of the outputs of QSL indices ``idx`` and the reasons they cannot pass."""
        refs = self.references()
        reasons: list[str] = []
        if len(idx) and (idx.min() < 0 or idx.max() >= len(refs)):
            bad = int(idx[(idx < 0) | (idx >= len(refs))][0])
            return {}, [f"qsl_idx {bad} outside the {self.name} set (0..{len(refs) - 1})"]
        preds = [self.decode(o).strip() for o in outputs]
        scores: dict[str, float] = rouge.mean_scores(preds, [refs[i] for i in idx.tolist()])
        total_ids = sum(len(o) for o in outputs)
        scores["tokens_per_sample"] = round(total_ids / len(outputs), 1) if outputs else 0.0
        for key in ("rouge1", "rouge2"):
            need = round(REFERENCE[key] * self.target_fraction, 4)
            if scores[key] < need:
                reasons.append(f"{key} {scores[key]:.4f} < target {need:.4f} (99% of {REFERENCE[key]})")
        ref_len = REFERENCE["tokens_per_sample"]
        lo, hi = (1 - LENGTH_TOLERANCE) * ref_len, (1 + LENGTH_TOLERANCE) * ref_len
        if not lo <= scores["tokens_per_sample"] <= hi:
            reasons.append(f"tokens_per_sample {scores['tokens_per_sample']} outside [{lo:.1f}, {hi:.1f}] "
                           f"(0.9-1.1 x reference {ref_len})")
        return scores, reasons

    def score_accuracy_log(self, path, out_dir=None) -> TextgenAccuracyReport:
        """Score an ``mlperf_log_accuracy.json`` whose payloads are int32 token ids."""
        idx, outputs = self.outputs_from_log(path)
        scores, reasons = self.score_outputs(idx, outputs)
        total = len(self.references())
        if len(idx) < total:
            reasons.append(f"log covers {len(idx)} of {total} samples; an AccuracyOnly run covers all")
        report = TextgenAccuracyReport(
            workload=self.name,
            metric=self.metric,
            value=scores.get("rougeL", math.nan),
            target=self.target,
            target_note=self.target_note,
            count=len(idx),
            total=total,
            reasons=reasons,
            source=str(path),
            scores=scores,
        )
        if out_dir is not None:
            report.write(out_dir)
        return report

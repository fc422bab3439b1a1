"""Request sources: what to send for a QSL index and what payload a response becomes.

The endpoint SUT knows no workload. A ``TextSource`` gives prompts and output-token
bounds and turns generated text into the accuracy-log payload (token ids, little-endian
int32); a ``TensorSource`` gives FP32 feature rows and turns a model output into the
per-sample payload the in-process ``BatchSUT`` would log. Any workload that exposes
the contract (``prompts()``, ``max_output_tokens``, ``encode`` ... or a QSL with
``features`` and a ``payload_dtype``) plugs in; tests use synthetic ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


class TextSource:
    """Prompts for an LLM endpoint.

    ``encode``: text -> token ids (None: the payload is the UTF-8 text and the token
    count comes from the server's ``usage`` or, failing that, from the content chunks).
    ``eos_token_id``: appended to the ids of an answer that finished with ``stop`` (the
    model emitted its EOS, which servers count in ``usage`` but never put in the text), so
    the logged ids are the generated ones and their count matches ``usage``, as TEST06's
    length check requires."""

    kind = "text"

    def __init__(self, prompts: Sequence[str], max_tokens: int, min_tokens: int = 0,
                 encode: Callable[[str], np.ndarray] | None = None, model_hint: str | None = None,
                 eos_token_id: int | None = None) -> None:
        self.prompts = prompts
        self.eos_token_id = eos_token_id
        self.max_tokens = int(max_tokens)
        self.min_tokens = int(min_tokens)
        self.encode = encode
        self.model_hint = model_hint

    @classmethod
    def from_workload(cls, wl) -> "TextSource":
        return cls(wl.prompts(), wl.max_output_tokens, getattr(wl, "min_output_tokens", 0),
                   getattr(wl, "encode", None), getattr(wl, "served_model_name", None),
                   getattr(wl, "eos_token_id", None))

    def prompt(self, index: int) -> str:
        return self.prompts[index]

    def payload(self, text: str, finish: str | None = None) -> tuple[np.ndarray | bytes, int | None]:
        """(accuracy-log payload, token count of the payload or None when not countable)."""
        if self.encode is None:
            return text.encode("utf-8"), None
        ids = np.asarray(self.encode(text)).reshape(-1)
        if finish == "stop" and self.eos_token_id is not None:
            ids = np.append(ids, self.eos_token_id)
        ids = np.ascontiguousarray(ids, dtype="<i4")
        return ids, int(ids.size)


class TensorSource:
    """Feature rows of a QSL for a v2 (tensor) endpoint."""

    kind = "tensor"

    def __init__(self, features: Callable[[np.ndarray], np.ndarray], payload_dtype: str,
                 model_hint: str | None = None) -> None:
        self.features = features
        self.payload_dtype = np.dtype(payload_dtype)
        self.model_hint = model_hint

    @classmethod
    def from_workload(cls, wl, qsl) -> "TensorSource":
        return cls(qsl.features, wl.payload_dtype, wl.name)

    def payload(self, outputs: np.ndarray, n: int) -> np.ndarray:
        """Per-sample payload rows, exactly as ``BatchSUT.infer`` makes them."""
        return np.ascontiguousarray(np.asarray(outputs).reshape(n, -1)[:, :1].astype(self.payload_dtype))

"""OpenAI-compatible ``/v1/chat/completions`` and ``/v1/completions``: request body, answer reading.

Streamed answers are read as SSE (``sse.py``). The first token is the first chunk that
carries generated text (``delta.content``/``reasoning_content`` on chat, ``text`` on
completions); a role-only or empty chunk is not a token. The token count is the
server's ``usage.completion_tokens`` when sent (we ask with
``stream_options.include_usage``), else the source's tokenizer, else the number of
text-bearing chunks. Every deviation raises ``RequestFailed`` with its kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mlpace.endpoints.failures import RequestFailed

PATHS = {"openai-chat": "/chat/completions", "openai-completions": "/completions"}


def request_body(api: str, model: str, prompt: str, max_tokens: int, min_tokens: int, stream: bool,
                 temperature: float, extra: dict) -> dict:
    body: dict = {"model": model, "max_tokens": max_tokens, "temperature": temperature, "stream": stream}
    if api == "openai-chat":
        body["messages"] = [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    if min_tokens:
        body["min_tokens"] = min_tokens
    if stream:
        body["stream_options"] = {"include_usage": True}
    body.update(extra)
    return body


@dataclass
class Answer:
    text: str
    usage_tokens: int | None  # usage.completion_tokens, when the server sent it
    chunks: int  # text-bearing chunks (streamed) / 1
    finish: str | None = None  # finish_reason ("stop" = the model ended with its EOS)


def _usage_tokens(obj: dict) -> int | None:
    usage = obj.get("usage")
    if isinstance(usage, dict) and isinstance(usage.get("completion_tokens"), int):
        return usage["completion_tokens"]
    return None


def _error_text(obj) -> str | None:
    err = obj.get("error") if isinstance(obj, dict) else None
    if err:
        return json.dumps(err)[:300] if not isinstance(err, str) else err[:300]
    if isinstance(obj, dict) and obj.get("object") == "error":
        return str(obj.get("message", obj))[:300]
    return None


class StreamReader:
    """Consumes one streamed answer's SSE payloads; ``on_first`` fires at the first token."""

    def __init__(self, api: str, on_first) -> None:
        self.chat = api == "openai-chat"
        self.on_first = on_first
        self.parts: list[str] = []
        self.usage: int | None = None
        self.finish: str | None = None
        self.done = False

    def data(self, payload: bytes) -> None:
        if self.done:
            return
        if payload.strip() == b"[DONE]":
            self.done = True
            return
        try:
            obj = json.loads(payload)
        except ValueError:
            raise RequestFailed("malformed_stream", f"chunk is not JSON: {payload[:120]!r}") from None
        if not isinstance(obj, dict):
            raise RequestFailed("malformed_stream", f"chunk is not a JSON object: {payload[:120]!r}")
        err = _error_text(obj)
        if err:
            raise RequestFailed("error_chunk", f"error chunk in the stream: {err}")
        choices = obj.get("choices") or []
        if not isinstance(choices, list):
            raise RequestFailed("malformed_stream", f"'choices' is not a list: {payload[:120]!r}")
        for choice in choices:
            if not isinstance(choice, dict):
                raise RequestFailed("malformed_stream", f"a choice is not an object: {payload[:120]!r}")
            if self.chat:
                delta = choice.get("delta") or {}
                piece = (delta.get("content") or "") + (delta.get("reasoning_content") or "") \
                    if isinstance(delta, dict) else None
            else:
                piece = choice.get("text") or ""
            if not isinstance(piece, str):
                raise RequestFailed("malformed_stream", f"chunk content is not text: {payload[:120]!r}")
            if piece:
                if not self.parts:
                    self.on_first()
                self.parts.append(piece)
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        usage = _usage_tokens(obj)
        if usage is not None:
            self.usage = usage

    def answer(self) -> Answer:
        if not self.done or self.finish is None:
            missing = " and ".join(x for x, ok in (("a finish_reason", self.finish is not None),
                                                    ("data: [DONE]", self.done)) if not ok)
            raise RequestFailed("truncated_stream",
                                f"stream ended without {missing} after {len(self.parts)} text chunks")
        text = "".join(self.parts)
        if not text:
            raise RequestFailed("empty_output", f"stream finished ({self.finish}) with no generated text")
        return Answer(text, self.usage, len(self.parts), self.finish)


def read_body(api: str, raw: bytes) -> Answer:
    """A non-streamed answer (``chat.completion`` / ``text_completion`` JSON)."""
    try:
        obj = json.loads(raw)
    except ValueError:
        raise RequestFailed("malformed_stream", f"answer is not JSON: {raw[:120]!r}") from None
    err = _error_text(obj)
    if err:
        raise RequestFailed("error_chunk", f"error in the answer: {err}")
    try:
        choice = obj["choices"][0]
        text = choice["message"]["content"] if api == "openai-chat" else choice["text"]
    except (KeyError, IndexError, TypeError):
        raise RequestFailed("malformed_stream", f"answer without choices[0] text: {raw[:160]!r}") from None
    if not isinstance(text, str) and text is not None:
        raise RequestFailed("malformed_stream", f"answer text is not a string: {raw[:160]!r}")
    if not text:
        raise RequestFailed("empty_output", "answer with no generated text")
    return Answer(text, _usage_tokens(obj), 1, choice.get("finish_reason") if isinstance(choice, dict) else None)

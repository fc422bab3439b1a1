"""OpenAI-compatible text generation over HTTP: ``/v1/models``, ``/v1/completions``, ``/v1/chat/completions``.

Requests go to the ``textgen`` continuous-batching engine (one worker thread, so model
compute never runs on the event loop). Fields: ``model`` (must be the served name when
given), ``prompt`` (string, a one-string list, or a list of token ids) or ``messages``
(the last ``user`` message's content is the prompt, no chat template), ``max_tokens`` /
``max_completion_tokens`` (default: the workload's ``max_output_tokens``), ``min_tokens``,
``ignore_eos``, ``temperature`` (any value >= 0 is accepted; decoding is always greedy),
``stream``, ``stream_options.include_usage``, ``n`` (only 1).

Streaming (SSE): chat sends a role chunk (``delta.role``) together with the first token,
then one chunk per token (``delta.content`` / ``choices[0].text``; ``""`` while a UTF-8
character is incomplete or for EOS), a final chunk with ``finish_reason`` (``stop`` = EOS,
which is the last token and counted in ``completion_tokens``; ``length`` = max tokens),
the usage chunk (``choices: []``) when asked, then ``data: [DONE]``. Errors before the
stream: HTTP 4xx ``{"error": {"message", "type", "param", "code"}}``; after it started:
a ``data: {"error": ...}`` chunk, then ``[DONE]``.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import threading
import time
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from mlpace.workloads.textgen_engine import Engine, Generation

MAX_PROMPT_TOKENS = 4096
MAX_OUTPUT_TOKENS = 4096


class RequestError(Exception):
    def __init__(self, message: str, param: str | None = None, status: int = 400,
                 type_: str = "invalid_request_error", code: str | int | None = None):
        super().__init__(message)
        self.param, self.status, self.type, self.code = param, status, type_, code

    def response(self) -> JSONResponse:
        body = {"error": {"message": str(self), "type": self.type, "param": self.param,
                          "code": self.code if self.code is not None else self.status}}
        return JSONResponse(body, status_code=self.status)


def _int_field(body: dict, key: str, default, lo: int, hi: int):
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RequestError(f"'{key}' must be an integer in [{lo}, {hi}] (got {value!r})", key)
    return value


class _Mailbox:
    """Hands tokens from the engine thread to the event loop with at most one loop wake-up
    per batch of deliveries (``call_soon_threadsafe`` per token costs a syscall each)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.items: list[tuple[asyncio.Queue, object]] = []
        self.lock = threading.Lock()

    def post(self, queue: asyncio.Queue, item) -> None:
        with self.lock:
            self.items.append((queue, item))
            if len(self.items) > 1:
                return  # a wake-up is already scheduled
        self.loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        with self.lock:
            items, self.items = self.items, []
        for queue, item in items:
            queue.put_nowait(item)


class OpenAIService:
    """Request parsing, generation and response shapes for one served text model."""

    def __init__(self, workload, engine: Engine):
        self.wl = workload
        self.engine = engine
        self.model_name = workload.served_model_name
        self.created = int(time.time())
        self._mailboxes: dict[asyncio.AbstractEventLoop, _Mailbox] = {}

    def _mailbox(self, loop) -> _Mailbox:
        box = self._mailboxes.get(loop)
        if box is None:
            box = self._mailboxes[loop] = _Mailbox(loop)
        return box

    # ------------------------------------------------------------------ parsing
    async def _body(self, request: Request) -> dict:
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RequestError(f"request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise RequestError("request body must be a JSON object")
        return body

    def _prompt_ids(self, body: dict, chat: bool):
        import numpy as np

        if chat:
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                raise RequestError("'messages' must be a non-empty list of {role, content} objects", "messages")
            users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
            if not users:
                raise RequestError("'messages' holds no message with role 'user'", "messages")
            content = users[-1].get("content")
            if isinstance(content, list):  # typed parts: join the text parts
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
            if not isinstance(content, str):
                raise RequestError("the last user message's 'content' must be a string or text parts", "messages")
            ids = self.wl.encode(content)
        else:
            if "prompt" not in body:
                raise RequestError("'prompt' is required", "prompt")
            prompt = body["prompt"]
            if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
                prompt = prompt[0]
            if isinstance(prompt, str):
                ids = self.wl.encode(prompt)
            elif isinstance(prompt, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in prompt):
                ids = np.asarray(prompt, dtype=np.int64)
                if len(ids) and (ids.min() < 0 or ids.max() >= 259):
                    raise RequestError("token ids in 'prompt' must lie in [0, 258]", "prompt")
            else:
                raise RequestError("'prompt' must be a string, a list with one string, or a list of token ids",
                                   "prompt")
        if len(ids) > MAX_PROMPT_TOKENS:
            raise RequestError(f"prompt has {len(ids)} tokens; at most {MAX_PROMPT_TOKENS}", "prompt")
        return ids

    def parse(self, body: dict, chat: bool) -> tuple[Generation, bool, bool]:
        model = body.get("model")
        if model is not None and model != self.model_name:
            raise RequestError(f"The model '{model}' does not exist; served: {self.model_name}", "model",
                               status=404, type_="NotFoundError", code="model_not_found")
        ids = self._prompt_ids(body, chat)
        key = "max_completion_tokens" if chat and body.get("max_completion_tokens") is not None else "max_tokens"
        max_tokens = _int_field(body, key, self.wl.max_output_tokens, 1, MAX_OUTPUT_TOKENS)
        min_tokens = _int_field(body, "min_tokens", 0, 0, max_tokens)
        if _int_field(body, "n", 1, 1, 1) != 1:
            raise RequestError("only n = 1 is supported", "n")
        temperature = body.get("temperature", 0)
        if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))
                                        or temperature < 0):
            raise RequestError(f"'temperature' must be a number >= 0 (got {temperature!r})", "temperature")
        ignore_eos = body.get("ignore_eos", False)
        stream = body.get("stream", False)
        for key_, value in (("ignore_eos", ignore_eos), ("stream", stream)):
            if not isinstance(value, bool):
                raise RequestError(f"'{key_}' must be true or false (got {value!r})", key_)
        options = body.get("stream_options")
        include_usage = False
        if options is not None:
            if not stream:
                raise RequestError("'stream_options' is only allowed with 'stream': true", "stream_options")
            if not isinstance(options, dict):
                raise RequestError("'stream_options' must be an object", "stream_options")
            include_usage = bool(options.get("include_usage", False))
        return Generation(ids, max_tokens, min_tokens, ignore_eos), stream, include_usage

    # ------------------------------------------------------------------ endpoints
    async def models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [
            {"id": self.model_name, "object": "model", "created": self.created, "owned_by": "mlpace",
             "max_model_len": MAX_PROMPT_TOKENS + MAX_OUTPUT_TOKENS}]})

    async def completions(self, request: Request):
        return await self._handle(request, chat=False)

    async def chat_completions(self, request: Request):
        return await self._handle(request, chat=True)

    async def _handle(self, request: Request, chat: bool):
        try:
            gen, stream, include_usage = self.parse(await self._body(request), chat)
        except RequestError as err:
            return err.response()
        box = self._mailbox(asyncio.get_running_loop())
        queue: asyncio.Queue = asyncio.Queue()
        gen.on_token = lambda g, tok: box.post(queue, tok)
        gen.on_done = lambda g: box.post(queue, None)
        rid = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex
        try:
            self.engine.submit(gen)
        except RuntimeError as exc:
            return RequestError(f"server is shutting down: {exc}", status=503, type_="ServiceUnavailable").response()
        if stream:
            return StreamingResponse(self._stream(gen, queue, rid, chat, include_usage),
                                     media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            while await queue.get() is not None:
                pass
        except asyncio.CancelledError:
            self.engine.cancel(gen)
            raise
        if gen.finish_reason not in ("stop", "length"):
            return RequestError(f"generation failed: {gen.finish_reason}", status=500, type_="InternalServerError").response()
        text = self.wl.decode(gen.tokens)
        usage = self._usage(gen)
        if chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None,
                      "finish_reason": gen.finish_reason}
            obj = "chat.completion"
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": gen.finish_reason}
            obj = "text_completion"
        return JSONResponse({"id": rid, "object": obj, "created": int(time.time()), "model": self.model_name,
                             "choices": [choice], "usage": usage})

    def _usage(self, gen: Generation) -> dict:
        p, c = len(gen.prompt), len(gen.tokens)
        return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}

    async def _stream(self, gen: Generation, queue: asyncio.Queue, rid: str, chat: bool, include_usage: bool):
        created = int(time.time())
        obj = "chat.completion.chunk" if chat else "text_completion"
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        eos = self.wl.eos_token_id

        def chunk(piece: str | None, finish: str | None = None, role: bool = False) -> str:
            if chat:
                delta = {} if piece is None else {"content": piece}
                if role:
                    delta = {"role": "assistant", "content": ""}
                choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            else:
                choice = {"index": 0, "text": piece or "", "logprobs": None, "finish_reason": finish}
            body = {"id": rid, "object": obj, "created": created, "model": self.model_name, "choices": [choice]}
            if include_usage:
                body["usage"] = None
            return f"data: {json.dumps(body)}\n\n"

        # the per-token event, with only the text serialized per token (same JSON as chunk())
        head, _, tail = chunk("\x00").partition(json.dumps("\x00"))

        def token_chunk(piece: str) -> str:
            return head + json.dumps(piece) + tail

        try:
            first = True
            ended = False
            while not ended:
                # one write per wake-up: every token already delivered, one SSE event each
                toks = [await queue.get()]
                while not queue.empty():
                    toks.append(queue.get_nowait())
                out = []
                for tok in toks:
                    if tok is None:
                        ended = True
                        break
                    if first and chat:
                        out.append(chunk(None, role=True))
                    first = False
                    if tok != eos:
                        out.append(token_chunk("" if tok < 3 else decoder.decode(bytes([tok - 3]))))
                if out:
                    yield "".join(out)
            if gen.finish_reason not in ("stop", "length"):
                err = {"error": {"message": f"generation failed: {gen.finish_reason}", "type": "InternalServerError",
                                 "param": None, "code": 500}}
                yield f"data: {json.dumps(err)}\n\n"
                yield "data: [DONE]\n\n"
                return
            tail = decoder.decode(b"", final=True)
            if first and chat:
                yield chunk(None, role=True)
            yield chunk(tail if tail else (None if chat else ""), finish=gen.finish_reason)
            if include_usage:
                body = {"id": rid, "object": obj, "created": created, "model": self.model_name, "choices": [],
                        "usage": self._usage(gen)}
                yield f"data: {json.dumps(body)}\n\n"
            yield "data: [DONE]\n\n"
        finally:
            if not gen.done.is_set():
                self.engine.cancel(gen)

    def routes(self) -> list[Route]:
        return [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/completions", self.completions, methods=["POST"]),
            Route("/v1/chat/completions", self.chat_completions, methods=["POST"]),
        ]

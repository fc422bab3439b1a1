"""SSE framing and OpenAI chunk reading without a server: events split across reads,
comments, CRLF, multi-line data; what counts as the first token; each malformed shape
gets its failure kind."""

from __future__ import annotations

import json

import pytest

from mlpace.endpoints.failures import RequestFailed
from mlpace.endpoints.openai import StreamReader, read_body
from mlpace.endpoints.sse import SSEParser


def test_events_split_anywhere_are_reassembled():
    wire = b": ping\r\n\r\nevent: x\ndata: {\"a\": 1}\n\ndata: line1\ndata: line2\n\ndata:[DONE]\n\n"
    for cut in range(1, len(wire)):
        p = SSEParser()
        got = p.feed(wire[:cut]) + p.feed(wire[cut:]) + p.close()
        assert got == [b'{"a": 1}', b"line1\nline2", b"[DONE]"], cut


def chat(content=None, role=False, finish=None):
    delta = {"role": "assistant", "content": ""} if role else {"content": content}
    return json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}).encode()


def test_role_only_chunk_is_not_the_first_token_and_usage_wins():
    firsts = []
    r = StreamReader("openai-chat", lambda: firsts.append(len(r.parts)))
    r.data(chat(role=True))
    assert firsts == []
    r.data(chat("Hel"))
    r.data(chat("lo", finish="length"))
    r.data(json.dumps({"choices": [], "usage": {"completion_tokens": 7}}).encode())
    r.data(b"[DONE]")
    a = r.answer()
    assert firsts == [0] and a.text == "Hello" and a.usage_tokens == 7 and a.chunks == 2


@pytest.mark.parametrize("chunks, kind", [
    ([b"{not json"], "malformed_stream"),
    ([b'{"choices": {"x": 1}}'], "malformed_stream"),
    ([b'{"error": {"message": "boom"}}'], "error_chunk"),
    ([b'{"object": "error", "message": "flat"}'], "error_chunk"),
])
def test_bad_chunks_have_their_kind(chunks, kind):
    r = StreamReader("openai-completions", lambda: None)
    with pytest.raises(RequestFailed) as info:
        for c in chunks:
            r.data(c)
    assert info.value.kind == kind


@pytest.mark.parametrize("chunks, kind", [
    ([chat("a")], "truncated_stream"),                          # neither finish_reason nor [DONE]
    ([chat("a", finish="stop")], "truncated_stream"),           # no [DONE]
    ([chat(role=True), chat("", finish="stop"), b"[DONE]"], "empty_output"),
])
def test_incomplete_streams_have_their_kind(chunks, kind):
    r = StreamReader("openai-chat", lambda: None)
    for c in chunks:
        r.data(c)
    with pytest.raises(RequestFailed) as info:
        r.answer()
    assert info.value.kind == kind


def test_non_streamed_bodies():
    ok = read_body("openai-completions", b'{"choices": [{"text": "hi"}], "usage": {"completion_tokens": 1}}')
    assert ok.text == "hi" and ok.usage_tokens == 1
    for raw, kind in ((b"nope", "malformed_stream"), (b'{"choices": []}', "malformed_stream"),
                      (b'{"choices": [{"text": ""}]}', "empty_output"), (b'{"error": "x"}', "error_chunk")):
        with pytest.raises(RequestFailed) as info:
            read_body("openai-completions", raw)
        assert info.value.kind == kind


def test_eos_is_logged_when_the_answer_stopped():
    import numpy as np

    from mlpace.endpoints.sources import TextSource

    src = TextSource(["p"], 8, encode=lambda t: np.frombuffer(t.encode(), dtype=np.uint8).astype(np.int32) + 3,
                     eos_token_id=2)
    stopped, n = src.payload("ab", "stop")
    assert n == 3 and stopped.tolist() == [100, 101, 2]  # usage counts the EOS; the text never holds it
    cut, n = src.payload("ab", "length")
    assert n == 2 and cut.tolist() == [100, 101]

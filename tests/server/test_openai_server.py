"""``mlpace serve`` over HTTP on 127.0.0.1 (ephemeral port, real uvicorn in a thread):
the OpenAI-compatible endpoints, SSE framing, usage counts, batching and error bodies."""

import concurrent.futures as cf
import json

import httpx
import pytest

from mlpace import workloads
from mlpace.server import ServerThread


@pytest.fixture(scope="module")
def wl():
    return workloads.get("textgen")


@pytest.fixture(scope="module")
def server():
    with ServerThread(["textgen"], max_batch=16) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url + "/v1", timeout=60) as c:
        yield c


def sse_events(lines) -> list:
    """Parse an SSE body: ``data:`` payloads between blank lines; comments skipped; [DONE] last."""
    events, buf = [], []
    for line in lines:
        if line == "":
            if buf:
                events.append("\n".join(buf))
                buf = []
        elif line.startswith(":"):
            continue
        elif line.startswith("data:"):
            buf.append(line[5:].strip())
    assert not buf, "stream ended inside an event"
    assert events and events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def stream(client, path, body) -> list:
    with client.stream("POST", path, json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        return sse_events(r.iter_lines())


def reference_ids(wl, prompt, max_tokens=None, **kw):
    eng = wl.make_engine(1)
    try:
        return eng.generate(wl.encode(prompt), max_tokens or wl.max_output_tokens, **kw)
    finally:
        eng.close()


def test_models_list(client):
    r = client.get("/models")
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["mlpace-textgen"]
    assert body["data"][0]["object"] == "model"


def test_completion_stream_chunks_and_usage(client, wl):
    prompt = wl.prompts()[0]
    events = stream(client, "/completions", {"model": "mlpace-textgen", "prompt": prompt, "max_tokens": 64,
                                             "temperature": 0, "stream": True,
                                             "stream_options": {"include_usage": True}})
    *choice_chunks, usage_chunk = events
    assert usage_chunk["choices"] == [] and usage_chunk["object"] == "text_completion"
    assert all(e["usage"] is None for e in choice_chunks)
    assert all(e["object"] == "text_completion" and e["model"] == "mlpace-textgen" for e in choice_chunks)
    assert [e["choices"][0]["finish_reason"] for e in choice_chunks[:-1]] == [None] * (len(choice_chunks) - 1)
    finish = choice_chunks[-1]["choices"][0]["finish_reason"]
    text = "".join(e["choices"][0]["text"] for e in choice_chunks)
    ids = reference_ids(wl, prompt)
    assert text == wl.decode(ids)
    assert usage_chunk["usage"]["completion_tokens"] == len(ids)
    assert usage_chunk["usage"]["prompt_tokens"] == len(wl.encode(prompt))
    assert usage_chunk["usage"]["total_tokens"] == len(ids) + len(wl.encode(prompt))
    assert finish == ("stop" if ids[-1] == wl.eos_token_id else "length")
    # the ids a client rebuilds from text + finish_reason equal the server's
    rebuilt = list(wl.encode(text)) + ([wl.eos_token_id] if finish == "stop" else [])
    assert rebuilt == ids


def test_chat_stream_role_first_then_deltas(client, wl):
    prompt = wl.prompts()[1]
    events = stream(client, "/chat/completions", {
        "model": "mlpace-textgen", "messages": [{"role": "system", "content": "ignored"},
                                                {"role": "user", "content": prompt}],
        "max_completion_tokens": 5, "stream": True})
    assert all(e["object"] == "chat.completion.chunk" and "usage" not in e for e in events)
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = [e["choices"][0]["delta"].get("content", "") for e in events[1:]]
    assert events[-1]["choices"][0]["finish_reason"] == "length"
    assert "".join(content) == wl.decode(reference_ids(wl, prompt, 5))
    assert len(events) == 1 + 5 + 1  # role, one chunk per token, final


def test_non_streamed_bodies_have_top_level_usage(client, wl):
    prompt = wl.prompts()[2]
    ids = reference_ids(wl, prompt)
    r = client.post("/completions", json={"prompt": prompt})
    body = r.json()
    assert r.status_code == 200 and body["object"] == "text_completion"
    assert body["choices"][0]["text"] == wl.decode(ids)
    assert body["usage"]["completion_tokens"] == len(ids)
    r = client.post("/chat/completions", json={"model": "mlpace-textgen", "max_tokens": 64,
                                               "messages": [{"role": "user", "content": prompt}]})
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": wl.decode(ids)}
    assert body["usage"]["completion_tokens"] == len(ids)


def test_min_tokens_and_ignore_eos(client, wl):
    prompt = wl.prompts()[3]
    body = client.post("/completions", json={"prompt": prompt, "max_tokens": 40, "ignore_eos": True}).json()
    assert body["usage"]["completion_tokens"] == 40 and body["choices"][0]["finish_reason"] == "length"
    body = client.post("/completions", json={"prompt": prompt, "max_tokens": 90, "min_tokens": 80}).json()
    assert body["usage"]["completion_tokens"] >= 80


def test_concurrent_requests_match_serial_outputs(client, wl, server):
    prompts = wl.prompts()[10:34]
    serial = [wl.decode(reference_ids(wl, p)) for p in prompts[:4]]

    def one(p):
        return client.post("/completions", json={"prompt": p, "max_tokens": 64}).json()["choices"][0]["text"]

    with cf.ThreadPoolExecutor(12) as pool:
        texts = list(pool.map(one, prompts))
    assert texts[:4] == serial
    eng = wl.make_engine(1)
    try:
        for p, t in zip(prompts, texts):
            assert t == wl.decode(eng.generate(wl.encode(p), 64, 0))
    finally:
        eng.close()
    assert server.served.engine.steps > 0


@pytest.mark.parametrize("path,body,status,param", [
    ("/completions", {"model": "gpt-4", "prompt": "x"}, 404, "model"),
    ("/completions", {"max_tokens": 4}, 400, "prompt"),
    ("/completions", {"prompt": 5}, 400, "prompt"),
    ("/completions", {"prompt": "x", "max_tokens": 0}, 400, "max_tokens"),
    ("/completions", {"prompt": "x", "temperature": -1}, 400, "temperature"),
    ("/completions", {"prompt": "x", "stream_options": {"include_usage": True}}, 400, "stream_options"),
    ("/chat/completions", {"messages": []}, 400, "messages"),
    ("/chat/completions", {"messages": [{"role": "assistant", "content": "hi"}]}, 400, "messages"),
])
def test_errors_have_the_openai_body(client, path, body, status, param):
    r = client.post(path, json=body)
    assert r.status_code == status
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["param"] == param and err["message"]


def test_bad_json_is_a_400_with_the_openai_body(client):
    r = client.post("/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["error"]["message"]


def test_token_id_prompt_equals_text_prompt(client, wl):
    prompt = wl.prompts()[5]
    a = client.post("/completions", json={"prompt": prompt, "max_tokens": 10}).json()
    b = client.post("/completions", json={"prompt": wl.encode(prompt).tolist(), "max_tokens": 10}).json()
    assert a["choices"][0]["text"] == b["choices"][0]["text"] == wl.decode(reference_ids(wl, prompt, 10))
    assert a["usage"]["prompt_tokens"] == b["usage"]["prompt_tokens"] == len(wl.encode(prompt))

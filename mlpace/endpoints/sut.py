"""``EndpointSUT``: the LoadGen's SUT for a server reached over HTTP.

``issue_queries`` stamps the intended send time and hands the query to the loop thread
(one ``call_soon_threadsafe``), so it returns in microseconds. On the loop, each request
(one per sample for OpenAI, one per query or batch for v2) records its actual send,
first token and end in ``RequestRecords``, and answers the LoadGen with
``first_token_complete`` / ``complete(ids, payload, n_tokens)``.

Failures: the first failed request of a phase calls ``fail`` with its kind and message,
so the LoadGen ends the run at once (a dead server costs no ``sut_timeout_ms`` wait); with
``keep_going`` a failed request is answered empty and counted, and the run goes on
(connection failures still end it);
``flush_queries`` cancels what is still in flight; ``phase_report`` (the LoadGen's
optional SUT hook) returns the counts per kind as ``Run failed:`` errors, the
``mlpace_endpoint_*`` / ``mlpace_client_*`` detail keys, and a "client fell behind"
warning when the send lag p99 exceeds 1 ms.
"""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np

from mlpace.endpoints import openai, v2
from mlpace.endpoints.client import Endpoints, LoopThread
from mlpace.endpoints.config import EndpointConfig
from mlpace.endpoints.failures import FAILURE_KINDS, OK, classify_exception, http_failure
from mlpace.endpoints.records import ClientStats, RequestRecords
from mlpace.endpoints.sse import SSEParser

LAG_WARN_NS = 1_000_000
_SERVER_GONE = ("connection_refused", "connection_reset")  # send lag p99 above this: "client fell behind"
_pc = time.perf_counter_ns


class EndpointSUT:
    """Duck-typed SUT for ``mlpace.loadgen.start_test``; see the module docstring."""

    def __init__(self, config: EndpointConfig, source, *, model: str, v2_input: str = "input",
                 complete=None, first_token=None, fail=None) -> None:
        from mlpace import loadgen as lg

        self.config = config
        self.api = config.api
        self.source = source
        self.model = model
        self.v2_input = v2_input
        self.name = f"endpoint-{self.api}-{model}"
        self._complete = complete or lg.complete
        self._first_token = first_token or lg.first_token_complete
        self._fail = fail or lg.fail
        self.records = RequestRecords()
        self.history: list[ClientStats] = []
        self.token_count_mismatches = 0
        self._tasks: set[asyncio.Task] = set()
        self._loop_thread = LoopThread()
        self.loop = self._loop_thread.loop
        self._sem = None
        headers = {"Content-Type": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._endpoints: Endpoints = self._loop_thread.call(self._make(headers), timeout=30)
        if self.api == "v2":
            self._path = v2.infer_path(model)
        else:
            self._path = openai.PATHS[self.api]

    async def _make(self, headers) -> Endpoints:
        if self.config.max_concurrency:
            self._sem = asyncio.Semaphore(self.config.max_concurrency)
        eps = Endpoints(self.config.urls, self.config.balance, self.config.request_timeout_s,
                        self._on_sent, headers)
        await eps.warm("/v2/health/ready" if self.api == "v2" else "/models")
        return eps

    # ------------------------------------------------------------------ LoadGen side
    def issue_queries(self, ids, indices) -> None:
        self._loop_thread.submit(self._dispatch, ids, indices, _pc())

    def flush_queries(self) -> None:
        """End of a phase: cancel requests still in flight (after a failure) and wait for them."""
        if self._tasks:
            self._loop_thread.call(self._cancel_all(), timeout=30)

    def phase_report(self):
        """(errors, detail items, warnings) of the phase that just ended; starts a new phase."""
        rec, self.records = self.records, RequestRecords()
        st = rec.stats()
        self.history.append(st)
        errors: list[str] = []
        if st.failed:
            tail = f"; {st.unfinished} in flight were cancelled when the run ended" if st.unfinished else ""
            errors.append(f"endpoint failures by kind: {st.failure_text()} "
                          f"(of {st.requests} requests){tail}")
        items: list[tuple[str, object]] = [
            ("mlpace_endpoint_api", self.api),
            ("mlpace_endpoint_urls", list(self.config.urls)),
            ("mlpace_endpoint_model", self.model),
            ("mlpace_endpoint_requests", st.requests),
            ("mlpace_endpoint_requests_ok", st.ok),
            ("mlpace_endpoint_requests_unfinished", st.unfinished),
        ]
        items += [(f"mlpace_endpoint_failures_{kind}", st.failures[kind]) for kind in FAILURE_KINDS]
        items += [(f"mlpace_endpoint_first_failure_{kind}", msg) for kind, msg in st.first_message.items()]
        items += [("mlpace_client_send_lag_p50_ns", st.lag(0.5)), ("mlpace_client_send_lag_p99_ns", st.lag(0.99)),
                  ("mlpace_client_send_lag_max_ns", st.lag_max)]
        if len(self.config.urls) > 1:  # per node: requests, ok, failed, request time p50/p99
            items.append(("mlpace_endpoint_per_node", [dict(url=u, **ep) for u, ep in
                                                       zip(self.config.urls, st.per_endpoint)]))
        if self.token_count_mismatches:
            items.append(("mlpace_endpoint_token_count_mismatches", self.token_count_mismatches))
        warnings = [lag_warning(st)] if lag_warning(st) else []
        self.token_count_mismatches = 0
        return errors, items, warnings

    def close(self) -> None:
        if self._loop_thread.loop.is_closed():
            return
        try:
            self._loop_thread.call(self._shutdown(), timeout=10)
        finally:
            self._loop_thread.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ loop side
    def _on_sent(self, row_rec, now: int) -> None:
        rec, row = row_rec
        if not rec.sent_ns[row]:
            rec.sent_ns[row] = now

    def _spawn(self, coro) -> None:
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _dispatch(self, ids, indices, t_issue: int) -> None:
        ids = np.asarray(ids)
        indices = np.asarray(indices, dtype=np.int64)
        n = len(ids)
        rec = self.records
        if self.api == "v2":
            bs = self.config.batch_size
            jobs = [(slice(a, min(a + bs, n))) for a in range(0, n, bs)]
            first = rec.add(len(jobs), t_issue)
            make = lambda k: self._v2(rec, first + k, ids[jobs[k]], indices[jobs[k]])  # noqa: E731
            count = len(jobs)
        else:
            first = rec.add(n, t_issue)
            id_list, idx_list = ids.tolist(), indices.tolist()
            make = lambda k: self._openai(rec, first + k, id_list[k], idx_list[k])  # noqa: E731
            count = n
        cap = self.config.offline_concurrency
        if not self.config.max_concurrency and count > cap:
            # a bulk query (Offline): `cap` workers; a row held back until a worker is free
            # counts its send lag from the moment it is taken, not from the issue time
            state = {"next": 0}

            async def worker():
                while state["next"] < count:
                    k = state["next"]
                    state["next"] = k + 1
                    if k >= cap:
                        rec.intended_ns[first + k] = _pc()
                    await make(k)

            for _ in range(cap):
                self._spawn(worker())
        else:
            for k in range(count):
                self._spawn(make(k))

    def _route(self, rec, row: int):
        """(endpoint index, URL, session) for the request in ``row``."""
        eps = self._endpoints
        ep = eps.pick()
        rec.endpoint[row] = ep
        url = eps.urls[ep] + self._path
        return ep, url, eps.sessions[ep]

    async def _openai(self, rec: RequestRecords, row: int, sid: int, index: int) -> None:
        eps = self._endpoints
        src = self.source
        cfg = self.config
        ep, url, session = self._route(rec, row)
        eps.outstanding[ep] += 1
        body = json.dumps(openai.request_body(self.api, self.model, src.prompt(index), src.max_tokens,
                                              src.min_tokens, cfg.stream, cfg.temperature, cfg.extra_body))

        def on_first() -> None:
            rec.first_ns[row] = _pc()
            self._first_token([sid])

        try:
            if self._sem is not None:
                await self._sem.acquire()
            try:
                async with session.post(url, data=body, trace_request_ctx=(rec, row)) as resp:
                    if resp.status >= 400:
                        raise http_failure(resp.status, await _error_body(resp), url)
                    if cfg.stream:
                        reader = openai.StreamReader(self.api, on_first)
                        parser = SSEParser()
                        async for chunk in resp.content.iter_any():
                            for payload in parser.feed(chunk):
                                reader.data(payload)
                                if reader.done:
                                    break
                        for payload in parser.close():
                            reader.data(payload)
                        answer = reader.answer()
                    else:
                        answer = openai.read_body(self.api, await resp.read())
            finally:
                if self._sem is not None:
                    self._sem.release()
            end = _pc()
            payload, counted = src.payload(answer.text, answer.finish)
            n_tok = answer.usage_tokens if answer.usage_tokens is not None else (counted or answer.chunks)
            if answer.usage_tokens is not None and counted is not None and counted != answer.usage_tokens:
                self.token_count_mismatches += 1
            rec.end_ns[row] = end
            rec.tokens[row] = n_tok
            rec.code[row] = OK
            if not cfg.stream:
                on_first()  # not streamed: the first token is seen with the last
            self._complete(sid, [payload], n_tokens=n_tok)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is counted by kind
            self._failed(rec, row, exc, sid)
        finally:
            eps.outstanding[ep] -= 1

    async def _v2(self, rec: RequestRecords, row: int, ids: np.ndarray, indices: np.ndarray) -> None:
        eps = self._endpoints
        ep, url, session = self._route(rec, row)
        eps.outstanding[ep] += 1
        n = len(ids)
        try:
            body = v2.request_body(self.v2_input, self.source.features(indices))
            if self._sem is not None:
                await self._sem.acquire()
            try:
                async with session.post(url, data=body, trace_request_ctx=(rec, row)) as resp:
                    if resp.status >= 400:
                        raise http_failure(resp.status, await _error_body(resp), url)
                    raw = await resp.read()
            finally:
                if self._sem is not None:
                    self._sem.release()
            rows = self.source.payload(v2.read_answer(raw, n), n)
            rec.end_ns[row] = _pc()
            rec.code[row] = OK
            self._complete(ids, rows)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001
            self._failed(rec, row, exc, ids)
        finally:
            eps.outstanding[ep] -= 1

    def _failed(self, rec: RequestRecords, row: int, exc: BaseException, ids) -> None:
        f = classify_exception(exc)
        first = rec.fail(row, f.kind, str(f), _pc())
        try:
            if self.config.keep_going and f.kind not in _SERVER_GONE:
                self._complete(ids, None)  # counted; the LoadGen goes on, phase_report makes it INVALID
            elif first:
                self._fail(f"endpoint request failed ({f.kind}): {f}")
        except Exception:  # noqa: BLE001 - the phase already ended
            pass

    async def _cancel_all(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=20)

    async def _shutdown(self) -> None:
        await self._cancel_all()
        await self._endpoints.close()


async def _error_body(resp) -> str:
    try:
        return (await resp.content.read(2000)).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001
        return ""


def lag_warning(st: ClientStats) -> str | None:
    """The "client fell behind" line when the send lag p99 exceeds 1 ms, else None."""
    if not len(st.lag_ns) or st.lag(0.99) <= LAG_WARN_NS:
        return None
    return (f"client fell behind: send lag p99 {st.lag(0.99) / 1e6:.3f} ms (p50 {st.lag(0.5) / 1e6:.3f} ms, "
            f"max {st.lag_max / 1e6:.3f} ms) over {len(st.lag_ns)} requests; latencies include this delay")

"""What ``mlpace run --endpoint`` needs beyond the LoadGen: build the SUT, describe the client.

Kept here so the CLI command holds no endpoint logic: ``make_sut`` validates the options
and probes the server (one-line errors before any run starts); ``client_lines`` turns
the SUT's per-phase statistics into the lines printed under the run table.
"""

from __future__ import annotations

from mlpace.endpoints.build import build_sut
from mlpace.endpoints.config import EndpointConfig
from mlpace.endpoints.sut import lag_warning


def make_sut(workload, qsl, urls: list[str], *, api: str | None, served_model: str | None, stream: bool,
             request_timeout_s: float, max_concurrency: int, balance: str, api_key: str | None,
             keep_going: bool = False):
    cfg = EndpointConfig(urls=list(urls), api=api, model=served_model, stream=stream,
                         request_timeout_s=request_timeout_s, max_concurrency=max_concurrency,
                         balance=balance, api_key=api_key, keep_going=keep_going)
    return build_sut(workload, qsl, cfg)


def client_lines(sut, since: int) -> list[str]:
    """One line per phase run since ``len(sut.history) == since``: requests, failures, lag."""
    out = []
    for st in sut.history[since:]:
        fails = st.failure_text() or "none"
        line = (f"{sut.name}: {st.requests} requests, {st.ok} ok, failures: {fails}"
                + (f", {st.unfinished} cancelled at the end" if st.unfinished else "")
                + f"; send lag p50/p99/max {st.lag(0.5) / 1e6:.3f}/{st.lag(0.99) / 1e6:.3f}/{st.lag_max / 1e6:.3f} ms")
        out.append(line)
        if len(sut.config.urls) > 1:
            for url, ep in zip(sut.config.urls, st.per_endpoint):
                out.append(f"  {url}: {ep['requests']} requests, {ep['ok']} ok, {ep['failed']} failed; request time "
                           f"p50/p99 {ep['p50_ns'] / 1e6:.3f}/{ep['p99_ns'] / 1e6:.3f} ms")
        warn = lag_warning(st)
        if warn:
            out.append(warn)
    return out

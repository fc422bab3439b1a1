"""Failure kinds of a request to an endpoint, and how an exception or response maps to one.

A failed request is never dropped: it gets one kind (a small integer stored in the
request records), the first message of each kind is kept for the logs, and any failure
ends the run INVALID (see ``sut.py``).
"""

from __future__ import annotations

# Index in this tuple = code stored in the records (0 = OK, -1 = unfinished).
FAILURE_KINDS = (
    "connection_refused",
    "connection_reset",
    "timeout",
    "http_4xx",
    "http_5xx",
    "malformed_stream",
    "truncated_stream",
    "error_chunk",
    "empty_output",
)
OK = 0
PENDING = -1
CODE = {kind: i + 1 for i, kind in enumerate(FAILURE_KINDS)}


class RequestFailed(Exception):
    """One request failed; ``kind`` is one of ``FAILURE_KINDS``."""

    def __init__(self, kind: str, message: str) -> None:
        assert kind in CODE, kind
        super().__init__(message)
        self.kind = kind


def classify_exception(exc: BaseException) -> RequestFailed:
    """Map a transport exception (aiohttp / asyncio / OS) to a failure kind."""
    import asyncio

    import aiohttp

    text = f"{type(exc).__name__}: {exc}".strip()
    if isinstance(exc, RequestFailed):
        return exc
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, aiohttp.ServerTimeoutError)):
        return RequestFailed("timeout", f"no complete answer within the request timeout ({text})")
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_err = getattr(exc, "os_error", None)
        if isinstance(os_err, ConnectionRefusedError) or "refused" in str(exc).lower():
            return RequestFailed("connection_refused", text)
        return RequestFailed("connection_refused", f"cannot connect: {text}")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return RequestFailed("truncated_stream", f"response body cut off: {text}")
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, ConnectionError,
                        aiohttp.ClientConnectionError)):
        return RequestFailed("connection_reset", text)
    if isinstance(exc, (ValueError, KeyError, TypeError, IndexError)):
        return RequestFailed("malformed_stream", f"unexpected response content: {text}")
    return RequestFailed("connection_reset", f"unexpected client error: {text}")


def http_failure(status: int, body: str, url: str) -> RequestFailed:
    kind = "http_4xx" if 400 <= status < 500 else "http_5xx"
    snippet = " ".join(body.split())[:200]
    return RequestFailed(kind, f"HTTP {status} from {url}: {snippet}")

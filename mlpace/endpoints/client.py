"""The asyncio side: one event loop in a background thread, pooled aiohttp sessions per endpoint.

The LoadGen thread only hands work over (``LoopThread.submit``, one
``call_soon_threadsafe`` per ``issue_queries``); every HTTP byte is sent and read on the
loop. Each endpoint has its own keep-alive connection pool with no connection cap (a
cap would queue requests inside the client, hiding lag). The actual send time of a
request is taken when its headers are written (aiohttp's ``on_request_headers_sent``),
not when the coroutine starts, so pool waits and connects count as client lag.
"""

from __future__ import annotations

import asyncio
import threading
import time


class LoopThread:
    """An event loop running forever in a daemon thread."""

    def __init__(self, name: str = "mlpace-endpoint-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, fn, *args) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def call(self, coro, timeout: float | None = None):
        """Run ``coro`` on the loop and wait for its result (not from the loop thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()


class Endpoints:
    """Sessions for the endpoint base URLs and the choice of endpoint per request."""

    def __init__(self, urls: list[str], balance: str, timeout_s: float, on_sent, headers: dict) -> None:
        import aiohttp

        self.urls = urls
        self.balance = balance
        self.outstanding = [0] * len(urls)
        self._next = 0
        trace = aiohttp.TraceConfig()

        async def headers_sent(session, ctx, params):  # noqa: ARG001
            row = ctx.trace_request_ctx
            if row is not None:
                on_sent(row, time.perf_counter_ns())

        trace.on_request_headers_sent.append(headers_sent)
        self.sessions = [
            aiohttp.ClientSession(
                base_url=None,
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, enable_cleanup_closed=True),
                timeout=aiohttp.ClientTimeout(total=timeout_s),
                trace_configs=[trace],
                headers=headers,
                auto_decompress=False,
            )
            for _ in urls
        ]

    def pick(self) -> int:
        """Endpoint index for the next request (round robin, or fewest in flight)."""
        if len(self.urls) == 1:
            return 0
        if self.balance == "least-outstanding":
            out = self.outstanding
            best = min(range(len(out)), key=out.__getitem__)
            return best
        i = self._next
        self._next = (i + 1) % len(self.urls)
        return i

    async def warm(self, path: str, connections: int = 4) -> None:
        """Open ``connections`` keep-alive connections per endpoint (GET ``path``), so the
        first requests of a run do not pay the TCP connect; errors are left to the run."""
        import asyncio

        async def one(session, url):
            try:
                async with session.get(url) as r:
                    await r.read()
            except Exception:  # noqa: BLE001 - the probe already checked reachability
                pass

        await asyncio.gather(*(one(s, u + path) for s, u in zip(self.sessions, self.urls) for _ in range(connections)))

    async def close(self) -> None:
        for s in self.sessions:
            await s.close()

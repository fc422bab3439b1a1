"""Incremental Server-Sent Events parser: bytes in, ``data:`` payloads out.

A network read can hold part of an event or several; events end at a blank line.
Only ``data`` fields matter here (comments ``:`` and ``event:``/``id:`` lines are
skipped); multi-line data is joined with ``\n`` as the SSE standard says.
"""

from __future__ import annotations


class SSEParser:
    def __init__(self) -> None:
        self._buf = b""
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[bytes]:
        """The data payloads of the events completed by ``chunk``."""
        self._buf += chunk
        out: list[bytes] = []
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                break
            line = self._buf[:nl]
            self._buf = self._buf[nl + 1 :]
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:  # blank line: dispatch
                if self._data:
                    out.append(b"\n".join(self._data))
                    self._data = []
                continue
            if line.startswith(b":"):
                continue
            name, _, value = line.partition(b":")
            if name == b"data":
                self._data.append(value[1:] if value.startswith(b" ") else value)
        return out

    def close(self) -> list[bytes]:
        """Payloads pending at end of stream (a last event without its blank line)."""
        out = self.feed(b"\n\n") if self._buf or self._data else []
        return out

    @property
    def pending(self) -> bool:
        return bool(self._buf.strip()) or bool(self._data)

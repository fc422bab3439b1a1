"""The serial transcript of a run (``log.txt``): every line sent or received, with its
direction and the time since the session started, in the EEMBC runner's layout
(``SSSSS.mmm source: text``; ``parser: Command "..."`` = host to device, ``dut:`` / ``io:``
/ ``emon:`` = received from that device, ``sequencer:`` = the runner's own notes).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path


class Transcript:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.entries: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def add(self, source: str, text: str) -> None:
        with self._lock:
            self.entries.append((self.elapsed(), source, text))

    def sent(self, command: str) -> None:
        self.add("parser", f'Command "{command}"')

    def note(self, text: str) -> None:
        self.add("sequencer", text)

    def lines(self) -> list[str]:
        with self._lock:
            return [f"{stamp(t)} {src}: {text}" for t, src, text in self.entries]

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines()) + "\n", encoding="utf-8")


def stamp(seconds: float) -> str:
    """``00434.426``: seconds since session start, as the EEMBC runner prints them."""
    return f"{seconds:09.3f}"

"""Termination signals take the Ctrl-C path: logs are written, then the process stops.

``timeout``, systemd and CI stop a job with SIGTERM (a closed terminal sends SIGHUP). Inside
:func:`terminate_as_interrupt` both raise ``KeyboardInterrupt`` in the main thread, exactly
where Ctrl-C would, so the LoadGen and the training harness end the run the same way (logs
kept, summary and accuracy log written). The signal is recorded so that the caller exits
with ``128 + signum`` (143 for SIGTERM, 129 for SIGHUP; 130 for Ctrl-C). A second
SIGTERM/SIGHUP while the logs are being written is recorded, not raised, so that it cannot
cut them short. A signal the process was started ignoring (SIGHUP under ``nohup``) stays ignored.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

TERMINATING = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s)


@dataclass
class Received:
    """The termination signals seen while the context was active (first one first)."""

    signals: list[int] = field(default_factory=list)

    @property
    def signum(self) -> int | None:
        return self.signals[0] if self.signals else None

    def exit_code(self, default: int = 130) -> int:
        """``128 + signum`` of the first termination signal, else ``default`` (Ctrl-C: 130)."""
        return 128 + self.signum if self.signum else default


@contextmanager
def terminate_as_interrupt():
    """Turn SIGTERM and SIGHUP into ``KeyboardInterrupt`` (main thread only; else a no-op)."""
    state = Received()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum, frame):
        state.signals.append(signum)
        if len(state.signals) == 1:
            raise KeyboardInterrupt

    old = {}
    for sig in TERMINATING:
        try:
            if signal.getsignal(sig) is signal.SIG_IGN:  # e.g. SIGHUP under nohup: stays ignored
                continue
            old[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):  # not settable here
            pass
    try:
        yield state
    finally:
        for sig, prev in old.items():
            signal.signal(sig, prev)


def stop_like(state: Received) -> None:
    """After the logs are written: end the process as the recorded signal would have, or raise
    ``KeyboardInterrupt`` for Ctrl-C (what a harness on the official LoadGen sees)."""
    if state.signum:
        signal.signal(state.signum, signal.SIG_DFL)
        os.kill(os.getpid(), state.signum)
    raise KeyboardInterrupt

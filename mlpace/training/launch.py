"""Running ``torchrun`` for ``mlpace train --nproc K``: events in, output kept, no orphans.

* Progress events come through a file of their own (``MLPACE_EVENT_FILE``, one JSON object
  a line, written by rank 0), so whatever a training loop prints on stdout cannot break
  them; a line that does not parse is skipped.
* torchrun's stdout and stderr (every rank's) go to a log file, never to an unread pipe, so
  a loop that writes a lot cannot block on a full pipe; its last lines are shown on failure.
* torchrun runs in a session (process group) of its own. Ctrl-C, SIGTERM or SIGHUP to
  ``mlpace`` (all arrive as ``KeyboardInterrupt``, see :mod:`mlpace.signals`) are forwarded
  as SIGINT to the whole group: each worker ends its run the Ctrl-C way (finished results
  kept, the cut run renamed ``.interrupted``). Whatever is still alive after a grace period
  is killed, and the group is killed whenever this function leaves, so no worker outlives it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

from mlpace.errors import ConfigError, Interrupted, SUTError

EVENT_FILE_ENV = "MLPACE_EVENT_FILE"
GRACE_S = 30.0
POLL_S = 0.1


def _read_events(fh, on_event: Callable[[dict], None], buffer: list[str], final: bool = False) -> None:
    chunk = fh.read()
    if not chunk and not final:
        return
    buffer.append(chunk or "")
    lines = "".join(buffer).split("\n")
    buffer[:] = [] if final else [lines.pop()]  # an incomplete last line waits for its end
    for line in lines:
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(ev, dict):
            try:
                on_event(ev)
            except (KeyError, TypeError, ValueError):  # a malformed event draws nothing
                continue


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    rows = [ln for ln in text.splitlines() if ln.strip()]
    mine = [ln for ln in rows if ln.startswith("error: ")]
    if mine:
        return mine[-1][len("error: "):]
    return "\n".join(rows[-lines:])


def run_torchrun(cmd: list[str], env: dict[str, str], on_event: Callable[[dict], None], *, nproc: int,
                 out: str | Path, grace_s: float = GRACE_S) -> None:
    """Run ``cmd`` (a torchrun command line) to the end; see the module docstring."""
    with tempfile.TemporaryDirectory(prefix="mlpace-torchrun-") as tmp:
        events = Path(tmp) / "events.jsonl"
        events.touch()
        log_path = Path(tmp) / "output.log"
        env = {**env, EVENT_FILE_ENV: str(events)}
        with open(log_path, "wb") as log, open(events, encoding="utf-8", errors="replace") as ev_fh:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, start_new_session=True)
            buffer: list[str] = []
            try:
                while proc.poll() is None:
                    _read_events(ev_fh, on_event, buffer)
                    time.sleep(POLL_S)
                _read_events(ev_fh, on_event, buffer, final=True)
            except KeyboardInterrupt:
                _kill_group(proc, signal.SIGINT)
                try:
                    proc.wait(timeout=grace_s)
                except subprocess.TimeoutExpired:
                    pass
                raise Interrupted(f"interrupted: the {nproc} processes were stopped; finished result files "
                                  f"kept in {out}") from None
            finally:
                if proc.poll() is None:
                    _kill_group(proc, signal.SIGKILL)
                    proc.wait()
                else:  # torchrun ended: make sure none of its workers did not
                    _kill_group(proc, signal.SIGKILL)
        if proc.returncode != 0:
            detail = _tail(log_path)
            if proc.returncode in (130, -signal.SIGINT):
                raise Interrupted(f"the {nproc}-process run was interrupted: {detail}")
            err = SUTError if "crashed" in detail or "failed before run_start" in detail else ConfigError
            raise err(f"the {nproc}-process run failed (exit {proc.returncode}): {detail}")

"""Host-side driver of a device under test: commands with per-command timeouts and
bounded retries, boot and timestamp-mode detection, tensor loading and inference.

Talks to the DUT directly, or through an IO manager (``dut <cmd>``, replies prefixed
``[dut]: ``, 26-byte ``db`` chunks) in energy mode. Every failure becomes a
``DeviceError`` saying what was sent, what was expected and what arrived.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from mlpace.errors import DeviceError
from mlpace.tiny import protocol as p
from mlpace.tiny.link import SerialLink


class LinkFault(DeviceError):
    """A reply that never completed or did not parse: worth a retry."""


class LinkTimeout(LinkFault):
    """No complete reply (no ``m-ready``) within the command's timeout."""


class DutClient:
    def __init__(
        self,
        link: SerialLink,
        *,
        via_io_manager: bool = False,
        command_timeout_s: float = 5.0,
        retries: int = 2,
        boot_wait_s: float = 1.0,
    ) -> None:
        self.link = link
        self.via_io_manager = via_io_manager
        self.command_timeout_s = command_timeout_s
        self.retries = retries
        self.boot_wait_s = boot_wait_s
        self.chunk = p.DB_CHUNK_IO_MANAGER if via_io_manager else p.DB_CHUNK_DIRECT
        self.mode: str | None = None
        self.mode_source = ""
        self.name: str | None = None
        self.model: str | None = None
        self.profile: str | None = None
        self.behind_io_manager = via_io_manager

    # -- session start ----------------------------------------------------------------------
    def boot(self) -> str:
        """Read the boot banner (if the device just reset) and find the timestamp mode.

        Without a banner the mode is probed with ``timestamp``: performance firmware
        answers ``m-lap-us-<n>``, energy firmware only pulses its GPIO pin.
        """
        deadline = time.monotonic() + self.boot_wait_s
        seen_init = False
        while time.monotonic() < deadline:
            line = self.link.read_line(deadline, "the boot banner")
            if line is None:
                break
            if line.startswith(p.DUT_PREFIX):
                self.behind_io_manager = True
                line = line[len(p.DUT_PREFIX):]
            mode = p.parse_timestamp_mode(line)
            if mode:
                self.mode, self.mode_source = mode, f"boot banner '{line}'"
            seen_init = seen_init or line == "m-init-done"
            if seen_init and line == p.READY:
                break
        if self.mode is None:
            lines = self.command("timestamp")
            has_lap = any(p.parse_lap_us(ln) is not None for ln in lines)
            self.mode = p.MODE_PERFORMANCE if has_lap else p.MODE_ENERGY
            self.mode_source = "reply to 'timestamp' (" + ("m-lap-us-" if has_lap else "no m-lap-us- line") + ")"
        self.link.transcript.note(f"timestamp mode {self.mode} (from {self.mode_source})")
        return self.mode

    def require_mode(self, wanted: str) -> None:
        if self.mode != wanted:
            fix = ("flash firmware built with EE_CFG_ENERGY_MODE=1 and connect it through the IO manager"
                   if wanted == p.MODE_ENERGY else
                   "flash firmware built without EE_CFG_ENERGY_MODE (performance/accuracy firmware)")
            if self.behind_io_manager and not self.via_io_manager:
                fix += " (this port is an IO manager: its lines carry the '[dut]: ' prefix)"
            raise DeviceError(
                f"timestamp mode mismatch on {self.link.port}: this run needs '{wanted}' firmware but the device "
                f"is in '{self.mode}' mode (seen in the {self.mode_source}); {fix}, or run --mode "
                f"{'energy' if self.mode == p.MODE_ENERGY else 'performance'}"
            )

    def identify(self) -> None:
        """``name`` and ``profile``: who the device is and which model it runs."""
        for line in self.command("name"):
            parsed = p.parse_name(line)
            if parsed and parsed[0] == "dut":
                self.name = parsed[1]
        if self.name is None:
            raise DeviceError(f"device on {self.link.port} answered 'name' without an 'm-name-dut-[...]' line")
        for line in self.command("profile"):
            self.profile = p.parse_profile(line) or self.profile
            self.model = p.parse_model(line) or self.model

    # -- commands -------------------------------------------------------------------------------
    def command(self, cmd: str, *, timeout: float | None = None, retries: int | None = None,
                validate: Callable[[list[str]], object] | None = None):
        """Send ``cmd``; return its reply lines (or ``validate(lines)``), retrying link faults."""
        timeout = self.command_timeout_s if timeout is None else timeout
        retries = self.retries if retries is None else retries
        last: LinkFault | None = None
        for attempt in range(retries + 1):
            if attempt:
                self.link.transcript.note(f"retry {attempt}/{retries} of '{cmd}': {last}")
                self.link.drain()
            try:
                lines = self._exchange(cmd, timeout)
                if validate is None:
                    return lines
                try:
                    return validate(lines)
                except ValueError as exc:
                    raise LinkFault(f"malformed reply to '{cmd}': {exc}") from None
            except LinkFault as exc:
                last = exc
        assert last is not None
        tries = f"{retries + 1} tr{'y' if retries == 0 else 'ies'}"
        hint = self._hint() if isinstance(last, LinkTimeout) else (
            "; the device answered, but its reply did not have the protocol's shape")
        raise LinkFault(f"{last} ({tries}); last lines received: {self._recent()}{hint}")

    def _exchange(self, cmd: str, timeout: float) -> list[str]:
        self.link.send(f"dut {cmd}" if self.via_io_manager else cmd)
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        garbage_before = self.link.garbage_bytes
        while True:
            line = self.link.read_line(deadline, f"'m-ready' after '{cmd}'")
            if line is None:
                raise LinkTimeout(self._timeout_text(cmd, timeout, lines, garbage_before))
            if self.via_io_manager:
                if not line.startswith(p.DUT_PREFIX):
                    err = p.parse_error(line)
                    if err is not None:
                        raise DeviceError(f"IO manager on {self.link.port} rejected 'dut {cmd}': {err}")
                    continue  # the IO manager's own m-dut-passthrough(...) / m-ready
                line = line[len(p.DUT_PREFIX):]
            if not p.is_protocol_line(line):
                continue  # noise or debug output: logged, ignored
            if line == p.READY:
                break
            lines.append(line)
        for line in lines:
            err = p.parse_error(line)
            if err is not None:
                raise DeviceError(f"device on {self.link.port} rejected '{cmd}': {err}")
        return lines

    def _timeout_text(self, cmd: str, timeout: float, lines: list[str], garbage_before: int) -> str:
        got = f"got {len(lines)} line(s) but no 'm-ready'" if lines else "got no complete reply"
        if self.link.garbage_bytes > garbage_before:
            got += f" and {self.link.garbage_bytes - garbage_before} undecodable bytes"
        return f"sent '{cmd}' to {self.link.port}, expected 'm-ready' within {timeout:g} s, {got}"

    def _recent(self) -> str:
        items = list(self.link.recent)
        pending = self.link.pending()
        if pending:
            items.append(f"<partial line {pending[:40]!r}>")
        return "[" + ", ".join(repr(i) if not i.startswith("<") else i for i in items) + "]" if items else "nothing"

    def _hint(self) -> str:
        if self.link.bytes_received == 0:
            return ("; the device never sent a byte: is it powered, flashed with the benchmark firmware, "
                    "and on this port?")
        garbage = self.link.garbage_bytes + sum(b >= 0x80 for b in self.link.pending())
        if garbage * 2 > self.link.bytes_received:
            return (f"; most bytes received were undecodable: the baud rate is probably wrong (this link runs at "
                    f"{self.link.baud}; energy-mode firmware and the IO manager use {p.ENERGY_BAUD}, "
                    f"performance firmware usually {p.DEFAULT_BAUD})")
        return "; the device stopped answering (hung inference, crashed firmware or a bad cable?)"

    # -- protocol operations ---------------------------------------------------------------------
    def load(self, data: bytes) -> None:
        """``db load N`` then ``db`` hex chunks; the whole load is retried on a link fault."""
        if not 0 < len(data) <= p.MAX_DB_BYTES:
            raise DeviceError(f"tensor of {len(data)} bytes does not fit the device buffer (1..{p.MAX_DB_BYTES})")
        chunks = p.db_chunks(data, self.chunk)
        last: LinkFault | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self.link.transcript.note(f"retry {attempt}/{self.retries} of the {len(data)}-byte load: {last}")
                self.link.drain()
            try:
                reply = self.command(f"db load {len(data)}", retries=0)
                if not any(p.parse_expecting(ln) == len(data) for ln in reply):
                    raise LinkFault(f"expected 'm-[Expecting {len(data)} bytes]' after 'db load', got {reply}")
                for i, chunk in enumerate(chunks):
                    reply = self.command(chunk, retries=0)
                if "m-load-done" not in reply:
                    raise LinkFault(f"expected 'm-load-done' after the last db chunk, got {reply}")
                return
            except LinkFault as exc:
                last = exc
        raise last  # type: ignore[misc]

    def infer(self, n: int, warmups: int, timeout: float | None = None) -> p.InferReply:
        """``infer N W`` (W always sent explicitly: the firmware default is 10)."""
        mode = self.mode or p.MODE_PERFORMANCE
        return self.command(
            f"infer {n} {warmups}", timeout=timeout,
            validate=lambda lines: p.parse_infer_reply(lines, n, warmups, mode),
        )

    def results(self) -> list[float]:
        def parse(lines: list[str]) -> list[float]:
            for ln in lines:
                res = p.parse_results(ln)
                if res is not None:
                    return res
            raise ValueError("no m-results-[...] line")

        return self.command("results", validate=parse)


def infer_timeout(command_timeout_s: float, seconds_per_inference: float | None, n: int, w: int,
                  first_timeout_s: float) -> float:
    """How long to wait for ``infer N W``: 2x the expected time plus the command timeout."""
    if seconds_per_inference is None:
        return first_timeout_s
    return command_timeout_s + 2.0 * seconds_per_inference * (n + w) + 1.0


def tuned_n(n: int, elapsed_s: float, min_window_s: float, margin: float = 1.1) -> int:
    """Smallest N (with margin) whose window lasts at least ``min_window_s``."""
    if elapsed_s <= 0:
        return n * 10
    return max(n + 1, math.ceil(n * min_window_s / elapsed_s * margin))

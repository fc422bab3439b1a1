"""The MLPerf Tiny serial protocol: framing, command strings and reply parsing.

Pure functions and constants shared by the host runner and the simulated device, so
both sides agree on every byte. Host→device commands are space-separated ASCII
terminated by ``%``; device→host lines end in ``\\r\\n`` and start with ``m-``
(message) or ``e-`` (error); every command ends with ``m-ready``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TERMINATOR = "%"
EOL = "\r\n"
READY = "m-ready"
MAX_COMMAND_CHARS = 80  # EE_CMD_SIZE on the device
MAX_DB_BYTES = 96 * 96 * 3  # largest tensor `db load` accepts
DB_CHUNK_DIRECT = 31  # bytes per `db` line on a direct link
DB_CHUNK_IO_MANAGER = 26  # bytes per `db` line through the interface board
DEFAULT_BAUD = 115200
ENERGY_BAUD = 9600
PROFILE_TEXT = "ULPMark for tinyML Firmware V0.0.1"
DUT_PREFIX = "[dut]: "  # the IO manager's prefix on lines it relays from the DUT
COUNTER_MODULUS = 1 << 32  # th_timestamp prints an unsigned 32-bit microsecond counter (%lu)

MODE_PERFORMANCE = "performance"
MODE_ENERGY = "energy"
TIMESTAMP_MODES = (MODE_PERFORMANCE, MODE_ENERGY)

_LAP = re.compile(r"^m-lap-us-(\d+)$")
_RESULTS = re.compile(r"^m-results-\[(.*)\]$")
_NAME = re.compile(r"^m-name-([^-\[]+)-\[(.*)\]$")
_PROFILE = re.compile(r"^m-profile-\[(.*)\]$")
_MODEL = re.compile(r"^m-model-\[(.*)\]$")
_MODE = re.compile(r"^m-timestamp-mode-(\w+)$")
_ERROR = re.compile(r"^e-\[(.*)\]$")
_EXPECTING = re.compile(r"^m-\[Expecting (\d+) bytes\]$")


def encode_command(command: str) -> bytes:
    """Frame one host command: ASCII text plus the ``%`` terminator."""
    if TERMINATOR in command:
        raise ValueError(f"command may not contain {TERMINATOR!r}: {command!r}")
    return (command + TERMINATOR).encode("ascii")


def is_protocol_line(line: str) -> bool:
    """True for a well-formed device line (``m-...`` or ``e-...``, printable ASCII)."""
    return (line.startswith("m-") or line.startswith("e-")) and line.isprintable() and line.isascii()


def parse_lap_us(line: str) -> int | None:
    """The microsecond count of an ``m-lap-us-<n>`` line, else None."""
    m = _LAP.match(line)
    return int(m.group(1)) if m else None


def parse_results(line: str) -> list[float] | None:
    """The floats of an ``m-results-[f0,f1,...]`` line, else None (also when malformed)."""
    m = _RESULTS.match(line)
    if not m:
        return None
    body = m.group(1).strip()
    if not body:
        return []
    try:
        return [float(x) for x in body.split(",")]
    except ValueError:
        return None


def parse_name(line: str) -> tuple[str, str] | None:
    """``(role, name)`` of an ``m-name-<role>-[<name>]`` line (role ``dut`` on a DUT)."""
    m = _NAME.match(line)
    return (m.group(1), m.group(2)) if m else None


def parse_profile(line: str) -> str | None:
    m = _PROFILE.match(line)
    return m.group(1) if m else None


def parse_model(line: str) -> str | None:
    m = _MODEL.match(line)
    return m.group(1) if m else None


def parse_timestamp_mode(line: str) -> str | None:
    """``performance`` / ``energy`` from an ``m-timestamp-mode-*`` boot line, else None."""
    m = _MODE.match(line)
    return m.group(1) if m else None


def parse_error(line: str) -> str | None:
    """The text of an ``e-[...]`` error line, else None."""
    m = _ERROR.match(line)
    return m.group(1) if m else None


def parse_expecting(line: str) -> int | None:
    m = _EXPECTING.match(line)
    return int(m.group(1)) if m else None


def format_results(values) -> str:
    """The device's ``m-results-[...]`` line: 3 decimals, comma-separated, no spaces."""
    return "m-results-[" + ",".join(_fixed3(float(v)) for v in values) + "]"


def _fixed3(x: float) -> str:
    # The firmware prints floats by hand with 3 decimals (many printf lack %f).
    neg = x < 0
    milli = int(round(abs(x) * 1000))
    text = f"{milli // 1000}.{milli % 1000:03d}"
    return "-" + text if neg and milli else text


def db_chunks(data: bytes, chunk: int) -> list[str]:
    """The ``db HHHH..`` commands that carry ``data``, ``chunk`` bytes per line."""
    if chunk < 1:
        raise ValueError("chunk must be >= 1")
    return ["db " + data[i : i + chunk].hex() for i in range(0, len(data), chunk)]


@dataclass(frozen=True)
class InferReply:
    """What one ``infer N W`` returned."""

    n: int
    warmups: int
    lap_a_us: int | None  # None in energy mode (timestamps are GPIO edges there)
    lap_b_us: int | None
    results: list[float]

    @property
    def elapsed_us(self) -> int | None:
        if self.lap_a_us is None or self.lap_b_us is None:
            return None
        return lap_elapsed_us(self.lap_a_us, self.lap_b_us)

    @property
    def wrapped(self) -> bool:
        """True when the device's 32-bit counter wrapped between the two laps."""
        return self.lap_a_us is not None and self.lap_b_us is not None and self.lap_b_us < self.lap_a_us


def lap_elapsed_us(a: int, b: int) -> int:
    """Microseconds from lap ``a`` to lap ``b`` on the device's 32-bit counter.

    The counter wraps every 2**32 us (71.6 minutes); a window is far shorter, so a later
    lap below an earlier one means exactly one wrap: the difference is taken modulo 2**32.
    """
    return (b - a) % COUNTER_MODULUS


def parse_infer_reply(lines: list[str], n: int, warmups: int, mode: str) -> InferReply:
    """Check the shape of an ``infer`` reply (without ``m-ready``) and extract laps and results.

    Raises ``ValueError`` naming the first line that does not match the expected sequence.
    """
    expected = [f"m-warmup-start-{warmups}", "m-warmup-done", f"m-infer-start-{n}"]
    body = [ln for ln in lines if is_protocol_line(ln)]
    for want in expected:
        if not body or body[0] != want:
            got = body[0] if body else "nothing"
            raise ValueError(f"expected {want!r}, got {got!r}")
        body.pop(0)
    laps: list[int] = []
    while body and parse_lap_us(body[0]) is not None:
        laps.append(parse_lap_us(body.pop(0)))  # type: ignore[arg-type]
    if mode == MODE_PERFORMANCE and len(laps) != 2:
        raise ValueError(f"expected 2 m-lap-us- lines around the timed inferences, got {len(laps)}")
    if not body or body[0] != "m-infer-done":
        raise ValueError(f"expected 'm-infer-done', got {body[0] if body else 'nothing'!r}")
    body.pop(0)
    results = parse_results(body[0]) if body else None
    if results is None:
        raise ValueError(f"expected 'm-results-[...]', got {body[0] if body else 'nothing'!r}")
    a, b = (laps[-2], laps[-1]) if len(laps) >= 2 else (None, None)
    for lap in (a, b):
        if lap is not None and lap >= COUNTER_MODULUS:
            raise ValueError(f"m-lap-us-{lap} does not fit the 32-bit microsecond counter")
    return InferReply(n=n, warmups=warmups, lap_a_us=a, lap_b_us=b, results=results)

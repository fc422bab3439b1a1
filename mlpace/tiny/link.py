"""One serial link to a board (DUT, IO manager or energy monitor) over pyserial.

Works with any port pyserial opens: a USB-UART, a pseudo-terminal from the simulator,
or a ``socket://`` / ``loop://`` URL. Reads whole ``\\r\\n`` lines against a deadline,
keeps the last lines and any undecodable bytes for error messages, and turns every
pyserial failure into a ``DeviceError`` that names the port.
"""

from __future__ import annotations

import time
from collections import deque

import serial

from mlpace.errors import DeviceError
from mlpace.tiny import protocol as p
from mlpace.tiny.transcript import Transcript

MAX_LINE_BYTES = 8192

try:  # pyserial's flush() on a vanished POSIX port raises termios.error, which is no OSError
    from termios import error as _TermiosError
except ImportError:  # pragma: no cover - Windows
    class _TermiosError(Exception):
        pass

LINK_ERRORS = (serial.SerialException, OSError, _TermiosError)


class SerialLink:
    def __init__(self, port: str, baud: int, transcript: Transcript, source: str = "dut") -> None:
        self.port = port
        self.baud = baud
        self.transcript = transcript
        self.source = source
        self.recent: deque[str] = deque(maxlen=6)
        self.garbage_bytes = 0
        self.bytes_received = 0
        self.quiet = None  # optional predicate: lines it accepts are counted, not logged (sample streams)
        self.quiet_lines = 0
        self._buf = bytearray()
        try:
            self._ser = serial.serial_for_url(port, baudrate=baud, timeout=0.02, write_timeout=10)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(
                f"cannot open serial port {port!r} at {baud} baud ({exc}); "
                "is the device plugged in and is this the right port?"
            ) from None

    def close(self) -> None:
        try:
            self._ser.close()
        except (serial.SerialException, OSError):
            pass

    def send(self, command: str) -> None:
        self.transcript.sent(command)
        try:
            self._ser.write(p.encode_command(command))
            self._ser.flush()
        except LINK_ERRORS as exc:
            raise DeviceError(f"lost the serial link to {self.port} while sending {command!r} ({exc}); "
                              "was the device unplugged?") from None

    def send_line(self, text: str, eol: str = "\r\n") -> None:
        """Send a plain text line (instruments that are not DUTs, e.g. the LPM01A)."""
        self.transcript.sent(text)
        try:
            self._ser.write((text + eol).encode("ascii"))
            self._ser.flush()
        except LINK_ERRORS as exc:
            raise DeviceError(f"lost the serial link to {self.port} while sending {text!r} ({exc}); "
                              "was the device unplugged?") from None

    def read_line(self, deadline: float, waiting_for: str = "a reply") -> str | None:
        """The next complete line (without ``\\r\\n``), or None when ``deadline`` passes."""
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                raw = bytes(self._buf[:nl]).rstrip(b"\r")
                del self._buf[: nl + 1]
                return self._accept(raw)
            if len(self._buf) > MAX_LINE_BYTES:
                self._garbage(bytes(self._buf))
                self._buf.clear()
            if time.monotonic() >= deadline:
                return None
            try:
                chunk = self._ser.read(max(1, self._ser.in_waiting))
            except LINK_ERRORS as exc:
                raise DeviceError(
                    f"lost the serial link to {self.port} while waiting for {waiting_for} ({exc}); "
                    "the device was unplugged, reset or powered off"
                ) from None
            self.bytes_received += len(chunk)
            self._buf += chunk

    def pending(self) -> bytes:
        """Bytes received after the last line end (a partial line)."""
        return bytes(self._buf)

    def drain(self, quiet_s: float = 0.05, max_s: float = 1.0) -> None:
        """Read and log whatever is still arriving until the line is quiet for ``quiet_s``."""
        stop = time.monotonic() + max_s
        while time.monotonic() < stop:
            line = self.read_line(time.monotonic() + quiet_s)
            if line is None:
                break
        if self._buf:
            self._garbage(bytes(self._buf))
            self._buf.clear()

    def _accept(self, raw: bytes) -> str:
        text = raw.decode("ascii", "backslashreplace")
        if raw and not (text.isascii() and text.isprintable() and "\\x" not in text):
            self._garbage(raw)
            return text
        if self.quiet is not None and self.quiet(text):
            self.quiet_lines += 1
            return text
        shown = text
        if text.startswith("m-samples-") and len(text) > 80:
            shown = f"{text[:40]}... ({text.count(',') + 1} values)"
        self.transcript.add(self.source, shown)
        self.recent.append(text)
        return text

    def _garbage(self, raw: bytes) -> None:
        self.garbage_bytes += len(raw)
        shown = repr(raw[:60]) + ("..." if len(raw) > 60 else "")
        self.transcript.add(self.source, f"[undecodable {len(raw)} bytes] {shown}")
        self.recent.append(f"<{len(raw)} undecodable bytes {shown}>")

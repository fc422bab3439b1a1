"""The STM32 LPM01A power shield's serial protocol (ST UM2269), as the host and the
simulated shield both speak it.

Host commands are ASCII lines ended by ``\\r\\n`` (``htc``, ``volt 3000m``, ``freq 1k``,
``acqtime 0``, ``format ascii_dec``, ``output current``, ``trigsrc sw``, ``eventsrc d7 fal``,
``pwr on``, ``start``, ``stop``, ``hrc``). The shield answers each with one line
``PowerShield > ack <command>`` or ``PowerShield > error <command>`` followed by ``Error
detail: <why>``. During an acquisition it streams, one per line:

* samples in ``ascii_dec``: four mantissa digits, a signed two-digit power of ten
  (``6409-07`` = 6409e-7 A = 640.9 uA);
* ``TimeStamp: 001s 000ms, buff 00%`` once per second of samples;
* ``event <k> ris`` when the DUT's timestamp pin (D7) pulses (the mlcommons/tiny runner's
  parser also expects ``ris``; ``fal`` is accepted too);

and after ``stop`` ends with ``Acquisition completed``. The serial line runs at 3686400
baud. Formats and strings follow the mlcommons/tiny runner's LPM01A driver and the
command table in it; the binary ``bin_hexa`` format is not implemented.
"""

from __future__ import annotations

import math
import re

BAUD = 3_686_400
PROMPT = "PowerShield > "
EOL = "\r\n"
ACQ_DONE = "Acquisition completed"
FREQS = {"100k": 100_000, "50k": 50_000, "20k": 20_000, "10k": 10_000, "5k": 5_000, "2k": 2_000, "1k": 1_000,
         "500": 500, "200": 200, "100": 100, "50": 50, "20": 20, "10": 10, "5": 5, "2": 2, "1": 1}
ASCII_MAX_HZ = 10_000  # ascii_dec is limited to 10 kHz (unlimited duration up to 5 kHz)
VOLT_MIN_MV, VOLT_MAX_MV = 1800, 3300

SAMPLE = re.compile(r"\d{4}[+-]\d{2}")
TIMESTAMP = re.compile(r"^TimeStamp:[ ><](\d{3})s (\d{3})ms, buff (\d{2})%$")
EVENT = re.compile(r"^event (\d+) (ris|fal)$")


def freq_arg(rate_hz: int) -> str:
    """The ``freq`` argument for a sampling rate (``1000`` -> ``1k``)."""
    for arg, hz in FREQS.items():
        if hz == rate_hz:
            return arg
    raise ValueError(f"the LPM01A samples at {sorted(FREQS.values())} Hz, not {rate_hz}")


def encode_ascii_dec(amps: float) -> str:
    """``6409-07`` for 640.9 uA: a four-digit mantissa times a power of ten."""
    if not amps > 0:
        return "0000+00"
    exp = math.floor(math.log10(amps)) - 3
    mant = round(amps / 10.0**exp)
    if mant >= 10_000:
        mant //= 10
        exp += 1
    return f"{mant:04d}{'-' if exp < 0 else '+'}{abs(exp):02d}"


def decode_ascii_dec(text: str) -> float:
    """Amperes of one ``dddd±ee`` sample."""
    return int(text[:4]) * 10.0 ** int(text[4:])


def timestamp_line(ms: int, buff_pct: int = 0) -> str:
    """``TimeStamp: 001s 000ms, buff 00%``: acquisition time and buffer fill."""
    return f"TimeStamp: {ms // 1000:03d}s {ms % 1000:03d}ms, buff {buff_pct:02d}%"

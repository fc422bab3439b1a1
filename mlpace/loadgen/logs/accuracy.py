"""``mlperf_log_accuracy.json``: the responses of logged samples, hex-encoded.

Layout as the official LoadGen writes it: ``[``, one record per line
``{ "seq_id" : 1, "qsl_idx" : 2, "data" : "0200000004000000" },`` with uppercase
hex and no comma after the last record, then ``]``. Records are written in
sample-sequence order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from mlpace.errors import DataError


def write_accuracy_log(path: Path, records: Iterable[tuple]) -> int:
    """Write ``(seq_id, qsl_idx, data)`` records; returns how many were written.

    With token latencies a record is ``(seq_id, qsl_idx, data, token_data, token_count)``
    and gains ``"token_data" : "HEX"`` (unless ``token_data`` is None, as in Offline) and
    ``"token_count" : N``, as the official LoadGen logs LLM samples."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[\n")
        first = True
        for rec in records:
            seq, idx, data = rec[:3]
            if not first:
                fh.write(",\n")
            extra = ""
            if len(rec) > 3:
                token_data, token_count = rec[3], rec[4]
                if token_data is not None:
                    extra += f', "token_data" : "{token_data.hex().upper()}"'
                extra += f', "token_count" : {int(token_count)}'
            fh.write(f'{{ "seq_id" : {int(seq)}, "qsl_idx" : {int(idx)}, "data" : "{data.hex().upper()}"{extra} }}')
            first = False
            n += 1
        fh.write("\n]\n" if n else "]\n")
    return n


def read_accuracy_log(path: Path) -> list[dict]:
    """Parse an accuracy log (ours or the official one); a clear error names a bad file."""
    try:
        with open(path, encoding="utf-8") as fh:
            records = json.load(fh)
    except FileNotFoundError:
        raise DataError(f"{path}: accuracy log not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a valid accuracy log ({exc})") from None
    except RecursionError:
        raise DataError(f"{path}: not a valid accuracy log (JSON nested too deeply)") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the accuracy log ({exc.strerror})") from None
    if not isinstance(records, list):
        raise DataError(f"{path}: accuracy log must be a JSON list of records")
    for i, r in enumerate(records):
        if not isinstance(r, dict) or not {"seq_id", "qsl_idx", "data"} <= set(r):
            raise DataError(f"{path}: record {i} lacks seq_id/qsl_idx/data")
    return records

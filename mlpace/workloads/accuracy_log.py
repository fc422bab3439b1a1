"""Read ``mlperf_log_accuracy.json`` (official LoadGen format, also written by mlpace).

The file is a JSON list with one record per logged sample::

    [
    { "seq_id" : 0, "qsl_idx" : 12, "data" : "0700000000000000" },
    ...
    ]

``data`` is the response payload as hex. Any deviation (not JSON, not a list, a record
without the three keys, odd hex) is a ``DataError`` naming the file (and the record).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlpace.errors import DataError


@dataclass
class AccuracyLog:
    path: Path
    seq_ids: np.ndarray  # int64
    qsl_idx: np.ndarray  # int64
    data: list[bytes]

    def __len__(self) -> int:
        return len(self.qsl_idx)

    def first_per_index(self) -> tuple[np.ndarray, list[bytes]]:
        """Unique ``qsl_idx`` values (sorted) and the first payload logged for each."""
        uniq, first = np.unique(self.qsl_idx, return_index=True)
        return uniq, [self.data[i] for i in first]

    def decode(self, dtype: str) -> tuple[np.ndarray, np.ndarray]:
        """Unique qsl indices and the first element of each payload decoded as ``dtype``."""
        idx, payloads = self.first_per_index()
        dt = np.dtype(dtype)
        values = np.empty(len(payloads), dtype=dt)
        for i, raw in enumerate(payloads):
            if len(raw) < dt.itemsize:
                raise DataError(
                    f"{self.path}: payload of qsl_idx {idx[i]} has {len(raw)} bytes; "
                    f"expected at least {dt.itemsize} ({dt.name})"
                )
            values[i] = np.frombuffer(raw[: dt.itemsize], dtype=dt)[0]
        return idx, values


def read(path: str | Path) -> AccuracyLog:
    """Parse an accuracy log (or the folder holding one); ``DataError`` naming the file on any problem.

    The JSON layout is checked by the LoadGen's own reader; this adds the decoding of
    each record into integers and payload bytes.
    """
    from mlpace.loadgen.logs.accuracy import read_accuracy_log

    path = Path(path)
    if path.is_dir():
        path = path / "mlperf_log_accuracy.json"
    records = read_accuracy_log(path)
    n = len(records)
    seq = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    data: list[bytes] = []
    for i, rec in enumerate(records):
        try:
            seq[i] = int(rec["seq_id"])
            idx[i] = int(rec["qsl_idx"])
            data.append(bytes.fromhex(rec["data"]))
        except (TypeError, ValueError, OverflowError) as exc:
            raise DataError(
                f"{path}: corrupt accuracy log record {i} ({rec!r:.80}): needs integer seq_id, "
                f"integer qsl_idx (64-bit) and hex data ({type(exc).__name__})"
            ) from None
    return AccuracyLog(path, seq, idx, data)

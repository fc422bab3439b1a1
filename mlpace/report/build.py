"""Which report a path gets: a LoadGen run folder (inference), a training results folder
(``result_N.txt``), a Tiny results folder (``results.txt``), or a ``report.json`` written
earlier (rebuilt offline, no logs needed). Writes ``report.html`` / ``report.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlpace.errors import DataError
from mlpace.report.document import SCHEMA, Report
from mlpace.loadgen.logs.read import SUMMARY


def build_report(path: str | Path) -> Report:
    path = Path(path)
    if path.is_file() and path.suffix == ".json":
        try:
            return Report.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: not an mlpace report document ({SCHEMA}): {exc}") from None
    if not path.exists():
        raise DataError(f"{path}: not found")
    if (path / SUMMARY).is_file():
        from mlpace.report.inference import inference_report

        return inference_report(path)
    if path.is_dir() and any(path.glob("result_*.txt")):
        from mlpace.report.training import training_report

        return training_report(path)
    if path.is_dir() and (path / "results.txt").is_file():
        from mlpace.report.tiny import tiny_report

        return tiny_report(path)
    if path.is_dir():  # a tree: one training benchmark folder, or Tiny results below
        benches = sorted({p.parent for p in path.rglob("result_*.txt")})
        if len(benches) == 1:
            from mlpace.report.training import training_report

            return training_report(benches[0])
        if len(benches) > 1:
            raise DataError(f"{path}: {len(benches)} training benchmark folders below it; name one: "
                            + ", ".join(str(b) for b in benches[:8]))
        if any(path.rglob("results.txt")):
            from mlpace.report.tiny import tiny_report

            return tiny_report(path)
    raise DataError(f"{path}: not a LoadGen run folder ({SUMMARY}), a training results folder "
                    "(result_N.txt) or a Tiny results folder (results.txt)")


def write_json(report: Report, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(report.to_dict(), indent=1) + "\n", encoding="utf-8")
    return path

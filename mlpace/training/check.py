"""Checking a results folder: compliance, RCP and scoring, with every failure explained.

Reads files only (so it checks folders written by any tool). For each benchmark folder
(``.../results/<system>/<benchmark>/``) it runs the official compliance checker on every
``result_N.txt`` (mlpace's rules for mlpace benchmarks, the official rules for official
ones), the RCP test (closed division), writes or clears ``scaling.json`` as the official
package checker does, and computes the olympic score in minutes as the summarizer does.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mlpace.errors import DataError
from mlpace.training import compliance
from mlpace.training.api import Benchmark
from mlpace.training.logfile import RunLog, read_run_log, result_files
from mlpace.training.rcp import RcpVerdict, check_rcp, load_rcps
from mlpace.training.scoring import (OlympicScore, drop_count, ms_to_minutes, olympic_score, read_scaling,
                                     write_scaling)

OFFICIAL_RCP_DIR = compliance.OFFICIAL_RULES_DIR.parent.parent / "rcp_checker" / f"training_{compliance.RULESET}"


@dataclass
class FolderReport:
    """Everything known about one benchmark folder, and what is wrong with it."""

    folder: Path
    benchmark: str | None
    division: str | None
    required_runs: int | None
    runs: list[RunLog]
    compliance: dict[Path, compliance.ComplianceResult] = field(default_factory=dict)
    score: OlympicScore | None = None
    scaling: float = 1.0
    rcp: RcpVerdict | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def score_minutes(self) -> float | None:
        """The final score: olympic mean in minutes times the scaling factor."""
        if self.score is None or not self.score.valid:
            return None
        return self.score.value * self.scaling

    @property
    def passed(self) -> bool:
        return not self.problems and self.score_minutes is not None


def _resolve(benchmark: str, user: Benchmark | None):
    """(config or None, rcp file or None, required runs or None, shipped rules dir or None)."""
    from mlperf_logging.benchmark_meta import get_result_file_counts

    from mlpace.training.benchmarks import BUILTIN

    if user is not None and user.name == benchmark:
        rules_dir = user.rules_dir
        if benchmark in BUILTIN and user.config != BUILTIN[benchmark]().config:
            rules_dir = None  # a changed config (an open-division target): rules from the config itself
        return user.config, user.rcp_file, user.config.required_runs, rules_dir
    if benchmark in BUILTIN:
        b = BUILTIN[benchmark]()
        return b.config, b.rcp_file, b.config.required_runs, b.rules_dir
    if benchmark in compliance.official_benchmarks():
        rcp = OFFICIAL_RCP_DIR / f"rcps_{benchmark}.json"
        return None, (rcp if rcp.is_file() else None), get_result_file_counts("training").get(benchmark), None
    return None, None, None, None


def check_benchmark_folder(folder: str | Path, *, user_benchmark: Benchmark | None = None,
                           rcp_file: str | Path | None = None, update_scaling: bool = True) -> FolderReport:
    """Check one folder of ``result_*.txt`` files; see the module docstring."""
    folder = Path(folder)
    files = result_files(folder)
    if not files:
        raise DataError(f"no result_*.txt files in {folder}")
    runs = [read_run_log(p) for p in files]
    names = Counter(r.benchmark for r in runs)
    benchmark = names.most_common(1)[0][0]
    divisions = Counter(r.division for r in runs)
    division = divisions.most_common(1)[0][0]
    report = FolderReport(folder, benchmark, division, None, runs)
    if len(names) > 1:
        report.problems.append(f"files name different benchmarks: {dict(names)}")
    if benchmark is None:
        report.problems.append("no submission_benchmark in the logs: cannot tell which rules apply")
    cfg, shipped_rcp, required, rules_dir = _resolve(benchmark or "", user_benchmark)
    report.required_runs = required
    if benchmark and required is None:
        report.problems.append(
            f"unknown benchmark {benchmark!r}: not an mlpace benchmark nor one of the official round "
            f"{compliance.RULESET} ({', '.join(compliance.official_benchmarks())}); pass --benchmark module:attr")

    # 1. compliance, each file with the official checker
    with tempfile.TemporaryDirectory() as tmp:
        common = compliance.materialise_rules([cfg] if cfg else [], Path(tmp), [rules_dir]) if benchmark else None
        for run in runs:
            res = compliance.check_file(run.path, common)
            report.compliance[run.path] = res
            if run.order_problems:
                state = "; ".join(run.order_problems)
            elif run.error:
                state = f"crashed ({run.error})"
            elif run.status is None:
                state = "no run_stop: the run never finished"
            elif run.status != "success":
                state = f"run_stop status {run.status}: the run did not reach the target"
            else:
                state = None
            if not res.passed:
                why = "; ".join(compliance.summarise_messages(res.messages)) or "see the checker output"
                report.problems.append(f"{run.path.name}: compliance FAILED{f' ({state})' if state else ''}: {why}")
            elif state:
                report.problems.append(f"{run.path.name}: not converged, {state}")

    # 2. counts and seeds
    if required is not None and len(runs) < required:  # the rules ask for at least that many
        report.problems.append(f"{len(runs)} result files, but {benchmark} requires at least {required} runs")
    seeds = Counter(r.seed for r in runs if r.seed is not None)
    dup = [s for s, n in seeds.items() if n > 1]
    if dup:
        report.problems.append(f"seeds repeat across runs ({dup}): each run needs its own seed")

    # 3. scoring: a run counts when it converged and its log is compliant (as the summarizer does)
    counted = [r.converged and report.compliance[r.path].passed for r in runs]
    times = [ms_to_minutes(r.time_to_train_ms) if ok else None for r, ok in zip(runs, counted)]

    # 4. RCP (closed division only, as in the official summarizer)
    rcp_path = Path(rcp_file) if rcp_file else shipped_rcp
    if division == "closed" and benchmark and required is not None:
        bss = {r.global_batch_size for r in runs}
        if rcp_path is None or not Path(rcp_path).is_file():
            report.problems.append(f"no RCP file for {benchmark}: cannot run the RCP test")
        elif len(bss) != 1 or None in bss:
            report.rcp = RcpVerdict(False, "Could not detect global_batch_size")
            report.problems.append(f"RCP: global_batch_size missing or different across files ({sorted(map(str, bss))})")
        else:
            records = load_rcps(rcp_path, required)
            epochs = [r.converged_at if ok else None for r, ok in zip(runs, counted)]
            report.rcp = check_rcp(records, bss.pop(), epochs, required)
            if not report.rcp.passed:
                report.problems.append(f"RCP test FAILED: {report.rcp.explain()}")
            if update_scaling:
                ok = report.rcp.passed and report.rcp.norm_factor > 1
                write_scaling(folder, report.rcp.norm_factor if ok else None)
    report.scaling = read_scaling(folder)
    report.score = olympic_score(times, drop_count(benchmark))
    if not report.score.valid:
        report.problems.append(f"no score: {report.score.reason}")
    return report


def find_benchmark_folders(path: str | Path) -> list[Path]:
    """Benchmark folders under ``path`` (itself, an org dir, its results/ or a system dir)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"path not found: {path}")
    if path.is_dir() and any(path.glob("result_*.txt")):
        return [path]
    found = sorted({p.parent for p in path.rglob("result_*.txt") if p.is_file()})
    if not found:
        raise DataError(f"no result_*.txt files under {path}")
    return found

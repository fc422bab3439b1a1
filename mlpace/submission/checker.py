"""``mlpace check``: validate a submission results tree by reading its files only.

Rules, per ``<division>/<org>/results/<system>/<workload>/<scenario>`` folder:

* layout     - the scenario is one of the four; ``systems/<system>.json`` exists and has
               the official system-description fields (mlperf-logging's checker);
               ``measurements/.../user.conf`` exists.
* files      - ``performance/run_1/`` holds the summary and detail logs; ``accuracy/``
               holds ``mlperf_log_accuracy.json`` and ``accuracy.txt``.
* logs parse - every log reads (a corrupt one is reported with its path).
* VALID      - the performance summary says ``Result is : VALID`` for this scenario.
* accuracy   - for a registered mlpace workload: ``accuracy.txt`` reports a value at or
               above the workload's target over its whole set; otherwise PASS/FAIL as
               the file states.
* settings   - the performance run used the official seeds and no audit-only knobs
               (``performance_issue_*``, accuracy-log sampling); closed division also
               needs ``min_duration`` >= 600 s (mlperf.conf).
* audits     - every ``TEST0x`` folder has its verdict files with ``TEST PASS``; the
               closed division requires TEST01 and TEST04.

Files written by the official LoadGen read the same way, so official trees check too.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from mlpace.errors import DataError
from mlpace.submission.layout import DIVISIONS
from mlpace.loadgen.logs.read import ACCURACY, DETAIL, SUMMARY, read_detail, read_summary
from mlpace.runs.scenarios import OFFICIAL_SEEDS, SCENARIOS

CLOSED_MIN_DURATION_MS = 600_000
CLOSED_RULES = ("closed", "network")  # the network division inherits every closed rule
CLOSED_REQUIRED_AUDITS = ("TEST01", "TEST04")


@dataclass
class Finding:
    where: str
    check: str
    passed: bool
    why: str


class _Collector:
    def __init__(self, root: Path):
        self.root = root
        self.findings: list[Finding] = []

    def add(self, where: Path, check: str, passed: bool, why: str) -> bool:
        try:
            rel = str(where.relative_to(self.root))
        except ValueError:
            rel = str(where)
        self.findings.append(Finding(rel or ".", check, passed, why))
        return passed


def check_tree(root: str | Path) -> list[Finding]:
    """Check a tree; returns one finding per rule and folder. ``DataError`` if it is not a tree."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: submission tree not found (expected a folder)")
    divisions = [d for d in sorted(root.iterdir()) if d.is_dir() and d.name in DIVISIONS]
    if not divisions:
        names = sorted(p.name for p in root.iterdir())
        found = ", ".join(names[:8]) + (f", ... ({len(names)} entries)" if len(names) > 8 else "") or "nothing"
        raise DataError(
            f"{root}: not a submission tree: expected <division>/<org>/results/<system>/<workload>/<scenario> "
            f"with division one of {', '.join(DIVISIONS)}; found {found}"
        )
    out = _Collector(root)
    for division in divisions:
        orgs = [o for o in sorted(division.iterdir()) if o.is_dir()]
        if not orgs:
            out.add(division, "layout", False, f"{division}: no <org> folder")
        for org in orgs:
            _check_org(out, division.name, org)
    return out.findings


def _check_org(out: _Collector, division: str, org: Path) -> None:
    results = org / "results"
    if not results.is_dir():
        out.add(org, "layout", False, f"{results}: missing results/ folder")
        return
    systems = [s for s in sorted(results.iterdir()) if s.is_dir()]
    if not systems:
        out.add(results, "layout", False, f"{results}: no <system> folder")
    for system in systems:
        _check_system_json(out, org / "systems" / f"{system.name}.json", division)
        for workload in sorted(p for p in system.iterdir() if p.is_dir()):
            scenarios = sorted(p for p in workload.iterdir() if p.is_dir())
            if not scenarios:
                out.add(workload, "layout", False, f"{workload}: no <scenario> folder")
            for scen in scenarios:
                if scen.name not in SCENARIOS:
                    out.add(scen, "layout", False,
                            f"{scen}: {scen.name!r} is not a scenario; allowed: {', '.join(SCENARIOS)}")
                    continue
                conf = org / "measurements" / system.name / workload.name / scen.name / "user.conf"
                out.add(scen, "layout", conf.is_file(), f"{conf} {'present' if conf.is_file() else 'missing'}")
                _check_scenario(out, division, workload.name, scen)


def _check_system_json(out: _Collector, path: Path, division: str) -> None:
    if not path.is_file():
        out.add(path, "system", False, f"{path}: system description missing")
        return
    try:
        desc = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        out.add(path, "system", False, f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})")
        return
    if not isinstance(desc, dict):
        out.add(path, "system", False, f"{path}: expected a JSON object")
        return
    _check_network_system(out, path, division, desc)
    from mlperf_logging.system_desc_checker.system_desc_checker import check_system_desc

    from mlpace.submission.system import REQUIRED_FIELDS

    missing = [f for f in REQUIRED_FIELDS if f not in desc and f != "system_type"]
    root_logger = logging.getLogger()
    level = root_logger.level
    root_logger.setLevel(logging.CRITICAL)  # the official checker logs its own verdict
    try:
        valid = check_system_desc(str(path), "training", "3.1.0")[0]  # required fields; 4.x adds training-only status values
    except (TypeError, AttributeError):  # it joins values as strings; numbers break it
        valid = not missing
    finally:
        root_logger.setLevel(level)
    if valid and not missing:
        out.add(path, "system", True, "system description has the official fields")
    else:
        out.add(path, "system", False, f"{path}: missing fields {', '.join(missing) or '(see mlperf-logging checker)'}")


def _check_network_system(out: _Collector, path: Path, division: str, desc: dict) -> None:
    """The network division's system rules (``is_network``, the networking fields)."""
    from mlpace.submission.network import NETWORK_DIVISION, system_problems

    if division != NETWORK_DIVISION and "is_network" not in desc:
        return
    problems = system_problems(division, desc)
    out.add(path, "network", not problems,
            f"{path}: " + "; ".join(problems) if problems else f"is_network fits the {division} division")


def _check_scenario(out: _Collector, division: str, workload: str, scen: Path) -> None:
    run = scen / "performance" / "run_1"
    summary_path, detail_path = run / SUMMARY, run / DETAIL
    have = [p for p in (summary_path, detail_path) if p.is_file()]
    missing = [p for p in (summary_path, detail_path) if not p.is_file()]
    out.add(scen, "files", not missing,
            "performance logs present" if not missing else f"{missing[0]}: missing")
    summary = detail = None
    if summary_path in have:
        try:
            summary = read_summary(summary_path)
        except DataError as exc:
            out.add(scen, "logs parse", False, str(exc))
    if detail_path in have:
        try:
            detail = read_detail(detail_path)
        except DataError as exc:
            out.add(scen, "logs parse", False, str(exc))
    if summary is not None:
        ok = summary.valid and summary.scenario == scen.name
        why = f"Result is : {summary.result}"
        if summary.scenario != scen.name:
            why = f"{summary_path}: summary is for {summary.scenario}, folder is {scen.name}"
        elif not ok and summary.recommendations:
            why += " (" + "; ".join(summary.recommendations) + ")"
        if detail is not None and summary.scenario == scen.name:
            ok, why = _rederive(summary_path, detail_path, detail, ok, why)
        out.add(scen, "VALID", ok, why)
    if detail is not None:
        _check_settings(out, division, scen, detail_path, detail)
        from mlpace.submission.network import sut_name_problem

        if division == "network":
            problem = sut_name_problem(division, _last(detail, "sut_name"))
            out.add(scen, "network", problem is None,
                    f"{detail_path}: {problem}" if problem else "sut_name names a Network SUT")
    _check_accuracy(out, workload, scen)
    _check_audits(out, division, scen)


def _rederive(summary_path: Path, detail_path: Path, detail: dict, ok: bool, why: str) -> tuple[bool, str]:
    """The summary's claims against the detail log, and the verdict recomputed from the detail log."""
    from mlpace.submission.rederive import recompute_verdict, summary_vs_detail

    problems = [f"{detail_path.parent}: {m}" for m in summary_vs_detail(summary_path, detail, detail_path)]
    again = recompute_verdict(detail, detail_path)
    problems += [f"{detail_path.parent}: {m}" for m in again.mismatches]
    if ok and not again.valid and again.reasons:
        problems.append(f"{summary_path}: says VALID but the verdict recomputed from {detail_path.name} is "
                        f"INVALID: {'; '.join(again.reasons)}")
    if problems:
        return False, "; ".join(problems)
    if ok:
        return True, f"Result is : VALID (summary agrees with {detail_path.name}; verdict re-derived)"
    return ok, why


def _last(detail: dict, key: str):
    values = detail.get(key)
    return values[-1] if values else None


def _check_settings(out: _Collector, division: str, scen: Path, path: Path, detail: dict) -> None:
    problems = []
    for key, want in OFFICIAL_SEEDS.items():
        got = _last(detail, f"effective_{key}")
        if got is not None and int(got) != want:
            problems.append(f"{key} = {got}, rules require the mlperf.conf value {want}")
    for key in ("performance_issue_unique", "performance_issue_same"):
        if _last(detail, f"effective_{key}") in (True, 1, "true"):
            problems.append(f"{key} is on (an audit-only setting)")
    for key in ("accuracy_log_sampling_target", "accuracy_log_probability"):
        value = _last(detail, f"effective_{key}")
        if value not in (None, 0, 0.0):
            problems.append(f"{key} = {value} (an audit-only setting)")
    if division in CLOSED_RULES:
        dur = _last(detail, "effective_min_duration_ms")
        if dur is not None and int(dur) < CLOSED_MIN_DURATION_MS:
            problems.append(f"min_duration_ms = {dur} < {CLOSED_MIN_DURATION_MS} required in the closed division")
    why = "; ".join(problems) if problems else "official seeds, no audit-only settings"
    out.add(scen, "settings", not problems, f"{path}: {why}" if problems else why)


def _check_accuracy(out: _Collector, workload: str, scen: Path) -> None:
    acc = scen / "accuracy"
    log, txt = acc / ACCURACY, acc / "accuracy.txt"
    missing = [p for p in (log, txt) if not p.is_file()]
    if missing:
        out.add(scen, "accuracy", False, f"{missing[0]}: missing")
        return
    from mlpace.workloads import accuracy_log, names
    from mlpace.workloads.report import parse

    try:
        records = accuracy_log.read(log)
        fields = parse(txt)
    except DataError as exc:
        out.add(scen, "logs parse", False, str(exc))
        return
    if workload in names():
        from mlpace import workloads

        wl = workloads.get(workload)
        try:
            value = float(fields.get("value", "nan"))
            count, _, total = fields.get("samples", "0 of 0").partition(" of ")
            count, total = int(count), int(total)
        except ValueError:
            out.add(scen, "accuracy", False, f"{txt}: unreadable value/samples lines")
            return
        expected = len(wl.eval_set[1])
        problems = []
        try:
            again = wl.score_accuracy_log(log)
        except (DataError, ValueError) as exc:
            out.add(scen, "accuracy", False, f"{log}: cannot be re-scored: {exc}")
            return
        same = math.isclose(again.value, value, rel_tol=0, abs_tol=5e-6) or (math.isnan(again.value)
                                                                            and math.isnan(value))
        if not same:
            problems.append(f"{txt} 'value' is {fields.get('value')} but re-scoring {log.name} with the {workload} "
                            f"scorer gives {again.value:.6f}")
        if again.count != count:
            problems.append(f"{txt} 'samples' is {count} but {log.name} holds {again.count}")
        if fields.get("result") != again.verdict:
            problems.append(f"{txt} 'result' is {fields.get('result')} but the re-scored result is {again.verdict}"
                            + (f" ({again.why()})" if not again.passed else ""))
        value = again.value  # the verdict comes from the answers, not from the file that reports them
        if not value >= wl.target:
            problems.append(f"{wl.metric} {value:.4f} < target {wl.target:.4f} ({wl.target_note})")
        elif fields.get("result") != "PASS":  # a workload with more than one rule (textgen)
            problems.append(f"{txt}: result {fields.get('result')}: {fields.get('reason', 'no reason given')}")
        if count != expected or total != expected:
            problems.append(f"scored {count} of {expected} samples")
        if len(set(records.qsl_idx.tolist())) < expected:
            problems.append(f"{log} logs {len(set(records.qsl_idx.tolist()))} of {expected} samples")
        why = "; ".join(problems) or f"{wl.metric} {value:.4f} >= target {wl.target:.4f} ({wl.target_note})"
        out.add(scen, "accuracy", not problems, why)
    else:
        passed = fields.get("result") == "PASS"
        out.add(scen, "accuracy", passed, f"{txt}: result {fields.get('result')} (workload not registered in mlpace)")


def _check_audits(out: _Collector, division: str, scen: Path) -> None:
    from mlpace.audit.verify import read_verdict

    present = sorted(p.name for p in scen.iterdir() if p.is_dir() and p.name.startswith("TEST"))
    if division in CLOSED_RULES:
        for test in CLOSED_REQUIRED_AUDITS:
            if test not in present:
                out.add(scen, f"audit {test}", False, f"{scen / test}: required in the closed division, missing")
    from mlpace.audit.llm import read_test06_verdict

    for test in present:
        folder = scen / test
        # LLM tests (TEST06, TEST09) judge the accuracy log only; TEST06 has its own lines
        files = {"TEST06": ["verify_accuracy.txt"], "TEST09": ["verify_output_len.txt"]}.get(
            test, ["verify_performance.txt"] + (["verify_accuracy.txt"] if test == "TEST01" else []))
        problems = []
        for name in files:
            path = folder / name
            if not path.is_file():
                problems.append(f"{path}: missing")
                continue
            verdict = read_test06_verdict(path) if test == "TEST06" else read_verdict(path)
            if not verdict.passed:
                problems.append(f"{path}: {verdict.reason}")
        run_summary = folder / "performance" / "run_1" / SUMMARY
        if test != "TEST06" and not run_summary.is_file():
            problems.append(f"{run_summary}: missing")
        out.add(scen, f"audit {test}", not problems, "; ".join(problems) or "TEST PASS")

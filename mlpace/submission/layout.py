"""Write runs into an MLPerf-style submission tree (the paths are listed in the package doc).

``write_run`` copies one finished run (its log folder) into the tree:
PerformanceOnly -> ``performance/run_1``; AccuracyOnly -> ``accuracy`` (+ ``accuracy.txt``);
SubmissionRun -> both. It also writes ``systems/<system>.json`` (captured once) and
``measurements/.../user.conf``. ``write_audits`` copies an audit folder (``TEST0x``).
"""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

from mlpace.errors import ConfigError
from mlpace.submission import system as system_desc
from mlpace.loadgen.logs.read import ACCURACY, DETAIL, SUMMARY, read_detail

DIVISIONS = ("closed", "open", "network")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")

# TestSettings field -> (conf key, divisor to conf units, scenario it belongs to)
_CONF_KEYS = {
    "single_stream_expected_latency_ns": ("target_latency", 1e6, "SingleStream"),
    "multi_stream_expected_latency_ns": ("target_latency", 1e6, "MultiStream"),
    "multi_stream_samples_per_query": ("samples_per_query", 1, "MultiStream"),
    "server_target_qps": ("target_qps", 1, "Server"),
    "server_target_latency_ns": ("target_latency", 1e6, "Server"),
    "offline_expected_qps": ("target_qps", 1, "Offline"),
    "min_duration_ms": ("min_duration", 1, None),
    "max_duration_ms": ("max_duration", 1, None),
    "min_query_count": ("min_query_count", 1, None),
    "max_query_count": ("max_query_count", 1, None),
}


def _check_name(kind: str, value: str) -> str:
    if not _NAME.match(value or ""):
        raise ConfigError(f"{kind} {value!r} is not a usable folder name (letters, digits, . _ + - only)")
    return value


def scenario_dir(root, division, org, system, workload, scenario) -> Path:
    return Path(root) / division / org / "results" / system / workload / scenario


def user_conf_text(detail_path: Path, workload: str, scenario: str) -> str:
    """The run's requested settings as official ``model.scenario.key = value`` lines."""
    detail = read_detail(detail_path)
    lines = [f"# user.conf of {workload} {scenario}, as requested in {detail_path.name}"]
    for field, (key, div, scen) in _CONF_KEYS.items():
        values = detail.get(f"requested_{field}")
        if not values or (scen is not None and scen != scenario):
            continue
        value = float(values[-1]) / div
        if div != 1 and not value.is_integer():
            lines.append(f"# {field} = {values[-1]} (not a whole number of ms; set through mlpace settings)")
            continue
        text = f"{value:g}" if not value.is_integer() else str(int(value))
        lines.append(f"{workload}.{scenario}.{key} = {text}")
    return "\n".join(lines) + "\n"


def _copy(src: Path, dst_dir: Path, name: str) -> None:
    if src is not None and Path(src).is_file():
        dst_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst_dir / name)


def write_run(
    tree_root,
    workload,
    scenario: str,
    result,
    accuracy=None,
    *,
    division: str = "open",
    org: str = "mlpace",
    system: str | None = None,
) -> Path:
    """Copy a finished run into the tree; returns the scenario results folder.

    ``workload``: a workload object or name; ``result``: the ``TestResult`` of
    ``mlpace.loadgen.start_test``; ``accuracy``: its ``AccuracyReport`` (written as
    ``accuracy/accuracy.txt``) when the run logged accuracy.
    """
    from mlpace.loadgen import TestMode

    name = getattr(workload, "name", workload)
    if division not in DIVISIONS:
        raise ConfigError(f"division {division!r} not allowed; allowed: {', '.join(DIVISIONS)}")
    system = _check_name("system", system or socket.gethostname().split(".")[0])
    _check_name("org", org)
    root = Path(tree_root) / division / org
    sys_json = root / "systems" / f"{system}.json"
    if not sys_json.exists():
        system_desc.write(sys_json, system_desc.capture(org, division, system))
    log_dir = Path(result.log_dir)
    summary = Path(result.summary_path or log_dir / SUMMARY)
    detail = Path(result.detail_path or log_dir / DETAIL)
    acc_log = Path(result.accuracy_path or log_dir / ACCURACY)
    dest = scenario_dir(Path(tree_root), division, org, system, name, scenario)
    mode = TestMode(result.mode)
    if mode in (TestMode.PerformanceOnly, TestMode.SubmissionRun, TestMode.FindPeakPerformance):
        run_dir = dest / "performance" / "run_1"
        _copy(summary, run_dir, SUMMARY)
        _copy(detail, run_dir, DETAIL)
        measure = root / "measurements" / system / name / scenario
        measure.mkdir(parents=True, exist_ok=True)
        (measure / "user.conf").write_text(user_conf_text(detail, name, scenario))
    if mode in (TestMode.AccuracyOnly, TestMode.SubmissionRun):
        acc_dir = dest / "accuracy"
        _copy(acc_log, acc_dir, ACCURACY)
        _copy(summary, acc_dir, SUMMARY)
        _copy(detail, acc_dir, DETAIL)
        if accuracy is not None:
            accuracy.write(acc_dir)
    return dest


def write_audits(audit_dir, tree_root, workload: str, scenario: str, *, division="open", org="mlpace",
                 system: str | None = None) -> list[Path]:
    """Copy ``TEST0x`` folders of an ``mlpace audit`` output into the tree."""
    system = _check_name("system", system or socket.gethostname().split(".")[0])
    dest = scenario_dir(tree_root, division, org, system, workload, scenario)
    copied = []
    for test_dir in sorted(Path(audit_dir).glob("TEST0*")):
        target = dest / test_dir.name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(test_dir, target)
        copied.append(target)
    return copied

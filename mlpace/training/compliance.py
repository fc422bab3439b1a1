"""Compliance: the official ``mlperf_logging`` checker with rules for mlpace's benchmarks.

The official common rules are used unchanged: at run time the installed
``training_6.0.0/common.yaml`` is read and only its ``submission_division`` POST is
redirected to mlpace's ``{closed,open}_common.yaml`` (absolute paths, the checker's
documented ``--config`` mechanism). Those list the benchmark names and enqueue
``{division}_<benchmark>.yaml``: shipped in ``rules/`` for mlpace's benchmarks,
generated from the config for a user's. Logs of official benchmarks are checked with
the official rules alone.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mlperf_logging
from mlpace.errors import DataError
from mlpace.training.config import BenchmarkConfig

RULESET = "6.0.0"
USAGE = "training"
RULES_DIR = Path(__file__).parent / "rules"
OFFICIAL_RULES_DIR = Path(mlperf_logging.__file__).parent / "compliance_checker" / f"{USAGE}_{RULESET}"
_DIVISION_POST = "enqueue_config('training_6.0.0/{}_common.yaml'.format(v['value']))"


def official_benchmarks() -> list[str]:
    """Benchmark names the installed official rules know for this ruleset."""
    from mlperf_logging.benchmark_meta import get_allowed_benchmarks

    return list(get_allowed_benchmarks(USAGE, RULESET))


def benchmark_rules(cfg: BenchmarkConfig, division: str) -> str:
    """The ``{division}_<benchmark>.yaml`` text for a benchmark config.

    Closed: every logged hyperparameter exactly once (the optimizer pinned), an
    ``eval_accuracy`` with ``epoch_num`` and at least one meeting the target.
    Open: only the quality target.
    """
    target_check = cfg.quality.rule_expression()
    eval_rule = (
        "- KEY:\n"
        "    NAME:  eval_accuracy\n"
        "    REQ:   AT_LEAST_ONE\n"
        "    CHECK:\n"
        "        - \"'epoch_num' in v['metadata']\"\n"
        f"    ATLEAST_ONE_CHECK: \"{target_check}\"\n"
    )
    head = f"# {division} rules for mlpace benchmark '{cfg.name}' ({cfg.quality.metric} target, "
    head += f"goal {cfg.quality.goal}).\n\n"
    if division == "open":
        return head + eval_rule
    parts = []
    for key in cfg.logged_hyperparameters():
        rule = f"- KEY:\n    NAME:  {key}\n    REQ:   EXACTLY_ONE\n"
        if key == "opt_name":
            rule += f"    CHECK: \" v['value'] == {cfg.optimizer!r} \"\n"
        elif key == "gradient_accumulation_steps":
            rule += "    CHECK: \" v['value'] > 0 \"\n"
        elif key == "global_batch_size":
            rule += "    CHECK: \" v['value'] > 0 \"\n    POST:  \" s['global_batch_size'] = v['value'] \"\n"
        parts.append(rule)
    return head + "\n".join(parts + [eval_rule])


def official_common_rules(rules_dir: Path) -> str:
    """The installed official common.yaml with only the division POST redirected."""
    text = (OFFICIAL_RULES_DIR / "common.yaml").read_text()
    if text.count(_DIVISION_POST) != 1:
        raise DataError(
            f"the installed mlperf_logging {OFFICIAL_RULES_DIR}/common.yaml changed: "
            "its submission_division rule is not the one mlpace redirects; pin mlperf-logging==4.1.68")
    return text.replace(_DIVISION_POST, _DIVISION_POST.replace("training_6.0.0", str(rules_dir)))


def materialise_rules(configs: list[BenchmarkConfig], dest: Path, shipped_dirs=()) -> Path:
    """Write a complete rules directory for ``configs`` into ``dest``; return its common.yaml.

    The directory also carries the installed official per-benchmark rules, so one rules
    set checks mlpace's benchmarks and the official ones alike.

    Per-benchmark files come from ``shipped_dirs`` when present there, else are generated.
    """
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    official = official_benchmarks()
    names = official + sorted({c.name for c in configs} - set(official))
    for division in ("closed", "open"):
        text = (RULES_DIR / f"{division}_common.yaml").read_text()
        text = text.replace("@BENCHMARKS@", repr(names)).replace("@RULES_DIR@", str(dest))
        (dest / f"{division}_common.yaml").write_text(text)
        for name in official:  # official benchmarks keep their official rules, read from the package
            src = OFFICIAL_RULES_DIR / f"{division}_{name}.yaml"
            if src.is_file():
                (dest / src.name).write_text(src.read_text())
        for cfg in configs:
            fname = f"{division}_{cfg.name}.yaml"
            shipped = next((Path(d) / fname for d in shipped_dirs if d and (Path(d) / fname).is_file()), None)
            body = shipped.read_text() if shipped else benchmark_rules(cfg, division)
            (dest / fname).write_text(body)
    common = dest / "common.yaml"
    common.write_text(official_common_rules(dest))
    return common


@dataclass
class ComplianceResult:
    """The verdict of the official checker on one file, with its messages."""

    path: Path
    passed: bool
    messages: list[str] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


DIVISIONS = ("closed", "open")


def rules_benchmarks(common_yaml: str | Path | None) -> list[str]:
    """Benchmark names a rules directory has files for (the official ones when None)."""
    names = set(official_benchmarks())
    if common_yaml:
        for f in Path(common_yaml).parent.glob("closed_*.yaml"):
            names.add(f.name[len("closed_"):-len(".yaml")])
    names.discard("common")
    return sorted(names)


def unsafe_values(path: Path, benchmarks: list[str]) -> list[str]:
    """Log values the official checker would build a rules-file path from, when they are not
    exactly a division (closed, open) or a benchmark with rules: the checker must not see them.

    The official checker enqueues ``{division}_common.yaml`` and ``{division}_<benchmark>.yaml``
    from these values and executes the ``CODE`` blocks of whatever file that names.
    """
    from mlpace.training.logfile import iter_events

    allowed = {"submission_division": DIVISIONS, "submission_benchmark": tuple(benchmarks)}
    problems = []
    for ev in iter_events(path):
        if not isinstance(ev, dict) or ev.get("key") not in allowed:
            continue
        key, value = ev["key"], ev.get("value")
        if not isinstance(value, str) or value not in allowed[key]:
            shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
            problems.append(f"{path.name}: {key} {shown} is not allowed (allowed: "
                            f"{', '.join(allowed[key])}); the log was not given to the official checker")
    return problems


def check_file(path: str | Path, common_yaml: str | Path | None = None) -> ComplianceResult:
    """Run the official compliance checker (in process) on one log file.

    ``common_yaml`` is an absolute rules path (``--config``); None uses the official rules.
    The division and benchmark values are validated first (:func:`unsafe_values`): a log whose
    values would make the checker load a rules file from elsewhere fails without being run.
    """
    from mlperf_logging.compliance_checker import mlp_compliance

    path = Path(path)
    if not path.is_file():
        raise DataError(f"log file not found: {path}")
    refused = unsafe_values(path, rules_benchmarks(common_yaml))
    if refused:
        return ComplianceResult(path, False, refused)
    config = str(common_yaml) if common_yaml else f"{USAGE}_{RULESET}/common.yaml"
    root = logging.getLogger()
    capture, old_level = _Capture(), root.level
    root.addHandler(capture)
    root.setLevel(logging.INFO)
    try:
        mlp_compliance.enqueued_configs.clear()
        checker = mlp_compliance.make_checker(USAGE, RULESET, False, False)
        try:
            valid, *_ = mlp_compliance.main(str(path), config, checker)
        except Exception as exc:  # noqa: BLE001 - the official checker crashes on some inputs
            # (e.g. an unlisted benchmark name: its POST enqueues a rules file that does not
            # exist); keep the messages it had collected before it stopped
            checker.log_messages()
            logging.getLogger().error("the official checker stopped: %s: %s", type(exc).__name__, exc)
            valid = False
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
    messages, configs = [], []
    for rec in capture.records:
        text = rec.getMessage().strip()
        if text.startswith("Compliance checks:"):
            configs.append(text.split(":", 1)[1].strip())
        elif rec.levelno >= logging.WARNING and text:
            messages.append(text)
    return ComplianceResult(path, bool(valid), messages, configs)


def run_official_cli(path: str | Path, common_yaml: str | Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m mlperf_logging.compliance_checker`` exactly as a user would."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "mlperf_logging.compliance_checker", "--usage", USAGE,
               "--ruleset", RULESET, "--log_output", str(Path(tmp) / "compliance_checker.log")]
        if common_yaml:
            cmd += ["--config", str(common_yaml)]
        cmd.append(str(path))
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def summarise_messages(messages: list[str], limit: int = 3) -> list[str]:
    """The first line of each checker message (for tables and explanations)."""
    out = []
    for msg in messages:
        for chunk in msg.split("-" * 30):
            line = chunk.strip().splitlines()[0] if chunk.strip() else ""
            if line:
                out.append(line)
    return out[:limit] if limit else out


__all__ = ["ComplianceResult", "benchmark_rules", "check_file", "materialise_rules", "official_benchmarks",
           "official_common_rules", "run_official_cli", "summarise_messages"]

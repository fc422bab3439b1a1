"""Running the official ``mlperf_logging`` tools on folders that hold mlpace benchmarks.

The official ``result_summarizer`` and ``rcp_checker`` only know the round's benchmark
names (``benchmark_meta`` tables, ``rcp_checker.submission_runs``, RCP JSON files inside
the package, rules loaded from the package) and have no option to add one. This module
is a launcher: ``python -m mlpace.training.official REGISTRY.json TOOL [ARGS...]`` registers
each benchmark listed in REGISTRY (name -> required runs, RCP file, rules common.yaml) in
those tables, in memory only, then calls the unmodified tool's ``main()`` with ARGS.
Exactly four things are registered, nothing else is changed:

1. ``benchmark_meta._ALL_ALLOWED_BENCHMARKS['training'][<round>]`` gains the name;
2. ``benchmark_meta._ALL_RESULT_FILE_COUNTS['training'][name]`` = required runs;
3. ``rcp_checker.submission_runs['training'][name]`` = required runs, and the RCP file
   path the checker builds for the name points at mlpace's RCP JSON;
4. compliance inside the summarizer uses the registry's rules (``--config`` equivalent)
   instead of the package's ``common.yaml`` when the summarizer asks for the default.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TOOLS = {"result_summarizer": "mlperf_logging.result_summarizer.result_summarizer",
         "rcp_checker": "mlperf_logging.rcp_checker.rcp_checker"}


def register(registry: dict, ruleset: str = "6.0.0") -> None:
    """Add the registry's benchmarks to the official tools' tables (this process only)."""
    from mlperf_logging import benchmark_meta
    from mlperf_logging.compliance_checker import mlp_compliance
    from mlperf_logging.rcp_checker import rcp_checker

    short = ".".join(ruleset.split(".")[:2])
    allowed = benchmark_meta._ALL_ALLOWED_BENCHMARKS["training"][short]
    rcp_paths = {}
    for name, entry in registry.get("benchmarks", {}).items():
        if name not in allowed:
            allowed.append(name)
        benchmark_meta._ALL_RESULT_FILE_COUNTS["training"][name] = int(entry["runs"])
        rcp_checker.submission_runs["training"][name] = int(entry["runs"])
        if entry.get("rcp"):
            rcp_paths[name] = entry["rcp"]
    rules = registry.get("rules")

    original_filename = rcp_checker.RCP_Checker._construct_json_filename

    def json_filename(self, usage, ruleset_, benchmark):
        return rcp_paths.get(benchmark) or original_filename(self, usage, ruleset_, benchmark)

    rcp_checker.RCP_Checker._construct_json_filename = json_filename

    original_main = mlp_compliance.main
    default = f"training_{ruleset}/common.yaml"

    def main_with_rules(filename, config_file, checker):
        """The official checker, given only logs whose division/benchmark values are safe."""
        from pathlib import Path as _Path

        from mlpace.training.compliance import rules_benchmarks, unsafe_values

        config = rules if (rules and config_file == default) else config_file
        refused = unsafe_values(_Path(filename), rules_benchmarks(config if _Path(config).is_absolute() else None))
        if refused:
            import logging

            for msg in refused:
                logging.getLogger().error(msg)
            return False, None, None, None
        return original_main(filename, config, checker)

    mlp_compliance.main = main_with_rules


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[1] not in TOOLS:
        raise SystemExit(f"usage: python -m mlpace.training.official REGISTRY.json {{{','.join(TOOLS)}}} ARGS...")
    registry = json.loads(Path(argv[0]).read_text())
    register(registry, registry.get("ruleset", "6.0.0"))
    import importlib

    module = importlib.import_module(TOOLS[argv[1]])
    sys.argv = [f"mlperf_logging.{argv[1]}"] + argv[2:]
    module.main()


def run(tool: str, args: list[str], registry: dict, workdir: str | Path) -> subprocess.CompletedProcess:
    """Run an official tool through this launcher in a subprocess (``workdir`` gets its logs)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    reg_path = workdir / "mlpace_registry.json"
    reg_path.write_text(json.dumps(registry))
    return subprocess.run([sys.executable, "-m", "mlpace.training.official", str(reg_path), tool, *args],
                          capture_output=True, text=True, cwd=workdir, timeout=600)


if __name__ == "__main__":
    main()

"""mlpace's packages import each other one way only, and each imports on its own.

The graph is read from the source (every ``import mlpace.X`` / ``from mlpace.X``,
function-level imports included, since a lazy import is still a dependency), at the
granularity of top-level packages (``loadgen``, ``audit``, ``submission``...).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mlpace

ROOT = Path(mlpace.__file__).parent
PACKAGES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file())


def units(root: Path) -> set[str]:
    """Top-level packages and modules of the tree at ``root``."""
    return ({p.name for p in root.iterdir() if (p / "__init__.py").is_file()}
            | {p.stem for p in root.glob("*.py") if p.stem != "__init__"})


def unit_of(module: str, known: set[str]) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "mlpace" and parts[1] in known else None


def package_graph(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """unit -> {imported unit: [files that import it]}, from the AST of every module."""
    graph: dict[str, dict[str, list[str]]] = {}
    known = units(root)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        src = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + ([f"mlpace.{a.name}" for a in node.names] if node.module == "mlpace" else [])
            for name in names:
                dst = unit_of(name, known)
                if dst is not None and dst != src:
                    graph.setdefault(src, {}).setdefault(dst, []).append(str(rel))
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Every elementary cycle's node list, found by depth-first search (tiny graph)."""
    found: list[list[str]] = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in graph.get(node, {}):
            if nxt == start:
                found.append(path + [start])
            elif nxt not in path and nxt > start:  # report each cycle once, from its smallest node
                walk(start, nxt, path + [nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return found


def test_no_import_cycle_between_packages():
    found = cycles(package_graph())
    detail = {f"{a} -> {b}": package_graph()[a][b] for cyc in found for a, b in zip(cyc, cyc[1:])}
    assert not found, f"import cycles {found}; edges: {detail}"


def test_the_cycle_finder_finds_a_cycle(tmp_path):
    pkg = tmp_path / "mlpace"
    for name, body in {"a": "from mlpace.b import x\n", "b": "def f():\n    from mlpace.a import y\n", "c": ""}.items():
        (pkg / name).mkdir(parents=True)
        (pkg / name / "__init__.py").write_text(body)
    assert cycles(package_graph(pkg)) == [["a", "b", "a"]]


def test_log_reading_and_the_core_point_one_way():
    graph = package_graph()
    assert set(graph.get("loadgen", {})) <= {"errors"}  # the engine depends on nothing of mlpace
    assert "submission" not in graph.get("audit", {})   # log readers live in loadgen/logs/read.py
    assert "workloads" not in graph.get("report", {})  # reports read files, they run nothing


def test_each_package_imports_alone_in_a_fresh_interpreter():
    # one interpreter per package, started together (a cycle of eager imports fails in some order)
    procs = {pkg: subprocess.Popen([sys.executable, "-c", f"import mlpace.{pkg}"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True) for pkg in PACKAGES}
    failed = {}
    for pkg, proc in procs.items():
        _, err = proc.communicate(timeout=180)
        if proc.returncode != 0:
            failed[pkg] = err[-1500:]
    assert not failed, failed
    assert {"loadgen", "audit", "submission", "report", "runs"} <= set(procs)

"""The core install: the LoadGen, ``mlpace.compat`` and ``mlpace report`` work without any extra.

Each check runs in a fresh interpreter whose import system refuses the extras' modules
(a meta-path finder placed first), as a ``pip install mlpace`` venv would. The real size
of that install is measured by ``benchmarks/core_install_size.py``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# modules of the extras: none may be needed by the core
EXTRAS_MODULES = ("torch", "onnx", "onnxruntime", "sklearn", "skimage", "threadpoolctl", "mlperf_logging",
                  "yaml", "serial", "scipy", "ray", "mlperf_loadgen")

BLOCKER = """
import sys
from importlib.abc import MetaPathFinder

BLOCKED = set({blocked!r})

class Blocker(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
        return None

sys.meta_path.insert(0, Blocker())
"""


def run_blocked(code: str, blocked=EXTRAS_MODULES, cwd=None) -> subprocess.CompletedProcess:
    script = BLOCKER.format(blocked=tuple(blocked)) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_the_blocker_blocks():
    # guards the guard: an extra's module really is refused in the child
    r = run_blocked("import numpy\nimport sklearn\n")
    assert r.returncode != 0 and "blocked by the test" in r.stderr


def test_loadgen_compat_and_report_need_no_extra(tmp_path):
    r = run_blocked(f"""
        import sys
        import numpy as np
        import mlpace.compat as lg
        from mlpace import loadgen
        from mlpace.cli import main

        sut = loadgen.FunctionSUT(lambda idx: np.zeros(len(idx), dtype=np.int64), with_data=False)
        qsl = loadgen.SimpleQSL("q", 64, 64)
        settings = loadgen.TestSettings.make(scenario="SingleStream", mode="PerformanceOnly",
                                             min_duration_ms=100, min_query_count=200)
        result = loadgen.start_test(sut, qsl, settings, loadgen.LogSettings(outdir="run"))
        assert result.metrics, result.reasons
        code = main(["report", "run"])
        assert code == 0, code
        assert lg.TestScenario.Offline == 3
        loaded = sorted(m for m in {EXTRAS_MODULES!r} if m in sys.modules)
        print("loaded extras:", loaded)
    """, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "loaded extras: []" in r.stdout
    assert (tmp_path / "run" / "report.md").is_file()
    assert "report:" in r.stdout


@pytest.mark.parametrize("argv, blocked, extra", [
    (["run", "digits", "-s", "Offline", "-o", "out"], ("onnxruntime", "onnx", "sklearn"), "workloads"),
    (["train", "list"], ("torch", "mlperf_logging"), "training"),
    (["tiny", "run", "--simulate", "-b", "ic"], ("serial",), "tiny"),
])
def test_a_missing_extra_is_named_in_one_line(tmp_path, argv, blocked, extra):
    r = run_blocked(f"""
        import sys
        from mlpace.cli import main
        sys.exit(main({argv!r}))
    """, blocked=blocked, cwd=tmp_path)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2, r.stderr[-2000:]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert f"this command needs mlpace[{extra}]" in lines[0] and f"pip install 'mlpace[{extra}]'" in lines[0]


def test_a_missing_module_that_is_no_extra_is_a_bug_with_a_traceback(monkeypatch):
    import mlpace.cli as cli
    from mlpace.extras import MissingExtra, missing_extra, require

    assert missing_extra(ModuleNotFoundError("x", name="mlpace.nothing")) is None
    assert missing_extra(ModuleNotFoundError("x", name="sklearn.metrics")).extra == "workloads"
    with pytest.raises(MissingExtra, match=r"mlpace\[ray\].*'no_such_module_xyz'"):
        require("ray", "numpy", "no_such_module_xyz")

    def broken(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'mlpace.gone'", name="mlpace.gone")

    monkeypatch.setattr(cli, "_register", lambda: None)
    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(ModuleNotFoundError):
        cli.main(["run"])

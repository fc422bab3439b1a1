"""Measure what ``pip install mlpace`` (the core, no extras) puts in a fresh venv's site-packages.

    python benchmarks/core_install_size.py            # core install
    python benchmarks/core_install_size.py --extras workloads

Builds a throw-away venv, runs ``pip install .`` (or ``.[EXTRAS]``) from this checkout,
then prints the site-packages size (MB, ``du``-style: allocated blocks), the size an
empty venv already has (pip itself), the difference, the ten largest distributions,
and whether torch, onnxruntime, scikit-learn or mlperf-logging came along. Then, in that
venv, it runs a short SingleStream test through ``mlpace.compat`` and ``mlpace report`` on
its logs. Exit code 1 if the added size passes ``--limit`` MB, a heavy package came
along with the core, or the smoke run fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "onnxruntime", "sklearn", "mlperf_logging", "onnx", "skimage")

# a compat-API harness, then `mlpace report` on its logs, inside the fresh venv
SMOKE = """
import mlpace.compat as lg
sut = lg.ConstructSUT(lambda qs: lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in qs]),
                      lambda: None)
qsl = lg.ConstructQSL(64, 64, lambda s: None, lambda s: None)
settings = lg.TestSettings()
settings.scenario = lg.TestScenario.SingleStream
settings.mode = lg.TestMode.PerformanceOnly
settings.min_duration_ms = 100
settings.min_query_count = 100
log = lg.LogSettings()
log.log_output.outdir = "run"
lg.StartTestWithLogSettings(sut, qsl, settings, log)
lg.DestroyQSL(qsl)
lg.DestroySUT(sut)
"""


def du_mb(path: Path) -> float:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            total += st.st_blocks * 512
    return total / 2**20


def site_packages(env: Path) -> Path:
    return next((env / "lib").glob("python3*/site-packages"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extras", default="", help="comma-separated extras to add, e.g. workloads")
    ap.add_argument("--limit", type=float, default=250.0, help="fail above this many MB added (default 250)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlpace-size-") as tmp:
        env = Path(tmp) / "venv"
        venv.EnvBuilder(with_pip=True).create(env)
        sp = site_packages(env)
        empty = du_mb(sp)
        target = f"{ROOT}[{args.extras}]" if args.extras else str(ROOT)
        subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "-q", target], check=True)
        total = du_mb(sp)
        sizes = sorted(((du_mb(p), p.name) for p in sp.iterdir() if p.is_dir() and not p.name.endswith(
            (".dist-info", "__pycache__"))), reverse=True)
        heavy = [m for m in HEAVY if (sp / m).exists()]
        smoke = subprocess.run([str(env / "bin" / "python"), "-c", SMOKE], cwd=tmp, capture_output=True, text=True)
        if smoke.returncode == 0:
            smoke = subprocess.run([str(env / "bin" / "mlpace"), "report", "run"], cwd=tmp, capture_output=True,
                                   text=True)
        smoke_ok = smoke.returncode == 0 and (Path(tmp) / "run" / "report.md").is_file()
    added = total - empty
    print(f"pip install {'mlpace' + (f'[{args.extras}]' if args.extras else '')} in a fresh venv "
          f"(Python {sys.version_info.major}.{sys.version_info.minor})")
    print(f"site-packages: {total:.0f} MB; empty venv (pip): {empty:.0f} MB; added: {added:.0f} MB "
          f"(limit {args.limit:.0f} MB)")
    print("largest: " + ", ".join(f"{name} {mb:.0f}" for mb, name in sizes[:10]))
    print(f"heavy packages present: {', '.join(heavy) if heavy else 'none'}")
    print("mlpace.compat SingleStream run + mlpace report: " + ("ok" if smoke_ok else "FAILED\n" + smoke.stderr[-2000:]))
    return 1 if added > args.limit or (heavy and not args.extras) or not smoke_ok else 0


if __name__ == "__main__":
    sys.exit(main())

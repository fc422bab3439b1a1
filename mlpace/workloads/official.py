"""Run a workload's reference SUT under the official C++ LoadGen (``mlperf_loadgen``).

For side-by-side checks: the same model and QSL, driven by the official tool, write
official logs that mlpace's accuracy scripts, audits and checker must read. The
official package is optional (``pip install mlcommons-loadgen``); without it this
raises ``ConfigError``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mlpace.errors import ConfigError


def run_official(wl, settings, outdir: str | Path, backend: str = "onnxruntime") -> Path:
    """Run ``wl`` with an ``mlperf_loadgen.TestSettings``; returns the log folder.

    The official LoadGen reads ``./audit.config``; the run happens with ``outdir`` as
    the working folder, so a stray audit.config elsewhere cannot change it.
    """
    try:
        import mlperf_loadgen as mlg
    except ImportError:
        raise ConfigError("the official LoadGen is not installed: pip install mlcommons-loadgen") from None
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    qsl = wl.make_qsl()
    alive: list[np.ndarray] = []  # payload buffers must outlive QuerySamplesComplete

    def complete(ids, rows):
        responses = []
        for i, row in zip(ids, rows):
            arr = np.ascontiguousarray(row)
            alive.append(arr)
            responses.append(mlg.QuerySampleResponse(int(i), arr.ctypes.data, arr.nbytes))
        mlg.QuerySamplesComplete(responses)

    sut = wl.make_sut(qsl, backend=backend, complete=complete)

    def issue(samples):
        sut.issue_queries(np.array([s.id for s in samples], np.uint64), np.array([s.index for s in samples]))

    official_sut = mlg.ConstructSUT(issue, lambda: None)
    official_qsl = mlg.ConstructQSL(
        qsl.total_sample_count, qsl.performance_sample_count, qsl.load_samples, qsl.unload_samples
    )
    log_settings = mlg.LogSettings()
    log_settings.log_output.outdir = str(outdir)
    log_settings.enable_trace = False
    cwd = os.getcwd()
    try:
        os.chdir(outdir)
        mlg.StartTestWithLogSettings(official_sut, official_qsl, settings, log_settings)
    finally:
        os.chdir(cwd)
        mlg.DestroyQSL(official_qsl)
        mlg.DestroySUT(official_sut)
    return outdir

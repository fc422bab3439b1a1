"""Reference inference workloads: registry, and per workload a QSL, SUT, model and accuracy script.

    from mlpace import workloads
    wl = workloads.get("digits")
    qsl = wl.make_qsl(); sut = wl.make_sut(qsl)
    report = wl.score_accuracy_log("run/mlperf_log_accuracy.json", out_dir="run")

Response payloads: classifiers (``top1``) answer each sample with its predicted label as
one little-endian int64 (8 bytes); the anomaly workload (``auc``) with its anomaly score
as one little-endian float32 (4 bytes). Accuracy scripts decode the first element. ``textgen`` (LLM proxy) answers with its output
token ids as little-endian int32 and reports first tokens and token counts.
"""

from __future__ import annotations

from mlpace.errors import ConfigError
from mlpace.extras import require

require("workloads", "onnx", "onnxruntime", "sklearn")  # a clear "pip install 'mlpace[workloads]'" if not

from mlpace.workloads.anomaly import Anomaly  # noqa: E402
from mlpace.workloads.base import SCENARIOS, Workload, scenario_name  # noqa: E402
from mlpace.workloads.digits import Digits  # noqa: E402
from mlpace.workloads.report import AccuracyReport  # noqa: E402
from mlpace.workloads.textgen import Textgen  # noqa: E402
from mlpace.workloads.vww import VisualWakeWords  # noqa: E402

_CLASSES = {cls.name: cls for cls in (Digits, VisualWakeWords, Anomaly, Textgen)}
_INSTANCES: dict[str, Workload] = {}


def names() -> list[str]:
    """Registered workload names, the ``mlpace run`` default first."""
    return list(_CLASSES)


def get(name: str) -> Workload:
    """The workload called ``name``; ``ConfigError`` listing the names if unknown."""
    if name not in _CLASSES:
        raise ConfigError(f"unknown workload {name!r}; allowed: {', '.join(_CLASSES)}")
    if name not in _INSTANCES:
        _INSTANCES[name] = _CLASSES[name]()
    return _INSTANCES[name]


__all__ = ["AccuracyReport", "SCENARIOS", "Workload", "get", "names", "scenario_name"]

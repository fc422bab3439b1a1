"""Registry of mlpace's reference training benchmarks, and loading of user benchmarks.

``get_benchmark("digits_cnn")`` returns a shipped benchmark; ``"pkg.module:attr"`` or
``"path/to/file.py:attr"`` loads a user's ``Benchmark`` (or a function returning one).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Callable

from mlpace.errors import ConfigError
from mlpace.training.api import Benchmark
from mlpace.training.benchmarks import adding_gru, digits_cnn

BUILTIN: dict[str, Callable[[], Benchmark]] = {
    "digits_cnn": digits_cnn.benchmark,
    "adding_gru": adding_gru.benchmark,
}

DEFAULT_BENCHMARK = "digits_cnn"


def _load_user(spec: str) -> Benchmark:
    target, _, attr = spec.rpartition(":")
    try:
        if target.endswith(".py"):
            path = Path(target)
            if not path.is_file():
                raise ConfigError(f"benchmark file not found: {path}")
            mod_spec = importlib.util.spec_from_file_location(f"mlpace_user_bench_{path.stem}", path)
            module = importlib.util.module_from_spec(mod_spec)
            mod_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - report any import failure as a config error
        raise ConfigError(f"cannot load benchmark {spec!r}: {type(exc).__name__}: {exc}") from None
    obj = getattr(module, attr, None)
    if obj is None:
        raise ConfigError(f"benchmark {spec!r}: {target} has no attribute '{attr}'")
    bench = obj() if callable(obj) and not isinstance(obj, Benchmark) else obj
    if not isinstance(bench, Benchmark):
        raise ConfigError(f"benchmark {spec!r} is a {type(bench).__name__}, expected mlpace.training.Benchmark")
    return bench


def get_benchmark(spec: str) -> Benchmark:
    """A shipped benchmark by name, or a user benchmark given as ``module:attr`` / ``file.py:attr``."""
    if spec in BUILTIN:
        return BUILTIN[spec]()
    if ":" in spec:
        return _load_user(spec)
    raise ConfigError(f"unknown benchmark {spec!r}; choose one of: {', '.join(BUILTIN)} "
                      "(or give a user benchmark as module:attr or file.py:attr)")

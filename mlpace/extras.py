"""Optional dependencies: which pip extra provides which module, and one clear error when missing.

``pip install mlpace`` gives the LoadGen, ``mlpace.compat`` and ``mlpace report``; the rest
comes with extras (see ``pyproject.toml``). A feature that needs an extra imports its
modules lazily and calls ``require(extra, module)`` first, or lets the import fail: the
CLI turns a ``ModuleNotFoundError`` of a module named here into the same one-line
"this command needs mlpace[X]" message (``missing_extra``).
"""

from __future__ import annotations

import importlib.util

from mlpace.errors import MlpaceError

# top-level import name -> the extra that installs it
MODULE_EXTRAS = {
    "onnx": "workloads",
    "onnxruntime": "workloads",
    "sklearn": "workloads",
    "skimage": "workloads",
    "threadpoolctl": "workloads",
    "torch": "training",
    "mlperf_logging": "training",
    "yaml": "training",
    "serial": "tiny",
    "ray": "ray",
    "uvicorn": "serve",
    "starlette": "serve",
    "httpx": "serve",
    "aiohttp": "serve",
}


class MissingExtra(MlpaceError):
    """A feature needs an optional dependency that is not installed."""

    def __init__(self, extra: str, module: str):
        self.extra = extra
        self.module = module
        super().__init__(f"this command needs mlpace[{extra}] (module {module!r} is not installed): "
                         f"pip install 'mlpace[{extra}]'")


def require(extra: str, *modules: str) -> None:
    """Raise ``MissingExtra`` unless every module (import name) can be imported."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a parent package missing, or a half-imported module
            found = False
        if not found:
            raise MissingExtra(extra, module)


def missing_extra(exc: ModuleNotFoundError) -> MissingExtra | None:
    """The ``MissingExtra`` for an import that failed on an optional module; None for a real bug."""
    top = (exc.name or "").split(".")[0]
    extra = MODULE_EXTRAS.get(top)
    return MissingExtra(extra, top) if extra else None


__all__ = ["MODULE_EXTRAS", "MissingExtra", "missing_extra", "require"]

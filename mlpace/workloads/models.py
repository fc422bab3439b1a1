"""Model cache: train a workload's model once from its seed, keep the ONNX file on disk.

Files live in ``$MLPACE_CACHE_DIR/models/`` (default ``~/.cache/mlpace/models/``), named
``<workload>-<hash>.onnx`` where the hash covers workload name, model version and seed,
so changing either trains a fresh model. A cached file that does not load (corrupt,
truncated) is trained again and replaced. Writes are atomic (temp file + rename), so
concurrent first uses never see a half-written file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx


def cache_dir() -> Path:
    """Root of mlpace's cache (``MLPACE_CACHE_DIR`` or ``~/.cache/mlpace``)."""
    env = os.environ.get("MLPACE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mlpace"


def model_file(name: str, version: str, seed: int, suffix: str = ".onnx") -> Path:
    key = hashlib.sha256(f"{name}:{version}:{seed}".encode()).hexdigest()[:16]
    return cache_dir() / "models" / f"{name}-{key}{suffix}"


def ensure(name: str, version: str, seed: int, build: Callable[[], "onnx.ModelProto | bytes"],
           suffix: str = ".onnx") -> Path:
    """Return the cached model's path, training it with ``build()`` on first use.

    ``build`` returns an ONNX model, or the file's bytes for other formats (``suffix``)."""
    path = model_file(name, version, seed, suffix)
    if path.exists() and suffix != ".onnx":
        return path  # other formats are checked by their loader
    if path.exists():
        import onnx  # noqa: F811 - at run time only here: importing this module pulls no onnx

        try:
            onnx.checker.check_model(onnx.load(str(path)))
            return path
        except Exception:  # noqa: BLE001 - a corrupt cache file: train it again, replace it
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    model = build()
    fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(model if isinstance(model, bytes) else model.SerializeToString())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path

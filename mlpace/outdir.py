"""Output folders that never lose results: the folder policy of ``mlpace run``.

* A default folder (``mlpace_runs/<timestamp>``) is claimed with an atomic ``mkdir``; two
  runs started in the same second get ``<timestamp>``, ``<timestamp>-2``, ...
* An explicit folder that exists and is not empty is refused, unless ``force``.
* With ``force`` the new run writes into a staging folder next to it; only a run that
  finished (not interrupted, not crashed) replaces the old folder (:meth:`RunFolder.commit`).
  A run that did not finish is kept aside as ``<name>.failed-<timestamp>`` and the old
  results stay where they were (:meth:`RunFolder.abandon`).
* A path that is a file, or cannot be created, is a ``ConfigError`` naming it.
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from mlpace.errors import ConfigError

DEFAULT_ROOT = Path("mlpace_runs")


def _stamp() -> str:
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _mkdir(path: Path, *, exist_ok: bool) -> None:
    try:
        path.mkdir(parents=True, exist_ok=exist_ok)
    except FileExistsError:
        if path.is_dir():
            raise
        raise ConfigError(f"output folder {path}: a file is in the way (expected a folder)") from None
    except NotADirectoryError:
        raise ConfigError(f"output folder {path}: a parent of it is a file, not a folder") from None
    except OSError as exc:
        raise ConfigError(f"output folder {path}: cannot be created ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"output folder {path}: not writable")


@dataclass
class RunFolder:
    """Where a run writes (``path``) and where its results end up (``final``)."""

    final: Path
    path: Path
    replacing: bool = False
    created: bool = False  # this run made the folder (an empty one is removed if the run fails)

    @classmethod
    def claim(cls, out: str | Path | None, force: bool = False, root: Path = DEFAULT_ROOT) -> "RunFolder":
        """Claim ``out`` (or a fresh default folder under ``root``) for one run."""
        if out is None:
            root = Path(root)
            _mkdir(root, exist_ok=True)
            base = _stamp()
            for n in range(1, 10_000):
                candidate = root / (base if n == 1 else f"{base}-{n}")
                try:
                    candidate.mkdir()
                except FileExistsError:
                    continue
                return cls(candidate, candidate, created=True)
            raise ConfigError(f"output folder: no free name under {root} for {base}")
        final = Path(out)
        if final.exists() and not final.is_dir():
            raise ConfigError(f"output folder {final}: is a file, not a folder; choose another -o")
        if final.is_dir() and any(final.iterdir()):
            if not force:
                raise ConfigError(f"output folder {final} exists and is not empty: choose another -o, "
                                  "or pass --force to replace it (only if the new run finishes)")
            staging = final.parent / f".{final.name}.new-{_stamp()}-{os.getpid()}"
            _mkdir(staging, exist_ok=False)
            return cls(final, staging, replacing=True, created=True)
        created = not final.exists()
        _mkdir(final, exist_ok=True)
        return cls(final, final, created=created)

    def commit(self) -> Path:
        """The run finished: its folder becomes ``final`` (the old one, if any, is removed)."""
        if self.replacing:
            old = self.final.parent / f".{self.final.name}.old-{_stamp()}-{os.getpid()}"
            os.replace(self.final, old)
            os.replace(self.path, self.final)
            shutil.rmtree(old, ignore_errors=True)
            self.path = self.final
            self.replacing = False
        return self.final

    def abandon(self) -> Path:
        """The run did not finish: old results stay; returns where the new logs were kept."""
        if not self.replacing:
            if self.created and self.path.is_dir() and not any(self.path.iterdir()):
                self.path.rmdir()  # nothing was written: leave no empty folder behind
            return self.path
        if self.path.is_dir() and not any(self.path.iterdir()):
            self.path.rmdir()
            self.replacing = False
            return self.final
        kept = self.final.parent / f"{self.final.name}.failed-{_stamp()}"
        try:
            os.replace(self.path, kept)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            return self.path
        self.path = kept
        self.replacing = False
        return kept

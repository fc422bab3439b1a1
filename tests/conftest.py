"""Fixtures shared by every test folder: a session-wide model cache, kept small on purpose."""

import os
from pathlib import Path

import pytest

SLOW_FOLDERS = ("training", "audit")  # full training and audit runs: select with -m slow / "not slow"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(item.path).parent.name in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def mlpace_cache_dir(tmp_path_factory):
    """Point MLPACE_CACHE_DIR at one temp dir per session (models train once; subprocesses inherit it)."""
    path = tmp_path_factory.getbasetemp() / "mlpace-cache"
    path.mkdir(exist_ok=True)
    old = os.environ.get("MLPACE_CACHE_DIR")
    os.environ["MLPACE_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("MLPACE_CACHE_DIR", None)
    else:
        os.environ["MLPACE_CACHE_DIR"] = old

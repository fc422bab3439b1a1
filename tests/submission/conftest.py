"""Fixtures for workload tests: one model cache per test session (models train once)."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory):
    """Point MLPACE_CACHE_DIR at a session-wide temp dir shared by all mlpace test folders."""
    path = tmp_path_factory.getbasetemp() / "mlpace-cache"
    path.mkdir(exist_ok=True)
    old = os.environ.get("MLPACE_CACHE_DIR")
    os.environ["MLPACE_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("MLPACE_CACHE_DIR", None)
    else:
        os.environ["MLPACE_CACHE_DIR"] = old

"""Fixtures for the tiny runner tests: simulated boards on real pseudo-terminals."""

from __future__ import annotations

import numpy as np
import pytest

from mlpace.tiny.sim.board import SimulatedBoard
from mlpace.tiny.sim.cost import CostModel


def fixed_model(n_outputs: int):
    """A stand-in model for protocol tests: output depends on the payload's first byte."""

    def model(payload: bytes) -> list[float]:
        out = np.zeros(n_outputs)
        out[payload[0] % n_outputs] = 1.0
        return list(out)

    return model


@pytest.fixture
def board():
    """Factory: ``board("ic", mode=..., faults=...)`` started without pacing; stopped after the test."""
    started: list[SimulatedBoard] = []

    def make(benchmark: str = "ic", *, real_model: bool = False, **kwargs) -> SimulatedBoard:
        from mlpace.tiny import benchmarks

        bench = benchmarks.get(benchmark)
        kwargs.setdefault("pace", False)
        kwargs.setdefault("cost", CostModel(macs=bench.macs))
        if not real_model:
            kwargs.setdefault("model", fixed_model(bench.n_outputs))
        b = SimulatedBoard(benchmark, boot_delay_s=0.02, **kwargs).start()
        started.append(b)
        return b

    yield make
    for b in started:
        b.stop()


@pytest.fixture
def fast(tmp_path):
    """RunConfig keyword arguments that keep fault tests quick (short timeouts)."""
    return dict(results_dir=tmp_path / "results", command_timeout_s=0.4, first_infer_timeout_s=1.5, infer_timeout_s=1.0,
                retries=1, boot_wait_s=0.5)


@pytest.fixture
def session_of():
    """``session_of(root, bench, mode)``: the one session folder a run wrote under ``root``."""

    def find(root, bench: str, mode: str):
        found = [p for p in root.glob(f"*/{bench}/{mode}/*") if p.is_dir() and not p.is_symlink()]
        assert len(found) == 1, f"expected one session under {root}/*/{bench}/{mode}, found {found}"
        return found[0]

    return find

"""MLPerf Tiny host runner: serial protocol, DUT driver, performance / accuracy / energy
modes, results tree, and a simulated board (``mlpace.tiny.sim``) for testing without one.

Public entry points: ``RunConfig`` / ``run`` (runner), ``SimulatedBoard`` (simulator),
``BENCHMARKS`` (the four closed-division benchmarks).
"""

from mlpace.tiny.benchmarks import BENCHMARKS
from mlpace.tiny.runner import RunConfig, make_config, run

__all__ = ["BENCHMARKS", "RunConfig", "make_config", "run"]

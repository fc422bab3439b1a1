"""MLPerf Tiny host runner: serial protocol, DUT driver, performance / accuracy / energy
modes, results tree, and a simulated board (``mlpace.tiny.sim``) for testing without one.

Public entry points: ``RunConfig`` / ``run`` (runner), ``SimulatedBoard`` (simulator),
``BENCHMARKS`` (the four closed-division benchmarks).
"""

__all__ = ["BENCHMARKS", "RunConfig", "make_config", "run"]


def __getattr__(name: str):
    """Lazy re-exports: reading a results tree (``mlpace check``/``report``, core commands)
    imports ``mlpace.tiny.check`` without the runner's serial and model dependencies."""
    if name == "BENCHMARKS":
        from mlpace.tiny.benchmarks import BENCHMARKS

        return BENCHMARKS
    if name in ("RunConfig", "make_config", "run"):
        from mlpace.tiny import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'mlpace.tiny' has no attribute {name!r}")

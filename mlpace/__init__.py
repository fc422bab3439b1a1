"""mlpace: MLPerf's benchmark method from Python.

Inference (``mlpace.loadgen``, drop-in ``mlpace.compat``), training
(``mlpace.training``) and TinyML device runs (``mlpace.tiny``).
"""

__version__ = "0.1.0"

"""LoadGen: MLPerf inference load generation, verdicts and logs.

Native API: build ``TestSettings``, hand a SUT and a QSL to ``start_test``; the
SUT answers with ``complete(ids, data)`` from any thread. ``mlpace.compat``
offers the same engine under the official ``mlperf_loadgen`` names.
"""

from mlpace.loadgen.api import LogSettings, TestResult, complete, fail, first_token_complete, start_test
from mlpace.loadgen.settings import LoggingMode, TestMode, TestScenario, TestSettings
from mlpace.loadgen.sut import FunctionSUT, SimpleQSL

__all__ = [
    "FunctionSUT",
    "LogSettings",
    "LoggingMode",
    "SimpleQSL",
    "TestMode",
    "TestResult",
    "TestScenario",
    "TestSettings",
    "complete",
    "fail",
    "first_token_complete",
    "start_test",
]

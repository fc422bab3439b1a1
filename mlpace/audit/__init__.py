"""Audit (compliance) tests TEST01, TEST04 and TEST05, run the official way.

Each test writes its ``audit.config`` (the official keys and values), runs the LoadGen
with it, verifies the run against the reference accuracy and performance runs, and
writes the verdict files the official ``run_verification.py`` scripts write
(``verify_accuracy.txt``, ``verify_performance.txt``, each ending in ``TEST PASS`` or
``TEST FAIL...``). ``verify`` holds the file-only checks, ``runner`` the runs.
"""

from mlpace.audit.configs import TESTS
from mlpace.audit.runner import AuditOutcome, run_audits

__all__ = ["TESTS", "AuditOutcome", "run_audits"]

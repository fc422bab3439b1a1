"""Which phase takes completions now: one test runs at a time in a process.

``phase`` is the running ``issue.Phase`` (None between tests). The completion entry
points (``api.complete``, ``mlpace.compat.QuerySamplesComplete``) read it; the
orchestration (``orchestrate.TestRun``) sets it around each phase. The interface a
reader may use: ``complete_one(id)``, ``complete(ids, data, n_tokens)``,
``first_token(ids)``, ``fail(message)`` and ``wants_data``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlpace.errors import SUTError
from mlpace.loadgen.intake import is_stale_id, warn_late

if TYPE_CHECKING:
    from mlpace.loadgen.issue import Phase

phase: "Phase | None" = None


def late_completion(first_id: int) -> None:
    """A completion arrived while no test runs: ignore it with a warning if its id belongs
    to a test that has ended, else it is a SUT error (no test was ever given that id)."""
    if is_stale_id(first_id):
        warn_late(first_id)
        return
    raise SUTError(f"completion for response id {first_id} while no test is running")

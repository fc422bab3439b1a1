"""Old import path of the log readers, kept for code written against it this session.

The readers live in ``mlpace.loadgen.logs.read``; import them from there.
"""

from mlpace.loadgen.logs.read import ACCURACY, DETAIL, SUMMARY, Summary, read_detail, read_summary

__all__ = ["ACCURACY", "DETAIL", "SUMMARY", "Summary", "read_detail", "read_summary"]

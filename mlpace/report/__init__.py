"""Human-readable reports of finished runs: plots and a Markdown page per run folder."""

from mlpace.report.from_logs import report_from_folder
from mlpace.report.run_report import metric_text, write_run_report, write_session_report

__all__ = ["metric_text", "report_from_folder", "write_run_report", "write_session_report"]

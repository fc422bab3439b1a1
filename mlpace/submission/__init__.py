"""Submission results trees: layout writer, system description, and the ``mlpace check`` rules.

Layout (as MLPerf inference submissions, v4.1+ with audits beside the runs)::

    <division>/<org>/systems/<system>.json
    <division>/<org>/measurements/<system>/<workload>/<scenario>/user.conf
    <division>/<org>/results/<system>/<workload>/<scenario>/performance/run_1/
    <division>/<org>/results/<system>/<workload>/<scenario>/accuracy/
    <division>/<org>/results/<system>/<workload>/<scenario>/TEST01/ ...
"""

from mlpace.submission.layout import scenario_dir, write_audits, write_run

__all__ = ["scenario_dir", "write_audits", "write_run"]

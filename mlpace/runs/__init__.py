"""Workload runs as a library: settings precedence, validation and calibration (``settings``)."""

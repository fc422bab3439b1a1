"""Simulated MLPerf Tiny hardware: a DUT firmware state machine, an IO manager, an energy
monitor and a pseudo-terminal server that exposes them like real boards on serial ports.

Timing is virtual: inference time comes from a cost model (MACs / MAC rate, plus seeded
jitter) and advances a microsecond clock instead of sleeping, so a 10 s window takes
milliseconds of wall time.
"""

"""Drivers of real energy monitors behind ``mlpace.tiny.energy.EnergyMonitor``: the STM32
LPM01A power shield (serial, UM2269) and the Joulescope JS110/JS220 (``joulescope`` package)."""

"""Typed errors shared by every mlpace package.

The library raises these; only the CLI turns them into one clear line and an
exit code. Nothing in the library calls ``sys.exit``.
"""


class MlpaceError(Exception):
    """Base class of every error mlpace reports to a user."""

    exit_code = 2


class ConfigError(MlpaceError):
    """A setting, conf file or benchmark config is malformed or out of range."""


class SUTError(MlpaceError):
    """The system under test misbehaved (raised, bad id, never answered)."""

    exit_code = 3


class DeviceError(MlpaceError):
    """A serial device or link misbehaved (tiny runner)."""

    exit_code = 4


class DataError(MlpaceError):
    """An input file (log, results tree, data set) is missing or corrupt."""


class Interrupted(MlpaceError):
    """The user pressed Ctrl-C; whatever was written so far is kept."""

    exit_code = 130

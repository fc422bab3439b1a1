"""Test settings: the requested values a user sets, with the official names and defaults.

``TestSettings`` mirrors the fields of the official LoadGen ``mlperf::TestSettings``
(same attribute names, same defaults, same units: ``*_ns`` in nanoseconds,
``*_ms`` in milliseconds, percentiles as fractions). Assignments are validated,
so a wrong type or an out-of-range value fails at once with the field's name.
Conf-file parsing lives in ``config.py`` (which imports nothing from here); the
derived, effective values used by a run live in ``effective.py``.
"""

from __future__ import annotations

from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from mlpace.errors import ConfigError
from mlpace.loadgen.config import from_config


class TestScenario(IntEnum):
    """Official scenario enum (same integer values as ``mlperf_loadgen``)."""

    SingleStream = 0
    MultiStream = 1
    Server = 2
    Offline = 3


class TestMode(IntEnum):
    """Official mode enum; conf-file ``mode`` takes these integers."""

    SubmissionRun = 0
    AccuracyOnly = 1
    PerformanceOnly = 2
    FindPeakPerformance = 3


class LoggingMode(IntEnum):
    AsyncPoll = 0
    EndOfTestOnly = 1
    Synchronous = 2


def _enum_from(enum_cls, value):
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        for member in enum_cls:
            if member.name.lower() == value.lower():
                return member
    else:
        try:
            return enum_cls(int(getattr(value, "value", value)))
        except (ValueError, TypeError):
            pass
    allowed = ", ".join(f"{m.name} ({m.value})" for m in enum_cls)
    raise ValueError(f"{value!r} is not one of: {allowed}")


class TestSettings(BaseModel):
    """Requested test settings (official field names, defaults and units)."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid", use_enum_values=False)

    scenario: TestScenario = TestScenario.SingleStream
    mode: TestMode = TestMode.PerformanceOnly

    # SingleStream
    single_stream_expected_latency_ns: float = Field(1_000_000, gt=0)
    single_stream_target_latency_percentile: float = Field(0.90, gt=0, lt=1)
    # MultiStream
    multi_stream_expected_latency_ns: float = Field(8_000_000, gt=0)
    multi_stream_target_latency_percentile: float = Field(0.99, gt=0, lt=1)
    multi_stream_samples_per_query: int = Field(8, ge=1)
    # Server
    server_target_qps: float = Field(1.0, gt=0)
    # 0 is legal: mlperf.conf sets it for LLMs, whose bounds are ttft/tpot instead.
    server_target_latency_ns: int = Field(100_000_000, ge=0)
    server_target_latency_percentile: float = Field(0.99, gt=0, lt=1)
    server_coalesce_queries: bool = False
    server_find_peak_qps_decimals_of_precision: int = Field(1, ge=0)
    server_find_peak_qps_boundary_step_size: float = Field(1.0, gt=0)
    server_max_async_queries: int = Field(0, ge=0)
    server_num_issue_query_threads: int = Field(0, ge=0)
    # Offline
    offline_expected_qps: float = Field(1.0, gt=0)
    sample_concatenate_permutation: bool = False
    # Test length
    min_duration_ms: int = Field(10_000, ge=0)
    max_duration_ms: int = Field(0, ge=0)
    min_query_count: int = Field(100, ge=0)
    max_query_count: int = Field(0, ge=0)
    # Seeds (mlperf.conf supplies the official values)
    qsl_rng_seed: int = Field(0, ge=0)
    sample_index_rng_seed: int = Field(0, ge=0)
    schedule_rng_seed: int = Field(0, ge=0)
    accuracy_log_rng_seed: int = Field(0, ge=0)
    accuracy_log_probability: float = Field(0.0, ge=0, le=1)
    accuracy_log_sampling_target: int = Field(0, ge=0)
    # Audit knobs
    test05: bool = False
    test05_qsl_rng_seed: int = Field(0, ge=0)
    test05_sample_index_rng_seed: int = Field(0, ge=0)
    test05_schedule_rng_seed: int = Field(0, ge=0)
    print_timestamps: bool = False
    performance_issue_unique: bool = False
    performance_issue_same: bool = False
    performance_issue_same_index: int = Field(0, ge=0)
    performance_sample_count_override: int = Field(0, ge=0)
    accuracy_sample_count_override: int = Field(0, ge=0)
    # Token latencies (LLM)
    use_token_latencies: bool = False
    ttft_latency: int = Field(100_000_000, ge=0)
    tpot_latency: int = Field(100_000_000, ge=0)
    infer_token_latencies: bool = False
    token_latency_scaling_factor: int = Field(0, ge=0)

    # mlpace additions (not in the official struct)
    sut_timeout_ms: int = Field(
        0, ge=0, description="End the run INVALID when a query stays unanswered this long (0 = never)."
    )

    # Conf-file bookkeeping (see config.py): user.conf files loaded so far, and the
    # warnings they produced, for the detail log.
    _user_conf_loads: int = PrivateAttr(0)
    _conf_warnings: list = PrivateAttr(default_factory=list)

    @field_validator("scenario", mode="before")
    @classmethod
    def _scenario(cls, v):
        return _enum_from(TestScenario, v)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v):
        return _enum_from(TestMode, v)

    @classmethod
    def field_names(cls) -> list[str]:
        return list(cls.model_fields)

    def __setattr__(self, name, value):
        if name not in type(self).model_fields and not name.startswith("_"):
            raise ConfigError(
                f"unknown test setting {name!r}; allowed: {', '.join(type(self).model_fields)}"
            )
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None

    def FromConfig(self, path, model: str, scenario, conf_type: int = 1) -> int:  # noqa: N802
        """Apply a conf file like the official ``TestSettings.FromConfig``; 0 on success.

        ``conf_type`` 1 = user.conf (the first one also loads the bundled mlperf.conf),
        0 = the bundled mlperf.conf only (``path`` ignored, as officially), 2 = audit.config
        rules. Errors raise ``ConfigError``; warnings are kept in ``conf_warnings``.
        """
        from_config(self, path, model, scenario, conf_type)
        return 0

    @property
    def conf_warnings(self) -> list[str]:
        """Warnings from every conf file applied so far (for the detail log)."""
        return list(self._conf_warnings)

    @classmethod
    def make(cls, **values) -> "TestSettings":
        """Build settings, turning pydantic's errors into one ``ConfigError``."""
        unknown = [k for k in values if k not in cls.model_fields]
        if unknown:
            raise ConfigError(
                f"unknown test setting {unknown[0]!r}; allowed: {', '.join(cls.model_fields)}"
            )
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"setting {loc!r}: {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)

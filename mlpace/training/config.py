"""Benchmark configuration: the validated declaration of one time-to-train benchmark.

A benchmark declares its data, model, optimizer, hyperparameters, quality metric and
target, evaluation cadence, epoch limit and the number of runs a result set needs.
Everything is checked here, at the edge: a bad value fails at once with an error that
names the key and the allowed values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mlpace.errors import ConfigError

BENCHMARK_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
HyperValue = int | float | str | bool


class QualityTarget(BaseModel):
    """The quality metric, its direction and the target that ends a run."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(min_length=1, description="name shown to users, e.g. 'accuracy' or 'mse'")
    goal: Literal["max", "min"] = Field(description="'max': higher is better; 'min': lower is better")
    target: float

    def reached(self, value: float) -> bool:
        """True when ``value`` meets the target (``>=`` for max, ``<=`` for min)."""
        if value != value:  # NaN never meets a target
            return False
        return value >= self.target if self.goal == "max" else value <= self.target

    def rule_expression(self) -> str:
        """The compliance-rule expression over ``v['value']`` that checks this target."""
        op = ">=" if self.goal == "max" else "<="
        return f"v['value'] {op} {self.target!r}"


class BenchmarkConfig(BaseModel):
    """Everything a run needs to know about a benchmark, validated.

    ``data`` and ``model`` hold benchmark-specific settings (sizes, widths); the
    training loop reads them. ``hyperparameters`` are extra values logged as mllog
    events (their names become required keys in the benchmark's closed rules).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=BENCHMARK_NAME_PATTERN)
    description: str = ""
    quality: QualityTarget
    global_batch_size: int = Field(gt=0)
    optimizer: Literal["adam", "adamw", "sgd"]
    opt_base_learning_rate: float = Field(gt=0)
    gradient_accumulation_steps: int = Field(default=1, gt=0)
    hyperparameters: dict[str, HyperValue] = Field(default_factory=dict)
    eval_every_epochs: int = Field(default=1, gt=0)
    max_epochs: int = Field(gt=0)
    required_runs: int = Field(ge=3, description="runs in one result set (olympic scoring drops 2)")
    data: dict[str, Any] = Field(default_factory=dict)
    model: dict[str, Any] = Field(default_factory=dict)

    @field_validator("hyperparameters")
    @classmethod
    def _hyperparameter_names(cls, value: dict[str, HyperValue]) -> dict[str, HyperValue]:
        reserved = {"global_batch_size", "opt_base_learning_rate", "gradient_accumulation_steps",
                    "opt_name", "seed"}
        for key in value:
            if key in reserved:
                raise ValueError(f"'{key}' is a top-level field, not a hyperparameter")
            if not key.replace("_", "").isalnum() or not key[0].isalpha():
                raise ValueError(f"hyperparameter name {key!r} must be letters, digits and '_'")
        return value

    @model_validator(mode="after")
    def _cadence_fits(self) -> "BenchmarkConfig":
        if self.eval_every_epochs > self.max_epochs:
            raise ValueError(
                f"eval_every_epochs ({self.eval_every_epochs}) exceeds max_epochs ({self.max_epochs}): "
                "a run would never evaluate"
            )
        return self

    def logged_hyperparameters(self) -> dict[str, HyperValue]:
        """The hyperparameter events of a run's log, in a fixed order."""
        values: dict[str, HyperValue] = {
            "global_batch_size": self.global_batch_size,
            "opt_name": self.optimizer,
            "opt_base_learning_rate": self.opt_base_learning_rate,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        values.update(self.hyperparameters)
        return values

    def with_overrides(self, overrides: dict[str, Any]) -> "BenchmarkConfig":
        """A new config with dotted-key overrides applied (``data.train_size=100``)."""
        raw = self.model_dump()
        for dotted, value in overrides.items():
            node = raw
            parts = dotted.split(".")
            for part in parts[:-1]:
                if not isinstance(node.get(part), dict):
                    raise ConfigError(f"benchmark config key '{dotted}': '{part}' is not a section")
                node = node[part]
            node[parts[-1]] = value
        return validate_config(raw, source=f"overrides for {self.name}")


def _format_validation_error(exc: ValidationError, source: str) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        got = err.get("input")
        got_text = "" if err["type"] == "missing" else f" (got {got!r})"
        problems.append(f"key '{key}': {err['msg']}{got_text}")
    return f"bad benchmark config in {source}: " + "; ".join(problems)


def validate_config(raw: dict[str, Any], source: str = "config") -> BenchmarkConfig:
    """Validate a raw mapping; raise ``ConfigError`` naming each bad key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"bad benchmark config in {source}: expected a mapping, got {type(raw).__name__}")
    try:
        return BenchmarkConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, source)) from None


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON mapping from ``path`` (not yet validated)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"benchmark config file not found: {path}")
    text = path.read_text()
    try:
        if path.suffix == ".json":
            raw = json.loads(text)
        else:
            import yaml

            raw = yaml.safe_load(text)
    except Exception as exc:  # noqa: BLE001 - any parse error is the user's file
        raise ConfigError(f"cannot parse benchmark config {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"benchmark config {path} must hold a mapping of keys to values")
    return raw


def parse_override(text: str) -> tuple[str, Any]:
    """Parse a ``key=value`` override; the value is read as JSON when it parses, else a string."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} must look like key=value, e.g. max_epochs=20")
    key, value = text.split("=", 1)
    key = key.strip()
    try:
        parsed: Any = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key, parsed

"""Conf files: parse mlperf.conf / user.conf / audit.config and apply them to TestSettings.

Format (the official one): one ``model.scenario.key = value`` per line, ``#`` starts
a comment line, ``*`` is a wildcard for the model or the scenario, values are
integers or decimals. The most specific entry wins: ``model.scenario.key`` over
``*.scenario.key`` over ``model.*.key`` over ``*.*.key``; within a file a later
line replaces an earlier one with the same full key.

What each key sets, in which unit, and from which file it is honoured follows the
official LoadGen 6.0.17 (checked attribute by attribute against ``mlperf_loadgen``
in the tests):

* ``target_latency`` is milliseconds and sets the SingleStream / MultiStream expected
  latency or the Server bound, each read from its own scenario's entries whatever
  scenario is being configured; likewise ``target_qps`` (Server / Offline),
  ``samples_per_query`` (MultiStream), ``coalesce_queries``, ``max_async_queries``,
  ``ttft_latency`` and ``tpot_latency`` (Server). ``*_percentile`` is in percent.
* seeds, ``test05*`` and ``accuracy_log_probability`` come from mlperf.conf only;
  a user.conf or audit.config line for them is ignored (with a warning here).
* ``ttft_latency`` / ``tpot_latency`` are read only when ``use_token_latencies`` is on,
  ``token_latency_scaling_factor`` only when ``infer_token_latencies`` is on.

Lines and words are cut as the official parser cuts them, on the file's bytes: lines
end at a line feed only; words end at the C locale's spaces (space, tab, CR, VT, FF). Where the
official parser silently drops or mangles input (``key=value`` without spaces, an
unknown key or scenario, ``0.5`` given to a whole-number key, ``010`` read as octal,
``1e30`` read as 1, a number past 64 bits wrapped, a trailing comment, CR or
U+2028 used as a line end, a non-ASCII space), mlpace raises ``ConfigError`` naming
the file, line, key and what is allowed, so a conf file never means something else
here than it does officially. The keys of the official TEST07/TEST09 audit.config
files that LoadGen stores but never reads are accepted and returned by ``audit_values``.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from mlpace.errors import ConfigError

if TYPE_CHECKING:  # settings.py imports this module (TestSettings.FromConfig): no runtime import back
    from mlpace.loadgen.settings import TestSettings

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")
MODES = ("SubmissionRun", "AccuracyOnly", "PerformanceOnly", "FindPeakPerformance")  # conf values 0..3

MULTIPLE_CONF_WARNING = "Multiple conf files are used. This is not valid for official submission."
AUDIT_CONFIG_WARNING = (
    "Found Audit Config file (audit.config). Overriding TestSettings from audit.config file."
)

MLPERF_CONF, USER_CONF, AUDIT_CONF = 0, 1, 2
_CONF_TYPE_NAMES = {MLPERF_CONF: "mlperf.conf", USER_CONF: "user.conf", AUDIT_CONF: "audit.config"}


# --------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class _Rule:
    key: str                      # conf key (last part of model.scenario.key)
    field: str                    # TestSettings field it sets
    kind: str                     # "uint", "float", "flag" (!= 0), "flag1" (== 1), "mode"
    scale: float = 1              # multiplier applied to the conf value
    scenario: str | None = None   # fixed scenario of the lookup; None = the one configured
    mlperf_conf_only: bool = False
    requires: str | None = None   # boolean field that must be on for the key to be read


_MS = 1_000_000  # ms -> ns

# Official lookup order (it matters only for ``requires``).
_RULES: tuple[_Rule, ...] = (
    _Rule("mode", "mode", "mode"),
    _Rule("qsl_rng_seed", "qsl_rng_seed", "uint", mlperf_conf_only=True),
    _Rule("sample_index_rng_seed", "sample_index_rng_seed", "uint", mlperf_conf_only=True),
    _Rule("schedule_rng_seed", "schedule_rng_seed", "uint", mlperf_conf_only=True),
    _Rule("accuracy_log_probability", "accuracy_log_probability", "float", 0.01,
          mlperf_conf_only=True),
    _Rule("test05", "test05", "flag1", mlperf_conf_only=True),
    _Rule("test05_qsl_rng_seed", "test05_qsl_rng_seed", "uint", mlperf_conf_only=True),
    _Rule("test05_sample_index_rng_seed", "test05_sample_index_rng_seed", "uint",
          mlperf_conf_only=True),
    _Rule("test05_schedule_rng_seed", "test05_schedule_rng_seed", "uint", mlperf_conf_only=True),
    _Rule("use_token_latencies", "use_token_latencies", "flag1"),
    _Rule("ttft_latency", "ttft_latency", "uint", _MS, "Server", requires="use_token_latencies"),
    _Rule("tpot_latency", "tpot_latency", "uint", _MS, "Server", requires="use_token_latencies"),
    _Rule("infer_token_latencies", "infer_token_latencies", "flag1"),
    _Rule("token_latency_scaling_factor", "token_latency_scaling_factor", "uint",
          requires="infer_token_latencies"),
    _Rule("min_duration", "min_duration_ms", "uint"),
    _Rule("max_duration", "max_duration_ms", "uint"),
    _Rule("min_query_count", "min_query_count", "uint"),
    _Rule("max_query_count", "max_query_count", "uint"),
    _Rule("accuracy_log_rng_seed", "accuracy_log_rng_seed", "uint"),
    _Rule("accuracy_log_sampling_target", "accuracy_log_sampling_target", "uint"),
    _Rule("print_timestamps", "print_timestamps", "flag"),
    _Rule("performance_issue_unique", "performance_issue_unique", "flag"),
    _Rule("performance_issue_same", "performance_issue_same", "flag"),
    _Rule("performance_issue_same_index", "performance_issue_same_index", "uint"),
    _Rule("performance_sample_count_override", "performance_sample_count_override", "uint"),
    _Rule("accuracy_sample_count_override", "accuracy_sample_count_override", "uint"),
    _Rule("sample_concatenate_permutation", "sample_concatenate_permutation", "flag1"),
    _Rule("target_latency_percentile", "single_stream_target_latency_percentile", "float", 0.01,
          "SingleStream"),
    _Rule("target_latency", "single_stream_expected_latency_ns", "float", _MS, "SingleStream"),
    _Rule("target_latency_percentile", "multi_stream_target_latency_percentile", "float", 0.01,
          "MultiStream"),
    _Rule("target_latency", "multi_stream_expected_latency_ns", "float", _MS, "MultiStream"),
    _Rule("samples_per_query", "multi_stream_samples_per_query", "uint", 1, "MultiStream"),
    _Rule("target_latency_percentile", "server_target_latency_percentile", "float", 0.01,
          "Server"),
    _Rule("target_latency", "server_target_latency_ns", "uint", _MS, "Server"),
    _Rule("target_qps", "server_target_qps", "float", 1, "Server"),
    _Rule("coalesce_queries", "server_coalesce_queries", "flag", 1, "Server"),
    _Rule("max_async_queries", "server_max_async_queries", "uint", 1, "Server"),
    _Rule("target_qps", "offline_expected_qps", "float", 1, "Offline"),
)

# Keys the official files carry that no lookup reads (e.g. ``*.Server.target_duration``).
_INERT_KEYS = {"target_duration": "uint"}

# Keys of the official compliance audit.config files that LoadGen stores and never reads:
# their verification scripts do (TEST07 accuracy threshold, TEST09 output-token bounds).
# mlpace accepts them and hands them to the audit code (``audit_values``).
AUDIT_ONLY_KEYS = ("test07_accuracy_threshold", "test09_min_output_tokens", "test09_max_output_tokens")

_KIND_OF_KEY: dict[str, str] = {**_INERT_KEYS, **{k: "float" for k in AUDIT_ONLY_KEYS}}
for _r in _RULES:
    _KIND_OF_KEY.setdefault(_r.key, _r.kind)
KNOWN_KEYS = tuple(sorted(_KIND_OF_KEY))

_WHOLE_MS_KEYS = {"target_latency", "ttft_latency", "tpot_latency"}


# --------------------------------------------------------------------------- numbers
# Same acceptance as the official parser: the whole token must read as a C
# ``strtoul`` (base 0) or ``strtod`` number.
_C_UINT = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z")
# (possessive quantifiers: a long token that fails to match fails in linear time)
_C_DEC = re.compile(r"[+-]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][+-]?+[0-9]++)?+\Z")
_C_HEX = re.compile(r"[+-]?+0[xX](?:[0-9a-fA-F]++(?:\.[0-9a-fA-F]*+)?+|\.[0-9a-fA-F]++)"
                    r"(?:[pP][+-]?+[0-9]++)?+\Z")
_C_SPECIAL = re.compile(r"[+-]?(inf|infinity|nan(\([0-9A-Za-z_]*\))?)\Z", re.IGNORECASE)
_C_UINT_PREFIX = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def _c_strtod(token: str) -> float | None:
    """Value of ``token`` as C ``strtod`` reads a whole token, None if it does not."""
    if _C_DEC.match(token):
        return float(token)
    if _C_HEX.match(token):
        sign = -1.0 if token.startswith("-") else 1.0
        return sign * float.fromhex(token.lstrip("+-"))
    if _C_SPECIAL.match(token):
        return float(token.split("(")[0])
    return None


_U64_MAX = (1 << 64) - 1
# Larger decimals than any LoadGen setting can use (QPS, latencies, percentages): a
# clean error instead of plans with more samples than memory holds.
_MAX_REAL = 1e15


def _c_strtoull(token: str) -> int:
    """What C ``strtoull(token, 0)`` returns (prefix parse, octal for a leading 0,
    ``ULLONG_MAX`` on overflow, a leading ``-`` negating modulo 2**64)."""
    m = _C_UINT_PREFIX.match(token)
    if not m:
        return 0
    digits = m.group(1)
    if digits[:2] in ("0x", "0X"):
        body, base, width = digits[2:].lstrip("0"), 16, 16
    elif digits.startswith("0"):
        body, base, width = digits.lstrip("0"), 8, 22
    else:
        body, base, width = digits, 10, 20
    # more digits than any uint64 has: overflow, without converting a huge string
    value = _U64_MAX if len(body) > width else min(int(body or "0", base), _U64_MAX)
    if token.startswith("-") and value != _U64_MAX:
        value = (-value) % (1 << 64)
    return value


def _is_number(token: str) -> bool:
    return bool(_C_UINT.match(token)) or _c_strtod(token) is not None


# --------------------------------------------------------------------------- parsing
@dataclass(frozen=True)
class ConfEntry:
    """One ``model.scenario.key = value`` line."""

    model: str
    scenario: str
    key: str
    value: str
    line: int


@dataclass(frozen=True)
class ConfFile:
    """A parsed conf file: entries by full key (later lines replace earlier ones)."""

    source: str
    entries: dict[str, ConfEntry]
    warnings: tuple[str, ...] = ()

    def lookup(self, model: str, scenario: str, key: str) -> ConfEntry | None:
        """The entry the official precedence picks for ``model``/``scenario``, if any."""
        for full in (f"{model}.{scenario}.{key}", f"*.{scenario}.{key}",
                     f"{model}.*.{key}", f"*.*.{key}"):
            entry = self.entries.get(full)
            if entry is not None:
                return entry
        return None


def _fail(source: str, line: int, key: str | None, message: str) -> ConfigError:
    where = f"{source}:{line}"
    return ConfigError(f"{where}: {message}" if key is None else f"{where}: key {key!r}: {message}")


# The official reader: ``std::getline`` (lines end at "\n" only) and ``>>`` (tokens end
# at the C locale's spaces: space, \t, \n, \v, \f, \r). Bytes, not text: U+00A0, U+0085
# or U+2028 are neither line ends nor spaces there.
_C_SPACES = rb" \t\n\v\f\r"
_C_SPLIT = re.compile(rb"[ \t\n\v\f\r]+")
_PLAIN = re.compile(rb"[\x21-\x7e]*\Z")


def _official_line_ok(tokens: list[bytes]) -> bool:
    """Whether the official parser accepts a line (it may still ignore it)."""
    looking_for = 0  # 0 = key, 1 = '=', 2 = value(s)
    for tok in tokens:
        if tok == b"#" and looking_for != 2:
            return True
        if looking_for == 2:
            if not _is_number(tok.decode("latin-1")):
                return False
            continue
        if looking_for == 1 and tok != b"=":
            return False
        looking_for += 1
    return True


def parse_conf(text: str | bytes, source: str = "<conf>") -> ConfFile:
    """Parse conf-file text; ``ConfigError`` (file, line, key, allowed values) on any fault.

    Lines and tokens are cut exactly as the official parser cuts them. A line is
    a comment when its first token is ``#`` or starts with ``#`` (the official
    stores ``#word ...`` under a key no lookup matches, or rejects it: mlpace then
    rejects it too). Everything else must be one ``model.scenario.key = value`` in
    printable ASCII.
    """
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    entries: dict[str, ConfEntry] = {}
    warnings: list[str] = []
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        btokens = [t for t in _C_SPLIT.split(raw_line) if t]
        if not btokens or btokens[0] == b"#":
            continue
        if btokens[0].startswith(b"#"):
            if _official_line_ok(btokens):
                continue
            raise _fail(source, number, None,
                        "a comment needs a space after '#' (the official LoadGen reads"
                        f" {btokens[0].decode('latin-1')!r} as a key and rejects the line)")
        bad = next((t for t in btokens if not _PLAIN.match(t)), None)
        if bad is not None:
            raise _fail(source, number, None,
                        f"only printable ASCII is allowed outside comments (got {bad!r}; the"
                        " official LoadGen splits words at ASCII spaces only)")
        tokens = [t.decode("ascii") for t in btokens]
        raw = " ".join(tokens)
        if len(tokens) < 3 or tokens[1] != "=":
            raise _fail(source, number, None,
                        f"expected 'model.scenario.key = value' with spaces around '='"
                        f" (the official LoadGen ignores or rejects {raw!r})")
        full, value = tokens[0], tokens[2]
        if len(tokens) > 3:
            extra = " ".join(tokens[3:])
            why = ("a comment must be on its own line (the official LoadGen rejects a trailing"
                   " comment)" if tokens[3].startswith("#") else "one value expected")
            raise _fail(source, number, full, f"unexpected {extra!r} after the value: {why}")
        parts = full.rsplit(".", 2)
        if len(parts) != 3 or not all(parts):
            raise _fail(source, number, full,
                        "keys have the form model.scenario.key ('*' as wildcard)")
        model, scenario, key = parts
        if scenario != "*" and scenario not in SCENARIOS:
            raise _fail(source, number, full,
                        f"unknown scenario {scenario!r}; allowed: *, {', '.join(SCENARIOS)}")
        if key not in _KIND_OF_KEY:
            raise _fail(source, number, full,
                        f"unknown key {key!r}; allowed: {', '.join(KNOWN_KEYS)}")
        if not _is_number(value):
            raise _fail(source, number, full,
                        f"value {value!r} is not a number (an integer or a decimal is needed)")
        _convert(key, _KIND_OF_KEY[key], value, 1, source, number, full)
        if full in entries:
            warnings.append(f"{source}:{number}: {full} replaces the value from line "
                            f"{entries[full].line}")
        entries[full] = ConfEntry(model, scenario, key, value, number)
    return ConfFile(source, entries, tuple(warnings))


def _convert(key: str, kind: str, value: str, scale: float, source: str, line: int,
             full: str):
    """Conf text -> field value, as the official parser reads it, refusing lossy reads."""
    real = _c_strtod(value)
    if real is None:  # an integer-only spelling such as 0x1F reads the same both ways
        real = float(_c_strtoull(value))
    if kind == "float":
        if not math.isfinite(real) or abs(real) > _MAX_REAL:
            raise _fail(source, line, full, f"value {value!r} must be a finite number of at"
                        f" most {_MAX_REAL:g} in magnitude")
        return real * scale
    whole = _c_strtoull(value)
    if float(whole) != real or real < 0 or whole == _U64_MAX:
        unit = " (whole milliseconds)" if key in _WHOLE_MS_KEYS else ""
        read = "the largest 64-bit number" if whole == _U64_MAX else str(whole)
        raise _fail(source, line, full,
                    f"value {value!r} must be a whole number >= 0{unit}; the official"
                    f" LoadGen would read it as {read}")
    if whole * int(scale) > _U64_MAX:
        raise _fail(source, line, full,
                    f"value {value!r} overflows 64 bits once scaled to {scale:g}x (the official"
                    " LoadGen would wrap it around)")
    if kind == "mode":
        if whole >= len(MODES):
            allowed = ", ".join(f"{i} ({name})" for i, name in enumerate(MODES))
            raise _fail(source, line, full, f"value {value!r} is not a mode; allowed: {allowed}")
        return whole  # TestSettings turns it into its TestMode
    if kind in ("flag", "flag1"):
        if whole not in (0, 1):
            raise _fail(source, line, full, f"value {value!r} must be 0 or 1")
        return bool(whole)
    return whole * int(scale)


# --------------------------------------------------------------------------- applying
def _scenario_name(scenario) -> str:
    name = getattr(scenario, "name", scenario)  # TestScenario (ours or the official) or a name
    if isinstance(name, str) and name in SCENARIOS:
        return name
    raise ConfigError(f"unknown scenario {scenario!r}; allowed: {', '.join(SCENARIOS)}")


def _apply(settings: "TestSettings", conf: ConfFile, model: str, scenario: str,
           conf_type: int) -> list[str]:
    """Apply ``conf`` to ``settings`` all at once (nothing changes if a value is refused)."""
    warnings = list(conf.warnings) if conf_type != MLPERF_CONF else []
    pending: dict[str, tuple[object, ConfEntry]] = {}
    for rule in _RULES:
        entry = conf.lookup(model, rule.scenario or scenario, rule.key)
        if entry is None:
            continue
        if rule.mlperf_conf_only and conf_type != MLPERF_CONF:
            warnings.append(f"{conf.source}:{entry.line}: {rule.key} ignored: only mlperf.conf"
                            f" may set it (official rule)")
            continue
        if rule.requires is not None:
            on = pending[rule.requires][0] if rule.requires in pending else getattr(
                settings, rule.requires)
            if not on:
                if conf_type != MLPERF_CONF:
                    warnings.append(f"{conf.source}:{entry.line}: {rule.key} ignored because"
                                    f" {rule.requires} is 0 for {model}")
                continue
        full = f"{entry.model}.{entry.scenario}.{entry.key}"
        value = _convert(rule.key, rule.kind, entry.value, rule.scale, conf.source, entry.line,
                         full)
        pending[rule.field] = (value, entry)
    if conf_type != MLPERF_CONF:
        warnings.extend(_unused_scenario_keys(conf))
    trial = settings.model_copy()
    for field, (value, entry) in pending.items():
        try:
            setattr(trial, field, value)
        except ConfigError as exc:
            raise _fail(conf.source, entry.line, f"{entry.model}.{entry.scenario}.{entry.key}",
                        f"{exc} (sets {field})") from None
    for field, (value, _entry) in pending.items():
        setattr(settings, field, value)
    return warnings


def _unused_scenario_keys(conf: ConfFile) -> list[str]:
    """Warn about keys no scenario reads in the scenario they were written for."""
    fixed: dict[str, set[str]] = {}
    for rule in _RULES:
        if rule.scenario is not None:
            fixed.setdefault(rule.key, set()).add(rule.scenario)
    out = []
    for entry in conf.entries.values():
        scen_set = fixed.get(entry.key)
        if entry.key in _INERT_KEYS:
            out.append(f"{conf.source}:{entry.line}: {entry.key} has no effect (the official"
                       f" LoadGen does not read it)")
        elif scen_set and entry.scenario != "*" and entry.scenario not in scen_set:
            out.append(f"{conf.source}:{entry.line}: {entry.key} has no effect in"
                       f" {entry.scenario}; it applies to {', '.join(sorted(scen_set))}")
    return out


def _read(path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise ConfigError(f"conf file not found: {os.fspath(path)}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read conf file {os.fspath(path)}: {exc}") from None


@lru_cache(maxsize=1)
def builtin_mlperf_conf() -> str:
    """Text of the bundled mlperf.conf (official 6.0.17 values)."""
    return resources.files("mlpace.loadgen").joinpath("mlperf.conf").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _builtin_parsed() -> ConfFile:
    return parse_conf(builtin_mlperf_conf(), "mlperf.conf (bundled)")


def from_config(settings: "TestSettings", path: str | os.PathLike, model: str, scenario,
                conf_type: int = USER_CONF) -> list[str]:
    """Apply a conf file to ``settings`` as the official ``FromConfig`` does; return warnings.

    ``conf_type`` 1 (user.conf): the first user.conf applied to these settings is
    preceded by the bundled mlperf.conf; a second one logs the official
    "Multiple conf files" warning. 0: the bundled mlperf.conf alone (``path`` is
    ignored, as officially). 2: audit.config rules (no mlperf.conf, no count).
    Unlike the official LoadGen, which counts user.conf loads per process, mlpace
    counts them per ``TestSettings`` object. ``scenario`` is the official name
    ("SingleStream", "MultiStream", "Server", "Offline") or a ``TestScenario``;
    ``settings.scenario`` itself is not changed (officially neither).
    """
    if conf_type not in _CONF_TYPE_NAMES:
        raise ConfigError(f"conf_type {conf_type!r} is not valid; allowed: "
                          + ", ".join(f"{k} ({v})" for k, v in _CONF_TYPE_NAMES.items()))
    if not isinstance(model, str) or not model:
        raise ConfigError(f"model name must be a non-empty string; got {model!r}")
    scen = _scenario_name(scenario)
    warnings: list[str] = []
    if conf_type == MLPERF_CONF:
        warnings += _apply(settings, _builtin_parsed(), model, scen, MLPERF_CONF)
    else:
        conf = parse_conf(_read(path), os.fspath(path))
        if conf_type == USER_CONF:
            trial = settings.model_copy()
            if settings._user_conf_loads == 0:
                _apply(trial, _builtin_parsed(), model, scen, MLPERF_CONF)
            else:
                warnings.append(MULTIPLE_CONF_WARNING)
            warnings += _apply(trial, conf, model, scen, USER_CONF)
            for field in type(settings).model_fields:
                setattr(settings, field, getattr(trial, field))
            settings._user_conf_loads += 1
        else:
            warnings += _apply(settings, conf, model, scen, AUDIT_CONF)
    settings._conf_warnings.extend(warnings)
    return warnings


def apply_audit_config(settings: "TestSettings", path: str | os.PathLike, model: str,
                       scenario) -> list[str]:
    """Apply an audit.config on top of everything else (official audit rules).

    As officially, entries are looked up for the wildcard model ``*`` (compliance
    files use ``*.*.key``); entries written for ``model`` itself are therefore not
    applied, and a warning says so. Seeds stay those of mlperf.conf. Returns the
    warnings, starting with the official "Found Audit Config file" line.
    """
    if not os.path.exists(path):
        raise ConfigError(f"audit config not found: {os.fspath(path)}")
    conf = parse_conf(_read(path), os.fspath(path))
    warnings = [AUDIT_CONFIG_WARNING]
    warnings += [f"{conf.source}:{e.line}: {e.model}.{e.scenario}.{e.key} ignored: audit.config"
                 f" entries apply only with model '*' (official rule)"
                 for e in conf.entries.values() if e.model == model and model != "*"]
    warnings += _apply(settings, conf, "*", _scenario_name(scenario), AUDIT_CONF)
    settings._conf_warnings.extend(warnings)
    return warnings


def audit_values(path: str | os.PathLike, scenario, model: str = "*") -> dict[str, float]:
    """The compliance values of an audit.config that LoadGen itself does not read
    (``test07_accuracy_threshold``, ``test09_min_output_tokens``,
    ``test09_max_output_tokens``), looked up with the official precedence; keys
    the file does not set are left out."""
    conf = parse_conf(_read(path), os.fspath(path))
    scen = _scenario_name(scenario)
    out = {}
    for key in AUDIT_ONLY_KEYS:
        entry = conf.lookup(model, scen, key)
        if entry is not None:
            out[key] = _c_strtod(entry.value)
    return out

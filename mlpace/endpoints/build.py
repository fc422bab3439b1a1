"""Build the endpoint SUT for a workload: pick the protocol, probe the server, wire the source.

Text workloads (they have ``prompts()``) go over OpenAI (default ``openai-chat``); tensor
workloads over v2 with model name = workload name. ``--served-model`` overrides the
model; without it OpenAI endpoints are asked (``/v1/models``).
"""

from __future__ import annotations

from mlpace.endpoints import probe as _probe
from mlpace.endpoints.config import EndpointConfig
from mlpace.endpoints.sources import TensorSource, TextSource
from mlpace.errors import ConfigError


def is_text(workload) -> bool:
    return callable(getattr(workload, "prompts", None))


def default_api(workload) -> str:
    return "openai-chat" if is_text(workload) else "v2"


def build_sut(workload, qsl, config: EndpointConfig, *, probe: bool = True):
    try:
        import aiohttp  # noqa: F401 - the client's HTTP library, an optional dependency
    except ImportError:
        raise ConfigError("--endpoint needs aiohttp: pip install 'mlpace[serve]'") from None
    from mlpace.endpoints.sut import EndpointSUT

    cfg = config.validated(default_api(workload))
    name = getattr(workload, "name", "workload")
    if is_text(workload):
        if cfg.api == "v2":
            raise ConfigError(f"--api v2 serves tensor workloads; {name} is a text workload "
                              "(use openai-chat or openai-completions)")
        source = TextSource.from_workload(workload)
        model = cfg.model
        if probe:
            model = _probe.choose_model(cfg.urls, cfg.model, source.model_hint, cfg.api_key)
        return EndpointSUT(cfg, source, model=model or source.model_hint or name)
    if cfg.api != "v2":
        raise ConfigError(f"--api {cfg.api} serves text workloads; {name} is a tensor workload (use v2)")
    source = TensorSource.from_workload(workload, qsl)
    model = cfg.model or name
    v2_input = "input"
    if probe:
        for base in cfg.urls:
            v2_input = _probe.v2_ready(base, model, api_key=cfg.api_key)
    return EndpointSUT(cfg, source, model=model, v2_input=v2_input)

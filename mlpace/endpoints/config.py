"""Endpoint options (URLs, protocol, model, streaming, timeouts, balancing), validated at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mlpace.errors import ConfigError

APIS = ("openai-chat", "openai-completions", "v2")
BALANCE = ("round-robin", "least-outstanding")


def normalise_url(url: str, api: str) -> str:
    """Base URL without a trailing slash; OpenAI bases end in ``/v1`` (added when missing)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--endpoint {url!r} is not an http(s) URL (e.g. http://127.0.0.1:8000/v1)")
    try:
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError as exc:
        raise ConfigError(f"--endpoint {url!r}: bad port ({exc})") from None
    base = url.strip().rstrip("/")
    if api.startswith("openai") and not base.endswith("/v1"):
        base += "/v1"
    if api == "v2" and base.endswith("/v2"):
        base = base[: -len("/v2")]
    return base


@dataclass
class EndpointConfig:
    """How to reach and drive the server(s).

    ``model``: the served model name (None = ask ``/v1/models``, or the workload name for
    v2). ``request_timeout_s``: a request not finished in this time fails with kind
    ``timeout``. ``max_concurrency``: requests in flight at once (0 = no limit; Offline
    uses ``offline_concurrency`` when this is 0). ``batch_size``: samples per v2 request.
    ``keep_going``: a failed request is counted and answered empty instead of ending the
    run (still INVALID at the end); connection failures (server gone) always end it.
    """

    urls: list[str]
    api: str | None = None
    model: str | None = None
    stream: bool = True
    request_timeout_s: float = 60.0
    max_concurrency: int = 0
    offline_concurrency: int = 256
    batch_size: int = 64
    balance: str = "round-robin"
    api_key: str | None = None
    temperature: float = 0.0
    extra_body: dict = field(default_factory=dict)
    keep_going: bool = False

    def validated(self, default_api: str) -> "EndpointConfig":
        api = self.api or default_api
        if api not in APIS:
            raise ConfigError(f"unknown --api {api!r}; allowed: {', '.join(APIS)}")
        if not self.urls:
            raise ConfigError("--endpoint: give at least one URL")
        if self.balance not in BALANCE:
            raise ConfigError(f"unknown --balance {self.balance!r}; allowed: {', '.join(BALANCE)}")
        if not self.request_timeout_s > 0:
            raise ConfigError(f"--request-timeout must be > 0 s (got {self.request_timeout_s})")
        if self.max_concurrency < 0 or self.batch_size < 1:
            raise ConfigError("--max-concurrency must be >= 0 and the v2 batch size >= 1")
        urls = [normalise_url(u, api) for u in self.urls]
        return EndpointConfig(**{**self.__dict__, "api": api, "urls": urls})

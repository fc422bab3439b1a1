"""Before a run: is the endpoint there, which model does it serve, what is the v2 input called.

Plain ``urllib`` with a short timeout, so a wrong URL or a server that is down gives one
clear line (``SUTError``) before the LoadGen starts.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from mlpace.errors import SUTError


def _get(url: str, timeout: float, api_key: str | None = None):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {api_key}"} if api_key else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SUTError(f"endpoint unreachable: GET {url} failed ({reason}); is the server running?") from None


def openai_models(base: str, timeout: float = 5.0, api_key: str | None = None) -> list[str]:
    """Model ids served at ``base`` (``GET {base}/models``)."""
    url = base + "/models"
    status, raw = _get(url, timeout, api_key)
    if status != 200:
        raise SUTError(f"endpoint answered HTTP {status} to GET {url}: {raw[:200]!r}")
    try:
        return [str(m["id"]) for m in json.loads(raw)["data"]]
    except (ValueError, KeyError, TypeError):
        raise SUTError(f"GET {url} did not return an OpenAI model list: {raw[:200]!r}") from None


def choose_model(bases: list[str], wanted: str | None, hint: str | None, api_key: str | None = None) -> str:
    """The served model: ``wanted`` if given (checked on every endpoint), else the one model
    served, else ``hint`` if served; every endpoint must serve it."""
    lists = [openai_models(b, api_key=api_key) for b in bases]
    if wanted is None:
        first = lists[0]
        if len(first) == 1:
            wanted = first[0]
        elif hint in first:
            wanted = hint
        else:
            raise SUTError(f"{bases[0]} serves {len(first)} models ({', '.join(first) or 'none'}); "
                           "choose one with --served-model")
    for base, models in zip(bases, lists):
        if wanted not in models:
            raise SUTError(f"model {wanted!r} is not served at {base} (it serves: {', '.join(models) or 'none'})")
    return wanted


def v2_ready(base: str, model: str, timeout: float = 5.0, api_key: str | None = None) -> str:
    """Check ``/v2/health/ready``; return the model's first input name (metadata), default ``input``."""
    status, raw = _get(base + "/v2/health/ready", timeout, api_key)
    if status != 200:
        raise SUTError(f"v2 server at {base} is not ready: HTTP {status} to GET /v2/health/ready")
    status, raw = _get(f"{base}/v2/models/{model}", timeout, api_key)
    if status == 404:
        raise SUTError(f"v2 server at {base} does not serve model {model!r} (HTTP 404)")
    if status == 200:
        try:
            return str(json.loads(raw)["inputs"][0]["name"])
        except (ValueError, KeyError, IndexError, TypeError):
            pass
    return "input"

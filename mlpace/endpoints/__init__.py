"""A network server as the system under test: HTTP clients behind the LoadGen.

``EndpointSUT`` (``sut.py``) takes the LoadGen's queries, sends them on an asyncio loop
in a background thread (``client.py``: pooled keep-alive aiohttp sessions, several
endpoints sharing the load) and reports first tokens and completions back through the
native LoadGen calls, so the LoadGen keeps the one clock. Protocols: OpenAI-compatible
chat/completions, streamed (SSE) or not (``openai.py``), and the Open Inference Protocol v2
(``v2.py``). Every request is a row of preallocated arrays (``records.py``); failed
requests are counted by kind (``failures.py``) and end the run INVALID.

    from mlpace.endpoints import EndpointConfig, build_sut
    sut = build_sut(workload, qsl, EndpointConfig(urls=["http://127.0.0.1:8000/v1"]))

aiohttp is imported only when a client or the test server starts (extra ``[serve]``).
"""

from mlpace.endpoints.config import APIS, EndpointConfig
from mlpace.endpoints.failures import FAILURE_KINDS

__all__ = ["APIS", "EndpointConfig", "FAILURE_KINDS", "build_sut"]


def build_sut(workload, qsl, config: EndpointConfig, *, probe: bool = True):
    """The endpoint SUT for ``workload`` (see ``build.py``)."""
    from mlpace.endpoints.build import build_sut as _build

    return _build(workload, qsl, config, probe=probe)

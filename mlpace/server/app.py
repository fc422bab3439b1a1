"""Assemble the ASGI app for the served workloads and run it on uvicorn (foreground or thread)."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass

from mlpace.errors import ConfigError

TEXT = ("textgen",)
TENSOR = ("digits", "vww", "anomaly")
SERVABLE = TEXT + TENSOR


def _imports():
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError as exc:
        raise ConfigError(f"mlpace serve needs {exc.name}: pip install 'mlpace[serve]'") from None


def resolve_names(spec: str) -> list[str]:
    """``"all"``, one workload, or a comma-separated list -> workload names (validated)."""
    names = list(SERVABLE) if spec == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    bad = [n for n in names if n not in SERVABLE]
    if bad or not names:
        raise ConfigError(f"cannot serve {bad[0] if bad else spec!r}; allowed: {', '.join(SERVABLE)}, all "
                          "(or a comma-separated list)")
    return list(dict.fromkeys(names))


@dataclass
class Served:
    app: object
    engine: object | None  # the textgen engine, when textgen is served
    apis: list[str]


def build_app(names: list[str], max_batch: int = 64) -> Served:
    """Starlette app serving ``names``; models are loaded (trained on first use) here."""
    _imports()
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse

    from mlpace import workloads

    routes, engine, apis = [], None, []
    if max_batch < 1:
        raise ConfigError(f"--max-batch must be >= 1 (got {max_batch})")
    text = [n for n in names if n in TEXT]
    tensor = [n for n in names if n in TENSOR]
    if text:
        from mlpace.server.openai_api import OpenAIService

        wl = workloads.get(text[0])
        engine = wl.make_engine(max_batch)
        routes += OpenAIService(wl, engine).routes()
        apis.append(f"OpenAI /v1 (model {wl.served_model_name!r}: /v1/models, /v1/completions, /v1/chat/completions)")
    if tensor:
        from mlpace.server.v2_api import V2Service

        routes += V2Service([workloads.get(n) for n in tensor]).routes()
        apis.append(f"Open Inference Protocol /v2 (models {', '.join(tensor)})")

    async def not_found(request, exc):
        if request.url.path.startswith("/v1"):
            return JSONResponse({"error": {"message": f"no route {request.method} {request.url.path}",
                                           "type": "NotFoundError", "param": None, "code": 404}}, status_code=404)
        return JSONResponse({"error": f"no route {request.method} {request.url.path}"}, status_code=404)

    async def bad_method(request, exc):
        return JSONResponse({"error": f"method {request.method} not allowed on {request.url.path}"}, status_code=405)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        if engine is not None:
            engine.close()

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: bad_method}, lifespan=lifespan)
    return Served(app, engine, apis)


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _server_class():
    import signal

    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, but Ctrl-C / SIGTERM end it cleanly (exit 0): uvicorn >= 0.29
        re-raises the captured signal after shutdown, which would kill the process."""

        @contextlib.contextmanager
        def capture_signals(self):
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            sigs = (signal.SIGINT, signal.SIGTERM)
            old = {s: signal.signal(s, self.handle_exit) for s in sigs}
            try:
                yield
            finally:
                for s, handler in old.items():
                    signal.signal(s, handler)

    return Server


def _config(app, log_level: str):
    import uvicorn

    return uvicorn.Config(app, log_level=log_level, access_log=False, timeout_graceful_shutdown=5,
                          lifespan="on")


def serve(names: list[str], host: str = "127.0.0.1", port: int = 8000, max_batch: int = 64,
          announce=print, log_level: str = "warning") -> None:
    """Serve until SIGINT/SIGTERM (uvicorn's graceful shutdown); ``announce`` gets the URL lines."""
    sock = _socket(host, port)  # a busy port fails before the models load
    announce(f"mlpace serve: loading {', '.join(names)} (models train on first use, up to a minute)")
    try:
        served = build_app(names, max_batch)
    except BaseException:
        sock.close()
        raise
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    announce(f"mlpace serve: listening on http://{shown}:{bound}")
    for api in served.apis:
        announce(f"  {api}")
    announce("  Ctrl-C or SIGTERM stops the server")
    server = _server_class()(_config(served.app, log_level))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        if served.engine is not None:
            served.engine.close()


class ServerThread:
    """The server on an ephemeral 127.0.0.1 port in a daemon thread: ``with ServerThread([...]) as s: s.url``."""

    def __init__(self, names: list[str], max_batch: int = 64, host: str = "127.0.0.1"):
        import uvicorn

        self.served = build_app(names, max_batch)
        self.sock = _socket(host, 0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.server = uvicorn.Server(_config(self.served.app, "warning"))
        self.server.install_signal_handlers = lambda: None  # uvicorn < 0.29 API; harmless otherwise
        self.thread = threading.Thread(target=self._run, name="mlpace-serve", daemon=True)

    def _run(self):
        import asyncio

        asyncio.run(self.server.serve(sockets=[self.sock]))

    def __enter__(self) -> "ServerThread":
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server thread did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        if self.served.engine is not None:
            self.served.engine.close()

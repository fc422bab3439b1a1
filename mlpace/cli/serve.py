"""``mlpace serve WORKLOAD``: run the reference inference server until Ctrl-C / SIGTERM."""

from __future__ import annotations

from typing import Annotated

import typer

from mlpace.cli import app


@app.command("serve")
def serve(
    workload: Annotated[str, typer.Argument(
        help="What to serve: textgen (OpenAI API), digits, vww, anomaly (Open Inference Protocol v2), "
        "a comma-separated list, or 'all'.")] = "textgen",
    host: Annotated[str, typer.Option(help="Address to bind (default: loopback only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port, printed at start).")] = 8000,
    max_batch: Annotated[int, typer.Option(
        "--max-batch", help="textgen: most sequences decoded together per step (continuous batching).")] = 64,
) -> None:
    """Serve reference workloads over HTTP: textgen over the OpenAI-compatible streaming API,
    digits/vww/anomaly over the Open Inference Protocol v2."""
    from mlpace.server import resolve_names
    from mlpace.server import serve as run_server

    names = resolve_names(workload)
    if not 0 <= port <= 65535:
        from mlpace.errors import ConfigError

        raise ConfigError(f"--port must be in 0..65535 (got {port})")
    run_server(names, host=host, port=port, max_batch=max_batch, announce=lambda line: typer.echo(line))

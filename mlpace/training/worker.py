"""Entry point of one training process: ``python -m mlpace.training.worker`` (under torchrun).

Runs a result set on every rank of the process group (or alone), rank 0 writing the logs
and the system description. Progress goes to stdout as ``MLPACE_EVENT {json}`` lines so
that ``mlpace train --nproc K`` can draw its display from a separate process. Launch on
several machines with torchrun's own options, e.g.::

    torchrun --nnodes 2 --nproc_per_node 4 --rdzv_backend c10d --rdzv_endpoint HOST:29500 \\
        -m mlpace.training.worker digits_cnn --runs 5 --out results/mlpace
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from mlpace.errors import MlpaceError
from mlpace.training import distributed
from mlpace.training.config import parse_override
from mlpace.training.harness import Submission
from mlpace.training.results_tree import ResultsLayout, capture_system, write_system_json
from mlpace.training.runset import build_benchmark, run_set

EVENT_PREFIX = "MLPACE_EVENT "


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlpace.training.worker", description=__doc__.split("\n")[0])
    p.add_argument("benchmark")
    p.add_argument("--runs", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="organisation folder (<out>/results/<system>/<benchmark>)")
    p.add_argument("--org", default="mlpace")
    p.add_argument("--system", default="cpu")
    p.add_argument("--division", default="closed")
    p.add_argument("--status", default="Available on-premise")
    p.add_argument("--set", action="append", default=[], dest="overrides")
    p.add_argument("--config", default=None)
    p.add_argument("--overwrite", action="store_true")
    return p


def emit(kind: str, **payload) -> None:
    """One progress event: a line of the launcher's event file (``MLPACE_EVENT_FILE``), so that
    what a training loop prints cannot mix with it; on stdout when run by hand."""
    import os

    line = json.dumps({"kind": kind, **payload})
    path = os.environ.get("MLPACE_EVENT_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    else:
        print(EVENT_PREFIX + line, flush=True)


def main(argv: list[str] | None = None) -> int:
    from mlpace import signals

    with signals.terminate_as_interrupt() as received:  # torchrun stops workers with SIGTERM
        code = _main(argv)
    return received.exit_code(code) if code == 130 else code


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    info = distributed.init_from_env()
    try:
        overrides = dict(parse_override(o) for o in args.overrides)
        bench = build_benchmark(args.benchmark, overrides, args.config, args.division)
        runs = args.runs or bench.config.required_runs
        from pathlib import Path

        layout = ResultsLayout(Path(args.out), args.system, bench.name)
        if info.rank == 0:
            layout.prepare(args.overwrite)
            desc = capture_system(args.system, args.org, args.division, args.status, nodes=info.nodes,
                                  procs_per_node=info.local_world_size)
            write_system_json(layout, desc)
        distributed.barrier()
        sub = Submission(org=args.org, platform=args.system, division=args.division)
        on = info.rank == 0
        run_set(bench, layout, runs=runs, base_seed=args.seed, submission=sub, rank=info.rank,
                world_size=info.world_size, barrier=distributed.barrier,
                on_progress=(lambda p: emit("progress", **asdict(p))) if on else None,
                on_run_start=(lambda i, s: emit("run_start", index=i, seed=s)) if on else None,
                on_run_done=(lambda r: emit("run_done", index=r.index, seed=r.seed, status=r.status,
                                            epochs=r.epochs, time_to_train_s=r.time_to_train_s,
                                            last_metric=r.last_metric, error=r.error)) if on else None)
    except MlpaceError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr, flush=True)
        return 130
    finally:
        distributed.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

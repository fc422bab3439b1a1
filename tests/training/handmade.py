"""Hand-made mllog files for tests: written with json.dumps, independent of mlpace's writer."""

from __future__ import annotations

import json
from pathlib import Path


def line(time_ms, key, value=None, event="POINT_IN_TIME", **meta):
    meta = {"file": "handmade.py", "lineno": 1, **meta}
    body = {"namespace": "", "time_ms": time_ms, "event_type": event, "key": key, "value": value, "metadata": meta}
    return ":::MLLOG " + json.dumps(body)


def write_log(path: Path, *, benchmark="digits_cnn", start_ms=1_700_000_000_000, ttt_ms=60_000, status="success",
              conv_epoch=10, bs=32, seed=1, metric=0.97, division="closed", org="handmade", unit="epoch_num",
              hyper=None, drop_keys=(), others=0.5):
    """A compliant log of one run (for mlpace's digits_cnn rules unless told otherwise)."""
    t = start_ms - 5000
    hyper = hyper if hyper is not None else {"global_batch_size": bs, "opt_name": "adam",
                                             "opt_base_learning_rate": 0.003, "gradient_accumulation_steps": 1}
    lines = [line(t, "cache_clear", True), line(t, "init_start", event="INTERVAL_START")]
    for k, v in (("submission_org", org), ("submission_platform", "handmade"), ("submission_division", division),
                 ("submission_status", "onprem"), ("submission_benchmark", benchmark), ("seed", seed)):
        lines.append(line(t, k, v))
    lines += [line(t, k, v) for k, v in hyper.items()]
    lines += [line(start_ms - 1, "init_stop", event="INTERVAL_END"), line(start_ms, "run_start", event="INTERVAL_START"),
              line(start_ms + 1, "train_samples", 1437), line(start_ms + 1, "eval_samples", 360)]
    step = max(1, ttt_ms // max(conv_epoch, 1))
    for e in range(1, conv_epoch + 1):
        when = start_ms + min(e * step, ttt_ms - 1)
        point = {unit: e if unit == "epoch_num" else e * 1000}
        lines += [line(when - 2, "epoch_start", event="INTERVAL_START", **point),
                  line(when - 1, "epoch_stop", event="INTERVAL_END", **point),
                  line(when - 1, "eval_start", event="INTERVAL_START", **point),
                  line(when, "eval_accuracy", metric if e == conv_epoch else others, **point),
                  line(when, "eval_stop", event="INTERVAL_END", **point)]
    lines.append(line(start_ms + ttt_ms, "run_stop", event="INTERVAL_END", status=status))
    lines = [ln for ln in lines if json.loads(ln[len(":::MLLOG "):])["key"] not in drop_keys]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path

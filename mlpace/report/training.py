"""The report document of a training results folder (``.../results/<system>/<benchmark>/``
with ``result_N.txt`` mllog files): time to train per run, convergence curves from the
``eval_accuracy`` events, olympic score and the RCP verdict (``mlpace train check``'s
checks, read from the files alone; ``scaling.json`` is left untouched).
"""

from __future__ import annotations

from pathlib import Path

from mlpace.report.document import Figure, Report, Section, Table, Text, series


def training_report(folder: str | Path) -> Report:
    from mlpace.training.check import check_benchmark_folder
    from mlpace.training.scoring import ms_to_minutes

    folder = Path(folder)
    rep = check_benchmark_folder(folder, update_scaling=False)
    rows, styles, names, minutes = [], [], [], []
    for run in rep.runs:
        comp = rep.compliance.get(run.path)
        ttt = ms_to_minutes(run.time_to_train_ms) if run.time_to_train_ms is not None else None
        rows.append([run.path.name, run.seed, run.status or "no run_stop", ttt, run.converged_at, len(run.evals),
                     "PASS" if comp is not None and comp.passed else "FAIL"])
        styles.append("" if run.converged and comp is not None and comp.passed else "bad")
        names.append(run.path.name.removesuffix(".txt"))
        minutes.append(ttt if (ttt is not None and run.converged) else 0.0)
    runs_table = Table(["file", "seed", "status", "time to train (min)", "converged at", "evals", "compliance"],
                       rows, styles)
    ttt_fig = Figure("time-to-train", "Time to train per run", "bar", "run", "time to train (minutes)",
                     [series("time to train", [], minutes, labels=names)],
                     caption="Wall clock run_start → run_stop of each run; 0 = did not converge.")
    curves = []
    for run in rep.runs:
        pts = [(x, y) for x, y in run.evals if x is not None and isinstance(y, (int, float))]
        if pts:
            curves.append(series(run.path.name.removesuffix(".txt"), [p[0] for p in pts], [p[1] for p in pts]))
    blocks_conv = []
    if curves:
        blocks_conv.append(Figure("convergence", "Convergence (eval_accuracy)", "line",
                                  "epoch or samples (metadata of each eval)", "eval_accuracy", curves,
                                  caption="One line per run, from its eval_accuracy events."))
    score = rep.score
    score_rows = [["benchmark", rep.benchmark], ["division", rep.division],
                  ["runs (required)", f"{len(rep.runs)} ({rep.required_runs if rep.required_runs else '?'})"],
                  ["olympic score (min)", rep.score_minutes],
                  ["scaling factor", rep.scaling],
                  ["RCP", ("PASS" if rep.rcp.passed else "FAIL") if rep.rcp else "not run (open division or no RCP)"]]
    if score is not None and score.counted:
        score_rows.append(["times counted (min)", ", ".join(f"{t:.3f}" for t in score.counted)])
    sections = [Section("Score and RCP", [Table(["figure", "value"], score_rows)]
                        + ([Text([rep.rcp.explain()], "note")] if rep.rcp else [])),
                Section("Runs", [runs_table, ttt_fig])]
    if blocks_conv:
        sections.append(Section("Convergence", blocks_conv))
    return Report("training", f"Training: {rep.benchmark or '?'} on {folder.parent.name}",
                  verdict="PASS" if rep.passed else "FAIL", reasons=list(rep.problems), sections=sections,
                  source=str(folder))

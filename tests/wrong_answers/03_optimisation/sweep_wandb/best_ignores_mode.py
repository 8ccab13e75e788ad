# MISTAKE: Always takes the minimum, whatever the mode.
# NAMED: (mode='max')
"""A hyper-parameter sweep logged with Weights & Biases, offline.

Goal: train one model per configuration, and record every run with wandb so that the runs can
be compared later: the configuration, the loss after every step (the run's *history*), and the
final metrics (its *summary*). Then pick the best run.

In offline mode wandb needs no account and no network: each run is written to a folder
`<dir>/wandb/offline-run-<time>-<id>/`, which `wandb sync` could upload later, and which the
checks read back from disk. The calls you need:

    run = wandb.init(project=..., dir=..., config=..., mode="offline")   # start a run
    run.log({"loss": 0.5})          # one history row (call it once per training step)
    run.summary["val_loss"] = 0.3   # a final value
    run.finish()                    # close the run: flushes it to disk

Rules: train with `train_classifier(config, log=...)` from `arena_cli.course.optim` (it calls
`log({"loss": ...})` after every step and returns the final metrics `train_loss`, `val_loss`,
`val_accuracy`); put all three into the summary. Every run goes under `log_dir` (pass it as
`dir`), in offline mode, and is finished before the next one starts.

Worked example:
    >>> results = run_sweep([{"lr": 0.01, "hidden": 8, "steps": 5}], tmp_dir)
    >>> sorted(results[0])
    ['hidden', 'lr', 'steps', 'train_loss', 'val_accuracy', 'val_loss']
    >>> best_run(results, "val_accuracy", mode="max") is results[0]
    True
"""

from pathlib import Path
from typing import Any

import wandb

from arena_cli.course.optim import train_classifier


def run_sweep(
    configs: list[dict[str, Any]], log_dir: str | Path, project: str = "arena-sweep"
) -> list[dict[str, Any]]:
    """Train and log one offline wandb run per config; return `{**config, **final_metrics}`
    for every run, in the order of `configs`."""
    # BEGIN SOLUTION: per config: wandb.init(project=..., dir=str(log_dir), config=..., mode="offline"), train_classifier with log=run.log, write the metrics to run.summary, run.finish(); collect the results (about 9 lines)
    results = []
    for config in configs:
        run = wandb.init(project=project, dir=str(log_dir), config=config, mode="offline")
        try:
            metrics = train_classifier(config, log=run.log)
            for name, value in metrics.items():
                run.summary[name] = value
        finally:
            run.finish()
        results.append({**config, **metrics})
    return results
    # END SOLUTION


def best_run(results: list[dict[str, Any]], metric: str, mode: str = "min") -> dict[str, Any]:
    """The result with the lowest (mode="min") or highest (mode="max") value of `metric`."""
    # BEGIN SOLUTION: min or max with a key (about 2 lines)
    choose = min
    return choose(results, key=lambda result: result[metric])
    # END SOLUTION

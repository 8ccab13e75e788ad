import json

import pytest

from arena_cli.course.optim import read_offline_runs, train_classifier
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

CONFIGS = [
    {"lr": 0.003, "hidden": 8, "steps": 12},
    {"lr": 0.03, "hidden": 16, "steps": 12},
    {"lr": 0.1, "hidden": 16, "steps": 8, "seed": 3},
]
METRICS = ("train_loss", "val_loss", "val_accuracy")
PROJECT = "digits-sweep-check"  # not the default: the argument must reach wandb.init


def key(config) -> str:
    return json.dumps(config, sort_keys=True)


def expected_run(config):
    """What an honest run of `config` logs: the loss of every step, and the final metrics."""
    losses = []
    final = train_classifier(config, log=lambda row: losses.append(row["loss"]))
    return losses, final


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Run the learner's sweep once for all the tests below, wandb strictly offline, and read
    back what it wrote under `log_dir`."""
    import wandb

    root = tmp_path_factory.mktemp("sweep")
    log_dir = root / "logs"
    log_dir.mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WANDB_MODE", "offline")
        env.setenv("WANDB_SILENT", "true")
        env.setenv("WANDB_DISABLE_GIT", "true")
        env.setenv("WANDB_CONSOLE", "off")
        # anything not written under log_dir lands here, and is not found by the checks
        env.setenv("WANDB_DIR", str(root / "elsewhere"))
        env.setenv("WANDB_CONFIG_DIR", str(root / "config"))
        env.setenv("WANDB_CACHE_DIR", str(root / "cache"))
        env.setenv("WANDB_DATA_DIR", str(root / "data"))
        try:
            results = ex.run_sweep([dict(c) for c in CONFIGS], log_dir, project=PROJECT)
        finally:
            wandb.teardown()  # stop wandb's background service now, not at interpreter exit
    return results, read_offline_runs(log_dir)


def test_one_finished_run_per_config_in_log_dir(sweep):
    _, runs = sweep
    assert len(runs) == len(CONFIGS), (
        f"found {len(runs)} wandb runs under log_dir, expected {len(CONFIGS)}: one per config "
        "(pass dir=log_dir and mode='offline' to wandb.init, and finish each run before the next "
        "starts: while a run is active, wandb.init returns that same run)"
    )
    unfinished = [run.path.parent.name for run in runs if not run.finished]
    assert not unfinished, f"runs not finished (call run.finish()): {unfinished}"


def test_each_run_records_its_config(sweep):
    _, runs = sweep
    logged = sorted(key(run.config) for run in runs)
    assert logged == sorted(key(c) for c in CONFIGS), (
        f"configs recorded by the runs: {logged}; expected the sweep's configs "
        "(pass config=... to wandb.init)"
    )


def test_each_run_logs_the_loss_of_every_step(sweep):
    _, runs = sweep
    by_config = {key(run.config): run for run in runs}
    for config in CONFIGS:
        run = by_config.get(key(config))
        assert run is not None, f"no run recorded config {config}"
        losses = [row["loss"] for row in run.history if "loss" in row]
        expected, _ = expected_run(config)
        assert len(losses) == len(expected), (
            f"run of {config}: {len(losses)} history rows with 'loss', expected one per step "
            f"({len(expected)}); pass log=run.log to train_classifier"
        )
        assert_close(losses, expected, atol=1e-5, rtol=1e-5, name=f"logged losses of {config}")


def test_each_run_summary_holds_the_final_metrics(sweep):
    _, runs = sweep
    by_config = {key(run.config): run for run in runs}
    for config in CONFIGS:
        run = by_config[key(config)]
        _, final = expected_run(config)
        missing = [m for m in METRICS if m not in run.summary]
        assert not missing, f"run of {config}: summary lacks {missing} (set run.summary[...])"
        for metric in METRICS:
            assert_close(
                run.summary[metric], final[metric], atol=1e-5, rtol=1e-5,
                name=f"summary[{metric!r}] of {config}",
            )


def test_returns_config_and_metrics_in_order(sweep):
    results, _ = sweep
    assert isinstance(results, list) and len(results) == len(CONFIGS), (
        f"return one result per config ({len(CONFIGS)}), got {results!r}"
    )
    for config, result in zip(CONFIGS, results):
        _, final = expected_run(config)
        for name, value in config.items():
            assert result.get(name) == value, f"result for {config} has {name}={result.get(name)!r}"
        for metric in METRICS:
            assert_close(
                result.get(metric), final[metric], atol=1e-5, rtol=1e-5, name=f"{metric} of {config}"
            )


def test_best_run_picks_the_extreme_of_the_metric():
    results = [
        {"lr": 0.1, "val_loss": 0.9, "val_accuracy": 0.70},
        {"lr": 0.01, "val_loss": 0.4, "val_accuracy": 0.80},
        {"lr": 0.001, "val_loss": 0.6, "val_accuracy": 0.85},
    ]
    assert ex.best_run(results, "val_loss") is results[1], "lowest val_loss is the run with lr=0.01"
    assert ex.best_run(results, "val_accuracy", mode="max") is results[2], (
        "highest val_accuracy (mode='max') is the run with lr=0.001"
    )


def test_runs_are_logged_in_the_given_project(sweep):
    _, runs = sweep
    projects = sorted({run.project for run in runs})
    assert projects == [PROJECT], f"the runs were logged in project(s) {projects}; pass project=project to wandb.init"

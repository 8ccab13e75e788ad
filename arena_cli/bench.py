"""`arena dev bench`: how fast is feedback, measured side by side in one run.

For a plain tensor exercise and one whose checks use TransformerLens, on their reference
solutions (so the checks do their real compute):
- warm: a save through the real file watcher and watch loop to the verdict on the warm worker;
- cold: `python -m pytest` of the same check file in a fresh interpreter;
overhead = latency minus the time pytest reports for the checks themselves. Also the start-up of
`arena list` and `arena hint` next to `python -c pass`, and the worker's resident memory.
"""

from __future__ import annotations

import io
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from arena_cli.manifest import Exercise, Manifest, load_manifest
from arena_cli.results import RunResult

TARGETS = {
    "warm_overhead_median_ms": 100.0,
    "warm_overhead_p95_ms": 250.0,
    "cold_over_warm_tl": 20.0,
    "cli_start_ms": 250.0,
    "worker_rss_mib": 1024.0,
    "first_verdict_plain_s": 3.0,  # `arena watch` start -> first verdict, torch/einops/numpy checks
    "first_verdict_transformer_lens_s": 6.0,
    "arena_run_over_cold_pytest": 1.0,  # `arena run NAME` no slower than a cold `python -m pytest`
}


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000, "runs": len(ordered)}


def pick_exercises(root: Path, manifest: Manifest) -> tuple[Exercise, Exercise | None]:
    """A plain tensor exercise and the first one whose checks use TransformerLens."""

    def uses_tl(exercise: Exercise) -> bool:
        text = (root / exercise.test_path).read_text(encoding="utf-8")
        return "transformer_lens" in text or "course.transformer" in text or "arena_cli.zoo" in text

    plain = next((e for e in manifest.exercises if e.section.startswith("00") and not uses_tl(e)), manifest.exercises[0])
    tl = next((e for e in manifest.exercises if uses_tl(e)), None)
    return plain, tl


def cold_pytest(root: Path, exercise: Exercise) -> tuple[float, float]:
    """(wall seconds, seconds pytest reports for the tests) of a cold `python -m pytest`."""
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as folder:
        junit = Path(folder) / "junit.xml"
        env = dict(os.environ, ARENA_EXERCISE_ROOT=str(root / "solutions"))
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / exercise.test_path), f"--junitxml={junit}"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        wall = time.perf_counter() - start
        tests = sum(float(case.get("time", 0)) for case in ElementTree.parse(junit).iter("testcase"))
    return wall, tests


def warm_save_to_verdict(root: Path, exercise: Exercise, runs: int) -> tuple[list[float], list[float], list[float], float]:
    """Save the exercise through a real watcher + watch session; time until the verdict.

    Runs in a scratch copy of the workspace whose exercise file holds the reference solution,
    so the learner's own files and progress are never touched. Returns the save->verdict
    latency, runner-only latency and check time of each run, and the worker's RSS in MiB.
    """
    from arena_cli.runner import WarmRunner
    from arena_cli.watch import WatchSession
    from arena_cli.watcher import start_observer

    with tempfile.TemporaryDirectory(prefix="arena-bench-") as folder:
        scratch = Path(folder) / "course"
        shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(".arena", ".git", "__pycache__", "wandb", "*.egg-info"))
        target = scratch / exercise.path
        solution = (root / exercise.solution_path).read_text(encoding="utf-8")
        target.write_text(solution, encoding="utf-8")
        manifest = load_manifest(scratch)
        events: queue.Queue = queue.Queue()
        runner = WarmRunner(scratch)
        runner.start()
        runner.wait_warm()  # steady state: the whole preload list imported
        session = WatchSession(scratch, manifest, Console(file=io.StringIO()), runner, events)
        observer = start_observer(scratch, events, poll=False)
        latencies, runner_times, check_times = [], [], []
        try:
            for index in range(runs + 1):  # the first run warms the file-system cache; not counted
                marker = f"\n# bench save {index}\n"
                results_before = session.ticket
                start = time.perf_counter()
                target.write_text(solution + marker, encoding="utf-8")
                result: RunResult | None = None
                while result is None:
                    try:
                        event = events.get(timeout=0.005)
                        session.handle(event, time.monotonic())
                    except queue.Empty:
                        pass
                    session.fire_due(time.monotonic())
                    if session.ticket > results_before and session.running is None and session.last_result is not None:
                        result = session.last_result
                    if time.perf_counter() - start > 120:
                        raise RuntimeError(f"no verdict for {exercise.name} within 120 s")
                elapsed = time.perf_counter() - start
                if index:
                    latencies.append(elapsed)
                    runner_times.append(result.wall_time)
                    check_times.append(result.test_time)
            rss = _rss_mib(runner.pid)
        finally:
            observer.stop()
            runner.close()
    return latencies, runner_times, check_times, rss


def _rss_mib(pid: int | None) -> float:
    from arena_cli.worker import rss_kib

    return rss_kib(pid) / 1024 if pid else 0.0


def command_start(args: list[str], runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return times


def arena_command() -> list[str]:
    """The installed console script itself. A version manager's shim found first on PATH (pyenv's
    is a bash script that runs `pyenv exec`, ~40 ms here) would add its own start-up to ours."""
    script = Path(sys.executable).with_name("arena")
    if script.exists():
        return [str(script)]
    found = shutil.which("arena")
    return [found] if found else [sys.executable, "-m", "arena_cli"]


def first_verdicts(root: Path, exercises: dict[str, Exercise], runs: int) -> dict:
    """Start-to-first-verdict of a fresh `arena watch`, `arena run NAME` and a cold `python -m
    pytest`, for each exercise, interleaved run by run so a changing load hits all alike."""
    times: dict[str, dict[str, list[float]]] = {label: {"first": [], "run": [], "cold": []} for label in exercises}
    verdicts: dict[str, str] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as folder:
        scratch = scratch_course(root, folder, list(exercises.values()))
        env = dict(os.environ, ARENA_WORKSPACE=str(scratch))
        for _ in range(runs):
            for label, exercise in exercises.items():
                elapsed, verdicts[label] = first_verdict(scratch, exercise, env)
                times[label]["first"].append(elapsed)
                times[label]["run"].append(arena_run_once(scratch, exercise, env))
                times[label]["cold"].append(cold_pytest(scratch, exercise)[0])
    result: dict = {"load_average": {"before": list(load_before), "after": list(os.getloadavg())}, "exercises": {}}
    for label, exercise in exercises.items():
        first, run, cold = (_stats(times[label][key]) for key in ("first", "run", "cold"))
        result["exercises"][label] = {
            "exercise": exercise.name,
            "verdict": verdicts.get(label, ""),
            "first_verdict": first,
            "arena_run": run,
            "cold_pytest": cold,
            "first_over_cold": first["median_ms"] / max(cold["median_ms"], 1e-6),
            "run_over_cold": run["median_ms"] / max(cold["median_ms"], 1e-6),
            "target_s": TARGETS[f"first_verdict_{label}_s"],
        }
    return result


def run_bench(root: Path, *, runs: int = 10, first_runs: int = 3) -> dict:
    manifest = load_manifest(root)
    plain, tl = pick_exercises(root, manifest)
    figures: dict = {"runs": runs, "cpu_count": os.cpu_count(), "exercises": {}}
    chosen = {"plain": plain, **({"transformer_lens": tl} if tl is not None else {})}
    figures["first_verdict"] = first_verdicts(root, chosen, first_runs)
    figures["first_verdict"]["runs"] = first_runs
    for label, exercise in (("plain", plain), ("transformer_lens", tl)):
        if exercise is None:
            continue
        latencies, runner_times, check_times, rss = warm_save_to_verdict(root, exercise, runs)
        figures["worker_rss_mib"] = max(figures.get("worker_rss_mib", 0.0), rss)
        cold = [cold_pytest(root, exercise) for _ in range(runs)]
        warm_overhead = [lat - check for lat, check in zip(latencies, check_times)]
        runner_overhead = [lat - check for lat, check in zip(runner_times, check_times)]
        cold_overhead = [wall - tests for wall, tests in cold]
        entry = {
            "exercise": exercise.name,
            "checks_ms": statistics.median(check_times) * 1000,
            "warm_save_to_verdict": _stats(latencies),
            "warm_overhead": _stats(warm_overhead),
            "warm_runner_only_overhead": _stats(runner_overhead),
            "cold_pytest": _stats([wall for wall, _ in cold]),
            "cold_overhead": _stats(cold_overhead),
        }
        entry["cold_over_warm_overhead"] = entry["cold_overhead"]["median_ms"] / max(entry["warm_overhead"]["median_ms"], 1e-6)
        entry["cold_over_warm_latency"] = entry["cold_pytest"]["median_ms"] / max(entry["warm_save_to_verdict"]["median_ms"], 1e-6)
        figures["exercises"][label] = entry
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as folder:
        scratch = Path(folder) / "course"
        shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(".arena", ".git", "__pycache__", "wandb", "*.egg-info", "checkpoints"))
        env = dict(os.environ, ARENA_WORKSPACE=str(scratch))
        arena = arena_command()
        figures["cli_start"] = {
            "python -c pass": _stats(command_start([sys.executable, "-c", "pass"], runs, env)),
            "arena list": _stats(command_start([*arena, "list"], runs, env)),
            "arena hint": _stats(command_start([*arena, "hint", plain.name], runs, env)),
        }
    figures["targets"] = TARGETS
    return figures


def bench_view(figures: dict) -> RenderableType:
    """One column per exercise, one row per measure (fits 80 columns), and each target beside it."""
    entries = figures["exercises"]
    table = Table(title="save -> verdict (ms), median / p95", title_justify="left")
    table.add_column("measure")
    for label, entry in entries.items():
        table.add_column(label, justify="right")
    table.add_column("target", justify="right")

    def pair(entry: dict, key: str) -> str:
        return f"{entry[key]['median_ms']:.0f} / {entry[key]['p95_ms']:.0f}"

    overhead_target = f"<= {TARGETS['warm_overhead_median_ms']:.0f} / {TARGETS['warm_overhead_p95_ms']:.0f}"
    rows = [
        ("checks' own time", lambda e: f"{e['checks_ms']:.0f}", ""),
        ("warm save->verdict", lambda e: pair(e, "warm_save_to_verdict"), ""),
        ("warm overhead", lambda e: pair(e, "warm_overhead"), overhead_target),
        ("  of it in the runner", lambda e: pair(e, "warm_runner_only_overhead"), ""),
        ("cold pytest", lambda e: pair(e, "cold_pytest"), ""),
        ("cold overhead", lambda e: pair(e, "cold_overhead"), ""),
        ("cold / warm overhead", lambda e: f"{e['cold_over_warm_overhead']:.1f}x", f">= {TARGETS['cold_over_warm_tl']:.0f}x (TL)"),
    ]
    for name, cell, target in rows:
        table.add_row(name, *(cell(entry) for entry in entries.values()), target)
    starts = Table(title="start-up (ms), median / p95", title_justify="left")
    starts.add_column("command")
    starts.add_column("time", justify="right")
    starts.add_column("target", justify="right")
    for command, stats in figures["cli_start"].items():
        target = "" if command.startswith("python") else f"<= {TARGETS['cli_start_ms']:.0f}"
        starts.add_row(command, f"{stats['median_ms']:.0f} / {stats['p95_ms']:.0f}", target)
    exercises = Text("exercises: " + ", ".join(f"{label} = {entry['exercise']}" for label, entry in entries.items()), style="dim")
    memory = Text(f"warm worker resident memory: {figures.get('worker_rss_mib', 0):.0f} MiB (target <= {TARGETS['worker_rss_mib']:.0f})")
    parts = [table, exercises, starts, memory]
    if "first_verdict" in figures:
        parts.append(first_verdict_view(figures["first_verdict"]))
    return Group(*parts, Text(f"{figures['runs']} runs each, {figures['cpu_count']} CPUs", style="dim"))


def first_verdict_view(first: dict) -> RenderableType:
    table = Table(title="start -> first verdict (s), median / p95", title_justify="left")
    table.add_column("measure")
    entries = first["exercises"]
    for label in entries:
        table.add_column(label, justify="right")
    table.add_column("target", justify="right")

    def pair(entry: dict, key: str) -> str:
        return f"{entry[key]['median_ms'] / 1000:.2f} / {entry[key]['p95_ms'] / 1000:.2f}"

    targets = " / ".join(f"{entry['target_s']:.0f}" for entry in entries.values())
    table.add_row("arena watch -> first verdict", *(pair(e, "first_verdict") for e in entries.values()), f"<= {targets}")
    table.add_row("arena run NAME", *(pair(e, "arena_run") for e in entries.values()), "<= cold")
    table.add_row("cold python -m pytest", *(pair(e, "cold_pytest") for e in entries.values()), "")
    table.add_row("first verdict / cold", *(f"{e['first_over_cold']:.2f}x" for e in entries.values()), "")
    table.add_row("arena run / cold", *(f"{e['run_over_cold']:.2f}x" for e in entries.values()), "<= 1.00x")
    load = first["load_average"]
    note = Text(
        f"{first['runs']} runs each, interleaved; load average {load['before'][0]:.1f} before, {load['after'][0]:.1f} after "
        f"on {os.cpu_count()} CPUs: the targets are for an idle machine, compare the ratios on a busy one",
        style="dim",
    )
    return Group(table, note)


# ----- start to first verdict --------------------------------------------------------------
FIRST_VERDICT_MARK = "arena-bench-first-verdict"


def _first_verdict_probe(root: str, name: str) -> None:
    """What `arena watch` does up to its first verdict, in this fresh process: import the watch
    loop, read the manifest, start the warm runner, run the current exercise; print one line."""
    import arena_cli.watch  # noqa: F401 - paid by every `arena watch`
    from arena_cli.runner import make_runner

    manifest = load_manifest(Path(root))
    exercise = next(e for e in manifest.exercises if e.name == name)
    runner = make_runner(Path(root))
    getattr(runner, "start", lambda: None)()
    try:
        result = runner.run(exercise)
        print(f"{FIRST_VERDICT_MARK} {result.status.value} {result.backend}", flush=True)
    finally:
        runner.close()


def first_verdict(scratch: Path, exercise: Exercise, env: dict[str, str]) -> tuple[float, str]:
    """Seconds from starting a fresh `arena watch`-like process to its first verdict, and the verdict."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "arena_cli.bench", "first-verdict", str(scratch), exercise.name],
        cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert process.stdout is not None
    verdict, elapsed = "no verdict", float("nan")
    for line in process.stdout:
        if line.startswith(FIRST_VERDICT_MARK):
            elapsed = time.perf_counter() - start
            verdict = line.split(maxsplit=1)[1].strip()
            break
    process.stdout.close()
    process.wait()
    return elapsed, verdict


def arena_run_once(scratch: Path, exercise: Exercise, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([*arena_command(), "run", exercise.name], cwd=scratch, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def scratch_course(root: Path, folder: str, exercises: list[Exercise]) -> Path:
    """A copy of the workspace (no progress, no checkpoints' history) whose exercise files hold
    the reference solutions, so the checks do their real compute and the learner's files stay."""
    scratch = Path(folder) / "course"
    shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(".arena", ".git", "__pycache__", "wandb", "*.egg-info"))
    for exercise in exercises:
        (scratch / exercise.path).write_text((root / exercise.solution_path).read_text(encoding="utf-8"), encoding="utf-8")
    return scratch


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "first-verdict":
    _first_verdict_probe(sys.argv[2], sys.argv[3])

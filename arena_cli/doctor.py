"""`arena doctor`: is this machine ready for the course, offline?"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text


PRELOAD_CHECK_TIMEOUT = 300.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def diagnose() -> list[Check]:
    from arena_cli.errors import ArenaError
    from arena_cli.workspace import find_workspace

    checks = [
        Check("python", sys.version_info >= (3, 11), f"{platform.python_version()} ({sys.executable})"),
    ]
    for package, needed in (("typer", None), ("rich", None), ("einops", None), ("jaxtyping", None), ("pytest", None), ("watchdog", None)):
        version = _version(package)
        checks.append(Check(package, version is not None, version or "missing: run `pip install -e .` in the course folder"))
    torch_version = _version("torch")
    if torch_version is None:
        checks.append(Check("torch", False, "missing: `pip install torch` (the CPU build is enough)"))
    else:
        import torch

        cuda = torch.cuda.is_available()
        device = f"CUDA: {torch.cuda.get_device_name(0)}" if cuda else "CUDA: not available, the CPU is used (fine for this course)"
        checks.append(Check("torch", True, f"{torch_version}; {device}; {torch.get_num_threads()} CPU threads"))
    checks.extend(_stack_checks())
    checks.append(_preload_check())
    try:
        root = find_workspace()
        try:
            with tempfile.NamedTemporaryFile(dir=root, prefix=".arena-doctor-"):
                pass
            checks.append(Check("workspace", True, f"{root} (writable)"))
        except OSError as error:
            checks.append(Check("workspace", False, f"{root} is not writable ({error.strerror}); progress cannot be saved"))
        checks.append(_zoo_check())
    except ArenaError as error:
        checks.append(Check("workspace", False, str(error)))
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    checks.append(
        Check(
            "offline",
            True,
            "HF_HUB_OFFLINE=1 is set" if offline else "checks run with HF_HUB_OFFLINE=1 and a socket guard; nothing is downloaded",
        )
    )
    checks.append(_watch_check())
    return checks


def _stack_checks() -> list[Check]:
    """TransformerLens and SAELens: the versions the course needs (read from metadata, no import)."""
    from arena_cli import stack

    wrong = {problem.package: problem for problem in stack.problems()}
    checks = []
    for package in stack.REQUIRED:
        version = stack.installed_version(package)
        problem = wrong.get(package)
        checks.append(Check(package, problem is None, str(problem) if problem else str(version)))
    return checks


def _preload_check() -> Check:
    """Import everything the warm worker preloads, in a fresh interpreter as the worker would
    (same `arena_cli`, same `ARENA_WORKER_PRELOAD`), and name each module that fails."""
    import json
    import subprocess
    import time

    from arena_cli.runner import checker_env

    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-P", "-m", "arena_cli.worker", "--check-preload"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=PRELOAD_CHECK_TIMEOUT,
            env=checker_env({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}),
        )
    except subprocess.TimeoutExpired:
        return Check("preload", False, f"importing the worker's modules took over {PRELOAD_CHECK_TIMEOUT:.0f} s")
    seconds = time.perf_counter() - start
    try:
        failed = json.loads(done.stdout.strip().splitlines()[-1])["failed"]
    except (ValueError, IndexError, KeyError, TypeError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Check("preload", False, f"the import check itself failed (exit {done.returncode}): {tail}")
    if failed:
        named = "; ".join(f"{item['module']} ({item['error']})" for item in failed)
        return Check(
            "preload",
            False,
            f"cannot import {named}. Verdicts still come, but checks that need it fail; reinstall it "
            "(`pip install -e .` in the course folder)",
        )
    return Check("preload", True, f"every module the warm worker preloads imports ({seconds:.1f} s in a fresh interpreter)")


def _zoo_check() -> Check:
    try:
        from arena_cli.zoo import catalogue
    except ImportError:
        return Check("model zoo", False, "arena_cli.zoo is missing from this installation")
    entries = catalogue()
    missing = [e.name for e in entries if e.size_bytes == 0]
    if missing:
        return Check("model zoo", False, f"missing checkpoints: {', '.join(missing)}; rebuild with `arena dev zoo train NAME`")
    return Check("model zoo", True, f"{len(entries)} models present, all offline")


def _watch_check() -> Check:
    from watchdog.observers import Observer

    cwd = os.getcwd()
    slow_fs = cwd.startswith("/mnt/") and "microsoft" in platform.release().lower()
    detail = f"file events via {Observer.__name__}"
    if slow_fs:
        return Check("watch", False, detail + "; WSL on /mnt sends no file events: use `arena watch --poll` or clone into your Linux home")
    return Check("watch", True, detail + "; if saves are not noticed (network drives), use `arena watch --poll`")


def doctor_view(checks: list[Check]) -> RenderableType:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("")
    table.add_column("check", style="bold")
    table.add_column("detail")
    for check in checks:
        table.add_row(Text("ok", style="green") if check.ok else Text("!!", style="red bold"), check.name, check.detail)
    return table

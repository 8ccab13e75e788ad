"""What happens inside the process that runs one exercise's checks.

The same code serves both paths: a child forked from the warm worker, and a cold
`python -m arena_cli.child REQUEST_JSON` subprocess where fork is unavailable. It isolates the
run (its own session, stdin closed, output to a capped file, an address-space limit, a
faulthandler dump for hangs and crashes), runs pytest with the report plugin and exits.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from arena_cli.offline import install_socket_guard, set_offline_env

# Seconds before the parent's deadline at which the child dumps its stack, so a learner whose
# code loops forever is told where it was.
STACK_DUMP_MARGIN = 0.3


@dataclass(frozen=True)
class RunRequest:
    workspace: str
    test_file: str
    exercise_file: str
    report_path: str
    output_path: str
    traceback_path: str
    timeout: float
    exercise_root: str | None = None  # ARENA_EXERCISE_ROOT for the checks; None = exercises/
    memory_limit_mb: int = 4096
    output_limit_mb: int = 16

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "RunRequest":
        return cls(**json.loads(text))


# Built-in plugins a check never needs; each one costs registration time on every run.
UNNEEDED_PLUGINS = (
    "cacheprovider",
    "doctest",
    "junitxml",
    "pastebin",
    "nose",
    "legacypath",
    "unittest",
    "setuponly",
    "setupplan",
    "stepwise",
    "lsof",
    "debugging",
    "unraisableexception",
    "threadexception",
    "faulthandler",  # ours writes hangs and crashes to the run's stack file
    "warnings",
    "hypothesispytest",  # imports libcst on a failure and writes patch files into the workspace
)


def pytest_args(request: RunRequest) -> list[str]:
    disabled = [arg for name in UNNEEDED_PLUGINS for arg in ("-p", f"no:{name}")]
    return [
        request.test_file,
        *disabled,
        "-q",
        "--import-mode=importlib",
        "--rootdir",
        request.workspace,
        "-o",
        "addopts=",
    ]


def _isolate(request: RunRequest) -> None:
    """Stdin from /dev/null, stdout/stderr to a size-capped file, memory capped, own session."""
    try:
        os.setsid()  # the parent can end us and everything we start with one killpg
    except OSError:
        pass  # already a session leader (cold subprocess started with start_new_session)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    out = os.open(request.output_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    try:
        import resource

        # A flood of output fails the learner's print with EFBIG instead of filling the disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = request.output_limit_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        if request.memory_limit_mb > 0:
            # Address space already mapped (the warm parent's imports) plus the allowance.
            with open("/proc/self/statm") as statm:
                mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            cap = mapped + request.memory_limit_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, OSError, ValueError):
        pass  # not on Linux: the wall-clock limit still applies


def execute(request: RunRequest) -> int:
    """Run the checks in this process; return pytest's exit code. Never returns on a crash."""
    _isolate(request)
    set_offline_env()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if request.exercise_root:
        os.environ["ARENA_EXERCISE_ROOT"] = request.exercise_root
    else:
        os.environ.pop("ARENA_EXERCISE_ROOT", None)
    # Checks are small: one torch thread avoids oversubscription (measured 20-70x slower steps
    # with two threads on a busy 2-core machine). ARENA_TORCH_THREADS overrides it.
    threads = os.environ.get("ARENA_TORCH_THREADS", "1")
    os.environ["OMP_NUM_THREADS"] = threads
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(threads))
    # hypothesis keeps its example database out of the learner's folders
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(request.workspace) / ".arena" / "hypothesis"))
    install_socket_guard()
    trace = open(request.traceback_path, "w")  # noqa: SIM115 - faulthandler keeps using it
    faulthandler.enable(file=trace)
    faulthandler.dump_traceback_later(max(request.timeout - STACK_DUMP_MARGIN, 0.1), file=trace)

    import pytest

    from arena_cli.pytest_plugin import ArenaReport, Locator

    locator = Locator(Path(request.workspace), Path(request.exercise_file), Path(request.test_file))
    plugin = ArenaReport(Path(request.report_path), locator)
    code = pytest.main(pytest_args(request), plugins=[plugin])
    faulthandler.cancel_dump_traceback_later()
    sys.stdout.flush()
    sys.stderr.flush()
    return int(code)


if __name__ == "__main__":  # the cold path: python -m arena_cli.child REQUEST_JSON
    exit_code = execute(RunRequest.from_json(sys.argv[1]))
    os._exit(exit_code)

"""What happens inside the process that runs one exercise's checks.

The same code serves both paths: a child forked from the warm worker, and a cold
`python -m arena_cli.child REQUEST_JSON` subprocess where fork is unavailable. It isolates the
run (its own session, stdin closed, output to a capped file, an address-space limit, a
faulthandler dump for hangs and crashes), runs pytest with the report plugin and exits.

No process of a run outlives it. The child carries its own deadline (the kernel ends it with
SIGALRM shortly after the parent's limit, even if the parent is gone) and dies with its parent
(PR_SET_PDEATHSIG). It is a child subreaper, so whatever the learner's code starts (even with
`start_new_session=True`, even double-forked) stays its descendant and is killed before it
exits; every process started from the learner's code also inherits `ARENA_RUN_TOKEN`, which
`kill_run` looks for in /proc, so the parent finds them even after the child died.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from arena_cli.offline import install_socket_guard, set_offline_env

# Seconds before the parent's deadline at which the child dumps its stack, so a learner whose
# code loops forever is told where it was.
STACK_DUMP_MARGIN = 0.3
# Seconds a cold run may take beyond its timeout to start an interpreter and import pytest.
COLD_START_ALLOWANCE = 5.0
# Seconds after its deadline at which the child's own alarm ends it, should its parent be unable
# to: always after the parent's own limit (warm: the timeout; cold: timeout + start allowance).
CHILD_DEADLINE_GRACE = COLD_START_ALLOWANCE + 1.0
TOKEN_ENV = "ARENA_RUN_TOKEN"
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


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
    run_token: str = ""  # set in the environment of everything the run starts (see kill_run)

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


def prctl(option: int, value: int) -> bool:
    """Linux prctl(2) through libc; False where it is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _processes() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, raw environment) for every process /proc lets us see."""
    table: dict[int, tuple[int, bytes]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                # "pid (comm) state ppid ...": comm may hold spaces and parentheses
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as env:
                environ = env.read()
        except OSError:
            environ = b""
        table[int(name)] = (ppid, environ)
    return table


def run_processes(root_pid: int | None, token: str | None, *, table: dict[int, tuple[int, bytes]] | None = None) -> set[int]:
    """The descendants of `root_pid` and every process whose environment holds the run's token."""
    table = _processes() if table is None else table
    found: set[int] = set()
    if token:
        needle = f"{TOKEN_ENV}={token}".encode()
        found |= {pid for pid, (_, environ) in table.items() if needle in environ.split(b"\0")}
    if root_pid:
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        stack = list(children.get(root_pid, []))
        while stack:
            pid = stack.pop()
            if pid not in found:
                found.add(pid)
                stack.extend(children.get(pid, []))
    found.discard(os.getpid())
    return found


def kill_run(pid: int | None, token: str | None, *, descendants_of: int | None = None) -> None:
    """Kill a run's process group `pid`, its descendants and every process carrying `token`.

    Stopped first, then killed, and repeated until nothing is found, so a learner's fork loop
    cannot outrun it. `descendants_of` adds another root (the worker's own leftovers)."""
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
    if not sys.platform.startswith("linux"):
        return
    for _ in range(5):
        table = _processes()
        victims = run_processes(pid, token, table=table)
        if descendants_of:
            victims |= run_processes(descendants_of, None, table=table)
        victims.discard(os.getpid())
        if not victims:
            return
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for victim in victims:
                try:
                    os.kill(victim, sig)
                except (ProcessLookupError, PermissionError):
                    pass
        time.sleep(0.01)


def has_children() -> bool:
    """Does this process still have a child (running, or a zombie, which this call reaps)?"""
    try:
        os.waitpid(-1, os.WNOHANG)
        return True
    except ChildProcessError:
        return False


def _isolate(request: RunRequest) -> None:
    """Stdin from /dev/null, stdout/stderr to a size-capped file, memory capped, own session."""
    try:
        os.setsid()  # the parent can end us and everything we start with one killpg
    except OSError:
        pass  # already a session leader (cold subprocess started with start_new_session)
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # the worker (or cold caller) died: so do we
    prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans of the learner's processes stay ours to end
    # Ctrl-C in the terminal never reaches us (own session); a SIGINT the learner's code sends
    # itself is a KeyboardInterrupt on both paths (the warm worker ignores SIGINT; we do not).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if request.run_token:
        os.environ[TOKEN_ENV] = request.run_token
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
    threads = torch_threads()
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    # hypothesis keeps its example database out of the learner's folders
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(request.workspace) / ".arena" / "hypothesis"))
    install_socket_guard()
    trace = open(request.traceback_path, "w")  # noqa: SIM115 - faulthandler keeps using it
    faulthandler.enable(file=trace)
    faulthandler.dump_traceback_later(max(request.timeout - STACK_DUMP_MARGIN, 0.1), file=trace)
    # Our own deadline, enforced by the kernel (SIGALRM's default action ends the process even
    # while the learner's code holds the GIL), a little after the parent's.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, request.timeout + CHILD_DEADLINE_GRACE)

    import pytest

    from arena_cli.pytest_plugin import ArenaReport, Locator

    locator = Locator(Path(request.workspace), Path(request.exercise_file), Path(request.test_file))
    plugin = ArenaReport(Path(request.report_path), locator)
    code = pytest.main(pytest_args(request), plugins=[plugin])
    faulthandler.cancel_dump_traceback_later()
    if has_children():  # what the learner's code left running (we are its subreaper)
        kill_run(None, None, descendants_of=os.getpid())
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    try:
        return int(code)
    except (TypeError, ValueError):
        return 3


def torch_threads() -> int:
    """ARENA_TORCH_THREADS as a positive whole number (1 when unset); the runner has already
    refused a bad value with a clear message, so a bad one here falls back to 1."""
    raw = os.environ.get("ARENA_TORCH_THREADS", "").strip()
    try:
        value = int(raw) if raw else 1
    except ValueError:
        return 1
    return value if value > 0 else 1


if __name__ == "__main__":  # the cold path: python -P -m arena_cli.child REQUEST_JSON
    exit_code = 70
    try:
        exit_code = execute(RunRequest.from_json(sys.argv[1]))
    finally:
        os._exit(exit_code)

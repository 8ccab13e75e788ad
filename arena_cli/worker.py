"""The warm worker: a long-lived process that imports everything the checks need and forks a
fresh child for every run.

Why: importing torch and TransformerLens costs seconds; paying it once and forking keeps every
run's overhead far below that, while each child still imports the learner's edited file fresh.
The worker itself never runs tensor code (fork safety): it only imports, and it runs one trivial
pytest session so pytest's own lazy imports are warm too. `gc.freeze()` before every fork that
follows new imports keeps the children's garbage collections from walking the inherited heap.

Warming never delays a verdict: the worker says "ready" at once and imports the preload list one
module at a time while it has nothing to do, looking for a request between two modules. A run
that arrives first is served first: the worker imports only what that check file (its conftests
and the exercise file) import, among the preload list's packages, then forks; the rest of the
list follows once the run is over. When the list is done it says "warm" (with the modules that
failed to import, which `arena doctor` also names; see `check_preload`).

Protocol (JSON lines): requests on stdin — {"type": "run", "id": N, "request": {...}},
{"type": "cancel", "id": N}, {"type": "quit"}; replies on the original stdout —
{"type": "ready", ...}, {"type": "warm", "preload_failed": [...], ...},
{"type": "done", "id": N, "exit": {...}, "wall": seconds}.
"""

from __future__ import annotations

import gc
import ast
import importlib
import json
import os
import select
import signal
import sys
import tempfile
import time
from pathlib import Path

from arena_cli.child import _PR_SET_CHILD_SUBREAPER, RunRequest, execute, has_children, kill_run, prctl, pytest_args

# What the checks import; the worker imports them once so no run pays for it again.
PRELOAD = (
    "numpy",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.optim",
    "torch._dynamo",  # the first optimizer step imports it (seconds, ~800 modules)
    "torch.distributed",
    "einops",
    "jaxtyping",
    "transformer_lens",
    "transformer_lens.model_bridge",
    "transformer_lens.hook_points",
    "transformer_lens.FactoredMatrix",
    "transformer_lens.patching",
    "sae_lens",  # sections 1.3 and 1.4 check against its SAE classes
    "nnsight",  # 1.6 fv_nnsight
    "hypothesis",
    "pytest",
    "arena_cli.testing",
    "arena_cli.pytest_plugin",
    # the course's shared scaffolding and the zoo loader, which many checks import
    "arena_cli.course.transformer",
    "arena_cli.course.cnn",
    "arena_cli.course.optim",
    "arena_cli.course.backprop",
    "arena_cli.course.distributed",
    "arena_cli.zoo",
    "arena_cli.zoo._common",
)
POLL_SECONDS = 0.05
# Seconds the worker waits, after "ready" and after each run, for a request before it goes on
# with the long imports: `arena watch` asks for the current exercise at once, and `verify`, the
# bank and `dev times` ask for the next run within milliseconds of a verdict.
REQUEST_GRACE = 0.3
WARM_PYTEST = "<a trivial pytest session>"
RUN_NEEDS = ("pytest", "arena_cli.pytest_plugin")  # what every child imports (arena_cli.child)


def preload_names() -> list[str]:
    """PRELOAD, or `ARENA_WORKER_PRELOAD` (comma-separated module names), which replaces it,
    e.g. for a course whose checks need no torch."""
    override = os.environ.get("ARENA_WORKER_PRELOAD")
    return [n.strip() for n in override.split(",") if n.strip()] if override else list(PRELOAD)


def import_quietly(name: str) -> bool:
    """Import one module; False if it (or something it imports) fails. Never raises."""
    try:
        importlib.import_module(name)
        return True
    except BaseException:  # noqa: BLE001 - a broken optional package must not stop the worker
        return False


def preload() -> list[str]:
    """Import the whole preload list now; return the modules that failed."""
    return [name for name in preload_names() if not import_quietly(name)]


def check_preload() -> list[dict]:
    """Try every preload import in this process (a fresh one: `python -m arena_cli.worker
    --check-preload`); what failed, with the error's last line, for `arena doctor`."""
    failed = []
    for name in preload_names():
        try:
            importlib.import_module(name)
        except BaseException as error:  # noqa: BLE001
            failed.append({"module": name, "error": f"{type(error).__name__}: {error}".splitlines()[0][:300]})
    return failed


def imported_names(path: Path) -> list[str]:
    """The modules a Python file imports (any depth in the file, not relative ones); [] if unreadable."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def needed_first(request: RunRequest, preload_list: list[str]) -> list[str]:
    """What this run's check file, its conftests and the exercise file import, kept to the
    packages of the preload list (so the worker never imports the learner's own modules), in
    the order the preload list gives those packages. `from a.b import c` gives a.b and, when c is
    a module in the list, a.b.c."""
    allowed = {name.split(".")[0] for name in preload_list}
    files = [Path(request.test_file), Path(request.exercise_file)]
    folder, top = Path(request.test_file).parent, Path(request.workspace)
    while True:  # conftest.py of the check's folder and every folder above it in the workspace
        files.append(folder / "conftest.py")
        if folder == top or top not in folder.parents:
            break
        folder = folder.parent
    wanted: list[str] = []
    for path in files:
        for name in imported_names(path):
            if name.split(".")[0] in allowed and name not in wanted:
                wanted.append(name)
    return wanted


def warm_pytest() -> None:
    """Run one trivial pytest session so pytest's lazily imported modules are loaded."""
    import pytest

    with tempfile.TemporaryDirectory(prefix="arena-warm-") as folder:
        test = Path(folder) / "test_warm.py"
        test.write_text("def test_warm():\n    assert True\n")
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1), os.dup(2)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            args = pytest_args(RunRequest(folder, str(test), str(test), "", "", "", 1.0))
            pytest.main(args)
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, devnull):
                os.close(fd)


def rss_kib(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class LineReader:
    """Complete lines from a file descriptor, without Python's buffering (select-friendly)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.closed = False

    def read_available(self) -> list[str]:
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.closed = True
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [line.decode() for line in lines if line.strip()]


class Worker:
    def __init__(self, reply_fd: int, to_preload: list[str] | None = None) -> None:
        self.reply_fd = reply_fd
        self.requests = LineReader(0)
        self.pending: list[dict] = []
        self.quitting = False  # a "quit" (or the end of stdin) arrived during a run
        self.preload_list = preload_names() if to_preload is None else list(to_preload)
        self.to_preload = [*self.preload_list, WARM_PYTEST]  # what is left to import, in order
        self.failed: list[str] = []
        self.tried: set[str] = set()
        self.started = time.perf_counter()
        self.grace_until = self.started + REQUEST_GRACE
        self.frozen_modules = -1  # len(sys.modules) at the last gc.freeze()
        self.warm_sent = False

    def send(self, message: dict) -> None:
        os.write(self.reply_fd, (json.dumps(message) + "\n").encode())

    def next_message(self) -> dict | None:
        while not self.pending:
            if self.requests.closed:
                return None
            idle = self.to_preload and time.perf_counter() >= self.grace_until
            if idle:
                timeout: float | None = 0.0
            elif self.to_preload:
                timeout = max(self.grace_until - time.perf_counter(), 0.0)
            else:
                timeout = None
            readable, _, _ = select.select([self.requests.fd], [], [], timeout)
            if readable:
                self.pending.extend(json.loads(line) for line in self.requests.read_available())
            elif idle:
                self.preload_next()
        return self.pending.pop(0)

    def load(self, name: str) -> None:
        if name in self.tried:
            return
        self.tried.add(name)
        if name == WARM_PYTEST:
            try:
                warm_pytest()
            except BaseException:  # noqa: BLE001 - only a warm-up
                pass
        elif not import_quietly(name) and name in self.preload_list:
            self.failed.append(name)

    def preload_next(self) -> None:
        """Import the next module of the list (between runs only); say "warm" after the last."""
        self.load(self.to_preload.pop(0))
        self.say_warm()

    def say_warm(self) -> None:
        if not self.to_preload and not self.warm_sent:
            self.warm_sent = True
            self.send(
                {
                    "type": "warm",
                    "seconds": time.perf_counter() - self.started,
                    "rss_kib": rss_kib(),
                    "preload_failed": self.failed,
                }
            )

    def prepare(self, request: RunRequest) -> None:
        """Import what this run needs first, then freeze the heap for the children."""
        # Once warm, everything in the list is imported: no file is read (it costs ms per run).
        first = needed_first(request, self.preload_list) if self.to_preload else []
        for name in [*RUN_NEEDS, *first]:
            self.load(name)
            if name in self.to_preload:
                self.to_preload.remove(name)
        self.say_warm()
        if len(sys.modules) != self.frozen_modules:
            gc.collect()
            gc.freeze()
            self.frozen_modules = len(sys.modules)

    def serve(self) -> None:
        while not self.quitting and (message := self.next_message()) is not None:
            if message.get("type") == "run":
                self.run(message["id"], RunRequest(**message["request"]))
            elif message.get("type") == "quit":
                return
            # a "cancel" for a run that already ended is ignored

    def run(self, run_id: int, request: RunRequest) -> None:
        self.prepare(request)  # not counted in the run's time limit, as a cold run's start is not
        start = time.perf_counter()
        done_r, done_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 70
            try:
                os.close(done_r)
                os.close(self.reply_fd)
                code = execute(request)
            except BaseException:  # noqa: BLE001 - report as a crash, never fall back into the loop
                pass
            finally:
                os._exit(code)
        os.close(done_w)
        deadline = start + request.timeout
        status: int | None = None
        timed_out = cancelled = False
        try:
            while status is None:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    timed_out = True
                    break
                watch = [done_r] + ([] if self.requests.closed else [self.requests.fd])
                readable, _, _ = select.select(watch, [], [], min(remaining, POLL_SECONDS))
                if self.requests.fd in readable:
                    for line in self.requests.read_available():
                        message = json.loads(line)
                        if message.get("type") == "cancel" and message.get("id") == run_id:
                            cancelled = True
                        elif message.get("type") == "quit":
                            cancelled = self.quitting = True
                        elif message.get("type") != "cancel":
                            self.pending.append(message)
                    if self.requests.closed:  # the client is gone: end the run and ourselves
                        cancelled = self.quitting = True
                    if cancelled:
                        break
                if done_r in readable:
                    os.read(done_r, 1)  # EOF once the child (and anything holding the pipe) is gone
                finished, raw = os.waitpid(pid, os.WNOHANG)
                if finished:
                    status = raw
        finally:
            os.close(done_r)
            try:
                os.killpg(pid, signal.SIGKILL)  # the child and anything in its process group
            except (ProcessLookupError, PermissionError):
                pass
            if status is None:
                _, status = os.waitpid(pid, 0)
            if has_children():
                # We are a subreaper: what the learner's code started in another session was
                # handed to us when the child ended. End it (and its token-carrying relatives).
                kill_run(None, request.run_token, descendants_of=os.getpid())
                give_up = time.monotonic() + 2.0
                while has_children() and time.monotonic() < give_up:  # reap them
                    time.sleep(0.005)
        exit_info = {"timed_out": timed_out, "cancelled": cancelled, "returncode": None, "signal": None}
        if not timed_out and not cancelled:
            if os.WIFSIGNALED(status):
                exit_info["signal"] = os.WTERMSIG(status)
            else:
                exit_info["returncode"] = os.WEXITSTATUS(status)
        self.send({"type": "done", "id": run_id, "exit": exit_info, "wall": time.perf_counter() - start})
        self.grace_until = time.perf_counter() + REQUEST_GRACE


def main() -> None:
    # Keep the protocol channel private: anything printed by imports goes to stderr instead.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the client's to handle
    prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans of a run are handed to us, so we can end them
    worker = Worker(reply_fd)
    # Ready at once: the first run imports only what it needs (see `Worker.prepare`).
    worker.send({"type": "ready", "pid": os.getpid(), "seconds": time.perf_counter() - worker.started, "rss_kib": rss_kib()})
    worker.serve()


if __name__ == "__main__":
    if sys.argv[1:] == ["--check-preload"]:
        print(json.dumps({"failed": check_preload()}))
        sys.exit(0)
    sys.exit(main())

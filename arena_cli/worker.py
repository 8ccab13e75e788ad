"""The warm worker: a long-lived process that has imported everything the checks need and forks
a fresh child for every run.

Why: importing torch and TransformerLens costs seconds; paying it once and forking keeps every
run's overhead far below that, while each child still imports the learner's edited file fresh.
The worker itself never runs tensor code (fork safety): it only imports, and it runs one trivial
pytest session at start-up so pytest's own lazy imports are warm too. `gc.freeze()` before the
first fork keeps the children's garbage collections from walking the whole inherited heap.

Protocol (JSON lines): requests on stdin — {"type": "run", "id": N, "request": {...}},
{"type": "cancel", "id": N}, {"type": "quit"}; replies on the original stdout —
{"type": "ready", ...}, {"type": "done", "id": N, "exit": {...}, "wall": seconds}.
"""

from __future__ import annotations

import gc
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


def preload() -> list[str]:
    """Import what checks use; return the modules that failed (the runs will then pay for them).

    `ARENA_WORKER_PRELOAD` (comma-separated module names) replaces the list, e.g. for a course
    whose checks need no torch."""
    failed = []
    override = os.environ.get("ARENA_WORKER_PRELOAD")
    names = [n.strip() for n in override.split(",") if n.strip()] if override else PRELOAD
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional module must not stop the worker
            failed.append(name)
    return failed


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
    def __init__(self, reply_fd: int) -> None:
        self.reply_fd = reply_fd
        self.requests = LineReader(0)
        self.pending: list[dict] = []
        self.quitting = False  # a "quit" (or the end of stdin) arrived during a run

    def send(self, message: dict) -> None:
        os.write(self.reply_fd, (json.dumps(message) + "\n").encode())

    def next_message(self) -> dict | None:
        while not self.pending:
            if self.requests.closed:
                return None
            select.select([self.requests.fd], [], [])
            self.pending.extend(json.loads(line) for line in self.requests.read_available())
        return self.pending.pop(0)

    def serve(self) -> None:
        while not self.quitting and (message := self.next_message()) is not None:
            if message.get("type") == "run":
                self.run(message["id"], RunRequest(**message["request"]))
            elif message.get("type") == "quit":
                return
            # a "cancel" for a run that already ended is ignored

    def run(self, run_id: int, request: RunRequest) -> None:
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


def main() -> None:
    # Keep the protocol channel private: anything printed by imports goes to stderr instead.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the client's to handle
    prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans of a run are handed to us, so we can end them
    started = time.perf_counter()
    failed = preload()
    warm_pytest()
    gc.collect()
    gc.freeze()
    worker = Worker(reply_fd)
    worker.send(
        {
            "type": "ready",
            "pid": os.getpid(),
            "seconds": time.perf_counter() - started,
            "rss_kib": rss_kib(),
            "preload_failed": failed,
        }
    )
    worker.serve()


if __name__ == "__main__":
    sys.exit(main())

"""Run one exercise's checks and return a `RunResult`. Never prints.

Two back-ends with the same results: `WarmRunner` hands the request to the long-lived worker
(`arena_cli.worker`), which forks a fresh child per run so no run pays the imports again;
`ColdRunner` starts a fresh interpreter per run and is the fallback where fork is unavailable or
the worker is not ready. Either way the run happens in another process, so nothing the learner's
code does (loop, crash, exit, allocate) can take the runner down with it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from arena_cli.child import RunRequest
from arena_cli.manifest import Exercise
from arena_cli.results import Location, RunResult, Status, from_report

DEFAULT_MEMORY_LIMIT_MB = int(os.environ.get("ARENA_MEMORY_LIMIT_MB", "4096"))
OUTPUT_TAIL_CHARS = 2000

SIGNAL_TEXT = {
    signal.SIGSEGV: "a segmentation fault (SIGSEGV)",
    signal.SIGABRT: "an abort (SIGABRT)",
    signal.SIGKILL: "being killed (SIGKILL), most often by the system running out of memory",
    signal.SIGBUS: "a bus error (SIGBUS)",
    signal.SIGFPE: "a floating-point exception (SIGFPE)",
}


@dataclass(frozen=True)
class ExitInfo:
    """How the process that ran the checks ended."""

    returncode: int | None = None  # exit status when it exited
    signal: int | None = None  # the signal that ended it
    timed_out: bool = False
    cancelled: bool = False


class Runner(Protocol):
    def run(self, exercise: Exercise, *, exercise_root: Path | None = None) -> RunResult: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class RunFiles:
    """A temp folder for one run's report, output and stack dump."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="arena-run-"))

    def request(self, root: Path, exercise: Exercise, exercise_root: Path | None, memory_limit_mb: int) -> RunRequest:
        exercise_file = (exercise_root or root / "exercises") / exercise.section / f"{exercise.name}.py"
        return RunRequest(
            workspace=str(root),
            test_file=str(root / exercise.test_path),
            exercise_file=str(exercise_file),
            report_path=str(self.folder / "report.json"),
            output_path=str(self.folder / "output.txt"),
            traceback_path=str(self.folder / "stack.txt"),
            timeout=float(exercise.timeout),
            exercise_root=str(exercise_root) if exercise_root else None,
            memory_limit_mb=memory_limit_mb,
        )

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _read(path: str, tail: int | None = None) -> str:
    try:
        with open(path, "rb") as handle:
            if tail is not None:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(size - tail, 0))
            return handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')


def stack_location(dump: str, request: RunRequest) -> Location | None:
    """The learner's line in a faulthandler dump (most recent call first)."""
    target = Path(request.exercise_file).resolve()
    for match in _FRAME.finditer(dump):
        if Path(match["path"]).resolve() == target:
            try:
                shown = str(target.relative_to(Path(request.workspace)))
            except ValueError:
                shown = str(target)
            return Location(shown, int(match["line"]))
    return None


def interpret(exercise: Exercise, request: RunRequest, ended: ExitInfo, *, wall_time: float, backend: str) -> RunResult:
    """Turn how the child ended, and what it left behind, into a result."""
    if ended.cancelled:
        return RunResult(exercise.name, Status.CANCELLED, wall_time=wall_time, backend=backend)
    output = _read(request.output_path, tail=OUTPUT_TAIL_CHARS)
    if ended.timed_out:
        return RunResult(
            exercise.name,
            Status.TIMEOUT,
            wall_time=wall_time,
            message=(
                f"the checks ran longer than {exercise.timeout:g} s and were stopped; "
                "your code may loop forever (or be far too slow)"
            ),
            location=stack_location(_read(request.traceback_path), request),
            output=output,
            backend=backend,
        )
    report_text = _read(request.report_path)
    if report_text:
        try:
            report = json.loads(report_text)
        except ValueError:
            report = None
        if report is not None:
            return from_report(exercise.name, report, wall_time=wall_time, backend=backend)
    if ended.signal is not None:
        try:
            name = SIGNAL_TEXT.get(signal.Signals(ended.signal), signal.Signals(ended.signal).name)
        except ValueError:
            name = f"signal {ended.signal}"
        message = f"the process running your code crashed with {name}"
    else:
        message = (
            f"the process running your code exited with code {ended.returncode} before the checks finished; "
            "look for os._exit() or sys.exit() in your code"
        )
    return RunResult(
        exercise.name,
        Status.CRASHED,
        wall_time=wall_time,
        message=message,
        location=stack_location(_read(request.traceback_path), request),
        output=output,
        backend=backend,
    )


def missing_result(exercise: Exercise) -> RunResult:
    return RunResult(
        exercise.name,
        Status.MISSING,
        message=f"{exercise.path} does not exist; `arena reset {exercise.name}` restores the original",
    )


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class ColdRunner:
    """A fresh interpreter per run: slow (pays every import) but works everywhere."""

    backend = "cold"

    def __init__(self, root: Path, *, memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB) -> None:
        self.root = root
        self.memory_limit_mb = memory_limit_mb
        self._process: subprocess.Popen[bytes] | None = None
        self._cancelled = threading.Event()

    def run(self, exercise: Exercise, *, exercise_root: Path | None = None) -> RunResult:
        if exercise_root is None and not (self.root / exercise.path).exists():
            return missing_result(exercise)
        files = RunFiles()
        request = files.request(self.root, exercise, exercise_root, self.memory_limit_mb)
        self._cancelled.clear()
        start = time.perf_counter()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "arena_cli.child", request.to_json()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.root,
            )
            timed_out = False
            try:
                self._process.wait(timeout=exercise.timeout + 5.0)  # + interpreter start-up
            except subprocess.TimeoutExpired:
                timed_out = True
            _kill_group(self._process.pid)
            self._process.wait()
            code = self._process.returncode
            ended = ExitInfo(
                returncode=code if code >= 0 else None,
                signal=-code if code < 0 and not timed_out else None,
                timed_out=timed_out,
                cancelled=self._cancelled.is_set(),
            )
            return interpret(exercise, request, ended, wall_time=time.perf_counter() - start, backend=self.backend)
        finally:
            self._process = None
            files.cleanup()

    def cancel(self) -> None:
        process = self._process
        if process is not None:
            self._cancelled.set()
            _kill_group(process.pid)

    def close(self) -> None:
        self.cancel()


class WarmRunner:
    """Client of the warm worker process; falls back to a cold run when the worker is unusable.

    `start()` launches the worker in the background (it needs a few seconds to import torch and
    TransformerLens); a run asked for before it is ready waits for it, since waiting is never
    slower than a cold start that pays the same imports.
    """

    backend = "warm"
    READY_TIMEOUT = 120.0

    def __init__(self, root: Path, *, memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB) -> None:
        self.root = root
        self.memory_limit_mb = memory_limit_mb
        self.cold = ColdRunner(root, memory_limit_mb=memory_limit_mb)
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._ready_info: dict = {}
        self._replies: dict[int, dict] = {}
        self._reply_arrived = threading.Condition()
        self._next_id = 0
        self._current_id: int | None = None
        self._send_lock = threading.Lock()
        self._dead = False

    @staticmethod
    def available() -> bool:
        return hasattr(os, "fork") and sys.platform.startswith("linux")

    def start(self) -> None:
        if self._process is not None or not self.available():
            return
        env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "arena_cli.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal reaches the client only
            cwd=self.root,
            env=env,
        )
        threading.Thread(target=self._read_replies, name="arena-worker-replies", daemon=True).start()

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set() and not self._dead

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def ready_info(self) -> dict:
        return dict(self._ready_info)

    def wait_ready(self, timeout: float | None = None) -> bool:
        self.start()
        if self._process is None:
            return False
        deadline = time.monotonic() + (self.READY_TIMEOUT if timeout is None else timeout)
        while not self._ready.wait(0.05):
            if self._dead or time.monotonic() > deadline:
                return False
        return not self._dead

    def _read_replies(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for raw in self._process.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if message.get("type") == "ready":
                self._ready_info = message
                self._ready.set()
            elif message.get("type") == "done":
                with self._reply_arrived:
                    self._replies[message["id"]] = message
                    self._reply_arrived.notify_all()
        with self._reply_arrived:
            self._dead = True
            self._reply_arrived.notify_all()

    def _send(self, message: dict) -> bool:
        process = self._process
        if process is None or process.stdin is None:
            return False
        try:
            with self._send_lock:
                process.stdin.write((json.dumps(message) + "\n").encode())
                process.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            self._dead = True
            return False

    def run(self, exercise: Exercise, *, exercise_root: Path | None = None) -> RunResult:
        if exercise_root is None and not (self.root / exercise.path).exists():
            return missing_result(exercise)
        start = time.perf_counter()
        if not self.wait_ready():
            return self.cold.run(exercise, exercise_root=exercise_root)
        files = RunFiles()
        request = files.request(self.root, exercise, exercise_root, self.memory_limit_mb)
        try:
            with self._reply_arrived:
                self._next_id += 1
                run_id = self._current_id = self._next_id
            if not self._send({"type": "run", "id": run_id, "request": json.loads(request.to_json())}):
                return self.cold.run(exercise, exercise_root=exercise_root)
            with self._reply_arrived:
                while run_id not in self._replies and not self._dead:
                    self._reply_arrived.wait()
                reply = self._replies.pop(run_id, None)
                self._current_id = None
            if reply is None:  # the worker died (killed from outside): recover with a cold run
                self._restart()
                return self.cold.run(exercise, exercise_root=exercise_root)
            ended = ExitInfo(**reply["exit"])
            return interpret(exercise, request, ended, wall_time=time.perf_counter() - start, backend=self.backend)
        finally:
            files.cleanup()

    def _restart(self) -> None:
        self.close()
        self._process = None
        self._ready.clear()
        self._dead = False
        self.start()

    def cancel(self) -> None:
        run_id = self._current_id
        if run_id is not None:
            self._send({"type": "cancel", "id": run_id})
        self.cold.cancel()

    def close(self) -> None:
        process = self._process
        if process is None:
            return
        self._send({"type": "quit"})
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass


def make_runner(root: Path, *, warm: bool = True, memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB) -> Runner:
    if warm and WarmRunner.available():
        return WarmRunner(root, memory_limit_mb=memory_limit_mb)
    return ColdRunner(root, memory_limit_mb=memory_limit_mb)

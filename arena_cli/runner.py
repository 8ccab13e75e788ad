"""Run one exercise's checks and return a `RunResult`. Never prints.

Two back-ends with the same results: `WarmRunner` hands the request to the long-lived worker
(`arena_cli.worker`), which forks a fresh child per run so no run pays the imports again;
`ColdRunner` starts a fresh interpreter per run and is the fallback where fork is unavailable or
the worker is not ready. Either way the run happens in another process, so nothing the learner's
code does (loop, crash, exit, allocate) can take the runner down with it, and when a run ends, by
any route (verdict, timeout, cancel, Ctrl-C, `close()`), no process it started is left alive
(`arena_cli.child.kill_run`) and its temporary folder is gone.

Which `arena_cli` the checks import: the one this runner runs from (the installed package),
never a copy inside the course folder. The worker and the cold child start with `python -P`
(the working directory, which is the workspace, is not put on `sys.path`) and with the folder
that holds this package first on `PYTHONPATH`. Why: the runner and its pytest plugin speak one
report format, so they must be the same version, and the course folder is the learner's to edit.
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
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import arena_cli
from arena_cli.child import COLD_START_ALLOWANCE, RunRequest, kill_run
from arena_cli.errors import ArenaError
from arena_cli.files import file_problem
from arena_cli.manifest import Exercise
from arena_cli.results import Location, RunResult, Status, clip_output, from_report

DEFAULT_MEMORY_LIMIT_MB = 4096
MIN_MEMORY_LIMIT_MB = 128  # below this not even pytest runs, and the learner would be told nonsense
MEMORY_ENV = "ARENA_MEMORY_LIMIT_MB"
THREADS_ENV = "ARENA_TORCH_THREADS"
OUTPUT_TAIL_CHARS = 2000
RUN_FOLDER_PREFIX = "arena-run-"


class RunSettingError(ArenaError):
    exit_code = 2


def memory_limit_from_env() -> int:
    """ARENA_MEMORY_LIMIT_MB (default 4096), refused with one clear line when unusable."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    if not raw:
        return DEFAULT_MEMORY_LIMIT_MB
    try:
        value = int(raw)
    except ValueError:
        raise RunSettingError(
            f"{MEMORY_ENV}={raw!r} is not a whole number of megabytes; set e.g. {MEMORY_ENV}={DEFAULT_MEMORY_LIMIT_MB}, or unset it"
        ) from None
    if value <= 0:
        return 0  # 0 (or less): no memory limit
    if value < MIN_MEMORY_LIMIT_MB:
        raise RunSettingError(
            f"{MEMORY_ENV}={value} is too small to run any checks (at least {MIN_MEMORY_LIMIT_MB}; the default is "
            f"{DEFAULT_MEMORY_LIMIT_MB}; 0 means no limit)"
        )
    return value


def check_torch_threads() -> None:
    raw = os.environ.get(THREADS_ENV, "").strip()
    if raw and not (raw.isdigit() and int(raw) > 0):
        raise RunSettingError(f"{THREADS_ENV}={raw!r} is not a positive whole number; set e.g. {THREADS_ENV}=1, or unset it")


def checker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the worker and the cold child: this package's folder first on the path."""
    home = str(Path(arena_cli.__file__).resolve().parent.parent)
    paths = [home] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != home]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), **(extra or {}))

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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_run_folders() -> None:
    """Remove run folders left by an arena process that was killed outright (kill -9)."""
    try:
        entries = list(Path(tempfile.gettempdir()).glob(f"{RUN_FOLDER_PREFIX}*"))
    except OSError:
        return
    for folder in entries:
        owner = folder.name[len(RUN_FOLDER_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and int(owner) != os.getpid() and not _alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


class Runner(Protocol):
    def run(self, exercise: Exercise, *, exercise_root: Path | None = None) -> RunResult: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class RunFiles:
    """A temp folder for one run's report, output and stack dump, and the run's token.

    The folder's name starts with this process's pid, so a later arena can remove it if this
    one is killed before it could (`sweep_stale_run_folders`)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"{RUN_FOLDER_PREFIX}{os.getpid()}-"))
        self.token = f"{os.getpid()}-{uuid.uuid4().hex}"

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
            run_token=self.token,
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
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return ""


_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
_DUMP_ESCAPE = re.compile(r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})|\\U([0-9a-f]{8})")


def _dump_path(text: str) -> str:
    """faulthandler writes a non-ASCII character of a path as \\xNN, \\uNNNN or \\UNNNNNNNN."""
    return _DUMP_ESCAPE.sub(lambda m: chr(int(next(g for g in m.groups() if g), 16)), text)


def stack_location(dump: str, request: RunRequest) -> Location | None:
    """The learner's line in a faulthandler dump (most recent call first)."""
    target = Path(request.exercise_file).resolve()
    for match in _FRAME.finditer(dump):
        if Path(_dump_path(match["path"])).resolve() == target:
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
    output = clip_output(_read(request.output_path, tail=OUTPUT_TAIL_CHARS))
    if ended.timed_out or ended.signal == signal.SIGALRM:  # SIGALRM: the child's own deadline
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
        if isinstance(report, dict):
            if ended.returncode not in (None, 0) and report.get("exitstatus") == 0:
                report = {**report, "exitstatus": ended.returncode}  # pytest's own exit code is the one that counts
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


def missing_result(exercise: Exercise, problem: str | None = None) -> RunResult:
    """The exercise file is missing, a folder, a FIFO or unreadable: said without running anything."""
    return RunResult(
        exercise.name,
        Status.MISSING,
        message=problem or f"{exercise.path} does not exist; `arena reset {exercise.name}` restores the original",
    )


def _precheck(root: Path, exercise: Exercise, exercise_root: Path | None) -> RunResult | None:
    if exercise_root is not None:
        return None
    problem = file_problem(root, exercise)
    return missing_result(exercise, problem) if problem else None


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _graceful_sigterm() -> None:
    """`kill PID` (SIGTERM) and a closed terminal (SIGHUP) end a command like Ctrl-C does, so its
    runs are stopped and their temporary folders removed. Only where nothing else handles them."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(signum) is signal.SIG_DFL:
                signal.signal(signum, interrupt)
        except (ValueError, OSError):
            pass


class ColdRunner:
    """A fresh interpreter per run: slow (pays every import) but works everywhere."""

    backend = "cold"

    def __init__(self, root: Path, *, memory_limit_mb: int | None = None) -> None:
        self.root = root
        self.memory_limit_mb = memory_limit_from_env() if memory_limit_mb is None else memory_limit_mb
        check_torch_threads()
        self._process: subprocess.Popen[bytes] | None = None
        self._token: str | None = None
        self._cancelled = threading.Event()
        self._files: set[RunFiles] = set()

    def run(self, exercise: Exercise, *, exercise_root: Path | None = None) -> RunResult:
        problem = _precheck(self.root, exercise, exercise_root)
        if problem is not None:
            return problem
        files = RunFiles()
        self._files.add(files)
        request = files.request(self.root, exercise, exercise_root, self.memory_limit_mb)
        self._cancelled.clear()
        start = time.perf_counter()
        try:
            self._token = files.token
            self._process = subprocess.Popen(
                [sys.executable, "-P", "-m", "arena_cli.child", request.to_json()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.root,
                env=checker_env(),
            )
            timed_out = False
            try:
                self._process.wait(timeout=exercise.timeout + COLD_START_ALLOWANCE)
            except subprocess.TimeoutExpired:
                timed_out = True
            kill_run(self._process.pid, files.token)
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
            process, self._process = self._process, None
            if process is not None and process.poll() is None:  # Ctrl-C (or an error) mid-run
                kill_run(process.pid, files.token)
                process.wait()
            self._token = None
            files.cleanup()
            self._files.discard(files)

    def cancel(self) -> None:
        process = self._process
        if process is not None:
            self._cancelled.set()
            kill_run(process.pid, self._token)

    def close(self) -> None:
        self.cancel()
        for files in list(self._files):  # a run still waiting in another thread
            files.cleanup()


class WarmRunner:
    """Client of the warm worker process; falls back to a cold run when the worker is unusable.

    `start()` launches the worker in the background (it needs a few seconds to import torch and
    TransformerLens); a run asked for before it is ready waits for it, since waiting is never
    slower than a cold start that pays the same imports.
    """

    backend = "warm"
    READY_TIMEOUT = 120.0

    def __init__(self, root: Path, *, memory_limit_mb: int | None = None) -> None:
        self.root = root
        self.memory_limit_mb = memory_limit_from_env() if memory_limit_mb is None else memory_limit_mb
        self.cold = ColdRunner(root, memory_limit_mb=self.memory_limit_mb)
        self._in_flight: dict[int, RunFiles] = {}  # run id -> its files (and token)
        self._closed = False
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._ready_info: dict = {}
        self._warm = threading.Event()
        self._warm_info: dict = {}
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
        if self._process is not None or self._closed or not self.available():
            return
        env = checker_env({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-m", "arena_cli.worker"],
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

    @property
    def warm_info(self) -> dict:
        """The worker's "warm" message (seconds, rss_kib, preload_failed); {} until it came."""
        return dict(getattr(self, "_warm_info", {}))

    def wait_warm(self, timeout: float | None = None) -> bool:
        """Wait until the worker has imported its whole preload list (between runs)."""
        if not self.wait_ready(timeout):
            return False
        deadline = time.monotonic() + (self.READY_TIMEOUT if timeout is None else timeout)
        while not self._warm.wait(0.05):
            if self._dead or time.monotonic() > deadline:
                return False
        return not self._dead

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
            elif message.get("type") == "warm":  # the whole preload list is imported
                self._warm_info = message
                self._warm.set()
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
        problem = _precheck(self.root, exercise, exercise_root)
        if problem is not None:
            return problem
        start = time.perf_counter()
        if not self.wait_ready():
            if self._dead and not self._closed:  # it died since it was ready: the next run gets a new one
                self._restart()
            return self.cold.run(exercise, exercise_root=exercise_root)
        files = RunFiles()
        request = files.request(self.root, exercise, exercise_root, self.memory_limit_mb)
        run_id: int | None = None
        reply = None
        try:
            with self._reply_arrived:
                self._next_id += 1
                run_id = self._current_id = self._next_id
                self._in_flight[run_id] = files
            if not self._send({"type": "run", "id": run_id, "request": json.loads(request.to_json())}):
                # the worker died before it read the request (killed between runs): the reply
                # reader may not have noticed yet; restart it and answer with a cold run
                self._restart()
                return self.cold.run(exercise, exercise_root=exercise_root)
            with self._reply_arrived:
                while run_id not in self._replies and not self._dead:
                    self._reply_arrived.wait()
                reply = self._replies.pop(run_id, None)
                self._current_id = None
            if reply is None and self._closed:  # close() ended the worker during this run
                return RunResult(exercise.name, Status.CANCELLED, backend=self.backend)
            if reply is None:  # the worker died (killed from outside): recover with a cold run
                kill_run(None, files.token)
                self._restart()
                return self.cold.run(exercise, exercise_root=exercise_root)
            ended = ExitInfo(**reply["exit"])
            return interpret(exercise, request, ended, wall_time=time.perf_counter() - start, backend=self.backend)
        finally:
            if run_id is not None and reply is None:  # interrupted (Ctrl-C) before the worker answered
                self._send({"type": "cancel", "id": run_id})
                kill_run(None, files.token)
            with self._reply_arrived:
                if run_id is not None:
                    self._in_flight.pop(run_id, None)
                if self._current_id == run_id:
                    self._current_id = None
            files.cleanup()

    def _restart(self) -> None:
        self.close()
        self._closed = False
        self._process = None
        self._ready.clear()
        self._warm.clear()
        self._dead = False
        self.start()

    def cancel(self) -> None:
        run_id = self._current_id
        if run_id is not None:
            self._send({"type": "cancel", "id": run_id})
        self.cold.cancel()

    def close(self) -> None:
        """Stop the worker and whatever run is in flight; no process or run folder is left."""
        self._closed = True
        process = self._process
        if process is None:
            self.cold.close()
            return
        self._send({"type": "quit"})  # the worker ends a run in progress, then exits
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            process.wait()
        with self._reply_arrived:
            in_flight = list(self._in_flight.values())
        for files in in_flight:  # should the worker have died before it could end them
            kill_run(None, files.token)
            files.cleanup()
        self.cold.close()
        for stream in (process.stdin, process.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass


def make_runner(root: Path, *, warm: bool = True, memory_limit_mb: int | None = None) -> Runner:
    """A runner for `root`. Refuses unusable ARENA_MEMORY_LIMIT_MB / ARENA_TORCH_THREADS values
    (RunSettingError, one line), removes run folders a killed arena left behind, and lets SIGTERM
    and SIGHUP end the command like Ctrl-C so nothing it started survives."""
    limit = memory_limit_from_env() if memory_limit_mb is None else memory_limit_mb
    check_torch_threads()
    sweep_stale_run_folders()
    _graceful_sigterm()
    if warm and WarmRunner.available():
        return WarmRunner(root, memory_limit_mb=limit)
    return ColdRunner(root, memory_limit_mb=limit)

"""Run a function on several local processes joined by `torch.distributed` (gloo, 127.0.0.1).

    from arena_cli.course.distributed import run_on_ranks

    def worker(rank: int, world_size: int, scale: float) -> float:   # module level, in a file
        x = torch.tensor([rank * scale])
        dist.all_reduce(x)
        return x.item()

    run_on_ranks(worker, world_size=4, args=(2.0,))   # -> [12.0, 12.0, 12.0, 12.0]

Every rank has joined the process group (`dist.get_rank()`, `dist.get_world_size()` work) before
`worker(rank, world_size, *args)` is called, and leaves it afterwards. The return values come
back in rank order (they must pickle: tensors, numbers, lists, dicts...). What ranks print is
passed on to the caller's stdout. If any rank raises, the run stops at once and `RankError`
reports the traceback and output of the rank that failed first.

For checks: inside `point_to_point_only()` the collectives (`dist.broadcast`, `dist.all_reduce`,
...) raise, and `log_messages()` records every send and recv of the rank.

How it works, and why. The caller may be a process forked from a long-lived parent that has
imported torch (the runner's fast path), so ranks are not forked from it, and a worker defined in a
check or exercise file loaded under a synthetic module name cannot be imported by name. Instead
one fresh interpreter (the *supervisor*, `python -m arena_cli.course.distributed JOB_DIR`) imports
torch once, loads the worker's file by path, and forks the ranks before any tensor code has run
(one torch import instead of one per rank: about 1.5 s per run instead of 4-6 s with `spawn` on
a 2-core machine). Ranks write their results into a private temporary folder.

Nothing outlives a run, whatever the worker does:
- a rank that raises writes its report, leaves its process group (`destroy_process_group` in
  `finally`) and exits; the supervisor then kills the other ranks (which may be waiting for it)
  by process id;
- a send/recv that waits longer than `collective_timeout` raises inside the rank (gloo's timeout);
- after `timeout` seconds the supervisor kills every rank; if the supervisor itself is stuck, the
  caller kills its whole session (the supervisor and its ranks) by process-group id; and every rank
  carries an alarm that ends it shortly after `timeout` even if both of those are gone;
- the supervisor also stops when its caller disappears.
A fresh free port is picked for every run (and the run retried if another process takes it first).
Ranks talk over the loopback interface only, and the project's socket guard is active in them.
POSIX only (fork, process groups, alarms), like the runner.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import math
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 30.0
"""Seconds one run may take in all, from starting the supervisor to the last rank's exit."""

COLLECTIVE_TIMEOUT = 10.0
"""Seconds a send, recv or collective may wait for its partner before gloo raises."""

PORT_ATTEMPTS = 3
_KILL_GRACE = 10.0  # seconds the caller waits past `timeout` before killing the supervisor's group
_POLL = 0.01

# Collectives a from-scratch exercise must not call (point-to-point send/recv stay allowed).
COLLECTIVES = (
    "broadcast",
    "all_reduce",
    "reduce",
    "all_gather",
    "all_gather_into_tensor",
    "gather",
    "scatter",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "all_to_all",
    "all_to_all_single",
    "broadcast_object_list",
    "all_gather_object",
    "gather_object",
    "scatter_object_list",
    "batch_isend_irecv",
)


class RankError(RuntimeError):
    """A distributed run failed: a rank raised, died, or the run timed out."""


@dataclass(frozen=True)
class _Job:
    worker_file: str
    worker_name: str
    world_size: int
    port: int
    args: tuple[Any, ...]
    timeout: float
    collective_timeout: float
    caller_pid: int


# --------------------------------------------------------------------------- caller side


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_on_ranks(
    worker: Callable[..., Any],
    world_size: int,
    args: Sequence[Any] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT,
    collective_timeout: float = COLLECTIVE_TIMEOUT,
) -> list[Any]:
    """Call `worker(rank, world_size, *args)` on `world_size` processes; return results by rank.

    `worker` must be a module-level function of a Python file (it is loaded again, by path, in
    the new processes). Raises `RankError` if a rank raises, dies, or the run exceeds `timeout`.
    """
    __tracebackhide__ = True  # pytest: show the rank's error, not this launcher
    if world_size < 1:
        raise ValueError(f"world_size must be at least 1, got {world_size}")
    worker_file = inspect.getsourcefile(worker) or inspect.getfile(worker)
    if "<locals>" in worker.__qualname__ or "." in worker.__qualname__:
        raise ValueError(f"{worker.__qualname__}: the worker must be a module-level function")
    last_error: RankError | None = None
    for _ in range(PORT_ATTEMPTS):
        job = _Job(
            worker_file=str(Path(worker_file).resolve()),
            worker_name=worker.__name__,
            world_size=world_size,
            port=free_port(),
            args=tuple(args),
            timeout=timeout,
            collective_timeout=collective_timeout,
            caller_pid=os.getpid(),
        )
        try:
            return _run_job(job)
        except _PortTaken as error:
            last_error = RankError(str(error))
    assert last_error is not None
    raise last_error


class _PortTaken(Exception):
    pass


def _run_job(job: _Job) -> list[Any]:
    __tracebackhide__ = True  # pytest: show the rank's error, not this launcher
    job_dir = Path(tempfile.mkdtemp(prefix="arena-dist-"))
    try:
        (job_dir / "job.pkl").write_bytes(pickle.dumps(job))
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        with open(job_dir / "supervisor.log", "wb") as log:
            supervisor = subprocess.Popen(
                [sys.executable, "-m", "arena_cli.course.distributed", str(job_dir)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group: the ranks, forked by it, join it
            )
        try:
            supervisor.wait(timeout=job.timeout + _KILL_GRACE)
        except subprocess.TimeoutExpired:
            # The supervisor is not reaped yet, so its pid (= the group id) is still ours.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()
            raise RankError(
                f"the distributed run did not finish within {job.timeout:g} s and was killed"
            ) from None
        except BaseException:  # KeyboardInterrupt in the caller: leave nothing behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()
            raise
        return _collect(job, job_dir)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)


def _tail(text: str, lines: int = 30) -> str:
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join(kept)


def _rank_output(job_dir: Path, rank: int) -> str:
    path = job_dir / f"rank{rank}.log"
    return path.read_text(errors="replace") if path.exists() else ""


# Errors a rank gets because another rank failed first: reported only if nothing else is.
_SECONDARY = ("connection closed by peer", "connection reset by peer", "broken pipe")


def _root_cause(errors: dict[int, tuple[str, float]]) -> int:
    """The rank whose error most likely caused the others: a primary error, the earliest."""

    def key(rank: int) -> tuple[bool, float]:
        text, when = errors[rank]
        return any(marker in text.lower() for marker in _SECONDARY), when

    return min(errors, key=key)


def _collect(job: _Job, job_dir: Path) -> list[Any]:
    __tracebackhide__ = True  # pytest: show the rank's error, not this launcher
    status_path = job_dir / "status.pkl"
    if not status_path.exists():
        log = (job_dir / "supervisor.log").read_text(errors="replace")
        raise RankError(f"the distributed launcher failed before starting the ranks:\n{_tail(log)}")
    status = pickle.loads(status_path.read_bytes())
    if status.get("setup_error"):
        raise RankError(
            f"could not load the worker before starting the ranks:\n{_tail(status['setup_error'])}"
        )
    outcomes: dict[int, tuple[str, Any, float]] = {}
    for rank in range(job.world_size):
        path = job_dir / f"rank{rank}.pkl"
        if path.exists():
            try:
                outcomes[rank] = pickle.loads(path.read_bytes())
            except Exception as error:
                raise RankError(
                    f"rank {rank} returned something the caller cannot unpickle ({error!r}); "
                    "return tensors, numbers, strings, lists, tuples and dicts"
                ) from None
    errors = {r: (value, when) for r, (kind, value, when) in outcomes.items() if kind == "error"}
    if errors:
        rank = _root_cause(errors)
        text = errors[rank][0]
        if "address already in use" in text.lower():
            raise _PortTaken(f"port {job.port} was taken by another process")
        message = [f"rank {rank} of {job.world_size} raised:", _tail(text)]
        if "timed out" in text.lower() or "timeout" in text.lower():
            message.append(
                f"(rank {rank} waited too long for a partner; ranks still busy then: "
                f"{status.get('still_running', [])}. A deadlock? Every send needs a matching recv "
                "on the other rank, with the same shape and dtype, in the same order. Or a rank "
                "stuck in a loop.)"
            )
        if "pair is not connected" in text.lower():
            message.append("(did a rank send to itself, or receive from itself?)")
        output = _rank_output(job_dir, rank).strip()
        if output:
            message += [f"output of rank {rank}:", _tail(output, 15)]
        raise RankError("\n".join(message))
    if status.get("timed_out"):
        running = status.get("still_running", [])
        raise RankError(
            f"the distributed run did not finish within {job.timeout:g} s; ranks still running "
            f"when it was stopped: {running} (an endless loop, or a rank waiting for a message "
            "nobody sends?)"
        )
    missing = [rank for rank in range(job.world_size) if rank not in outcomes]
    if missing:
        codes = status.get("exit_codes", {})
        detail = ", ".join(f"rank {r}: exit code {codes.get(r)}" for r in missing)
        raise RankError(f"ranks ended without a result ({detail}); a crash or os._exit?")
    for rank in range(job.world_size):
        output = _rank_output(job_dir, rank)
        if output.strip():
            sys.stdout.write(f"--- output of rank {rank} ---\n{output}")
    return [outcomes[rank][1] for rank in range(job.world_size)]


# --------------------------------------------------------------------------- helpers for workers


@contextlib.contextmanager
def point_to_point_only() -> Iterator[None]:
    """Inside this block, `dist.<collective>` raises: only send/recv/isend/irecv may be used."""
    import torch.distributed as dist

    def refuse(name: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(
                f"dist.{name} is not allowed in this exercise: build the operation from "
                "dist.send / dist.recv (or dist.isend / dist.irecv)"
            )

        return refused

    saved = {name: getattr(dist, name) for name in COLLECTIVES if hasattr(dist, name)}
    for name in saved:
        setattr(dist, name, refuse(name))
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(dist, name, function)


@dataclass
class MessageLog:
    """What one rank sent and received through `dist.send/isend/recv/irecv`, in order."""

    sends: int = 0
    recvs: int = 0
    elements_sent: int = 0
    # ("send", destination, elements) or ("recv", source, elements); the source of an irecv
    # with no `src` is None
    events: list[tuple[str, int | None, int]] = field(default_factory=list)


def _peer(args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> int | None:
    peer = kwargs.get(name, args[0] if args else None)
    return None if peer is None else int(peer)


@contextlib.contextmanager
def log_messages() -> Iterator[MessageLog]:
    """Record this rank's point-to-point messages inside the block."""
    import torch.distributed as dist

    log = MessageLog()
    originals = {name: getattr(dist, name) for name in ("send", "isend", "recv", "irecv")}

    def sending(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            log.sends += 1
            log.elements_sent += tensor.numel()
            log.events.append(("send", _peer(args, kwargs, "dst"), tensor.numel()))
            return original(tensor, *args, **kwargs)

        return wrapped

    def receiving(original: Callable[..., Any], blocking: bool) -> Callable[..., Any]:
        def wrapped(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            log.recvs += 1
            outcome = original(tensor, *args, **kwargs)
            # dist.recv returns the sender's rank; irecv only knows the `src` it was given
            source = int(outcome) if blocking else _peer(args, kwargs, "src")
            log.events.append(("recv", source, tensor.numel()))
            return outcome

        return wrapped

    dist.send, dist.isend = sending(originals["send"]), sending(originals["isend"])
    dist.recv = receiving(originals["recv"], blocking=True)
    dist.irecv = receiving(originals["irecv"], blocking=False)
    try:
        yield log
    finally:
        for name, function in originals.items():
            setattr(dist, name, function)


# --------------------------------------------------------------------------- supervisor and ranks


def _load_worker(job: _Job) -> Callable[..., Any]:
    module_name = f"arena_dist_worker_{Path(job.worker_file).stem}"
    spec = importlib.util.spec_from_file_location(module_name, job.worker_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return getattr(module, job.worker_name)


def _write_atomically(path: Path, payload: bytes) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(payload)
    os.replace(temporary, path)


def _error_outcome(error: BaseException) -> tuple[str, str, float]:
    # Skip this module's own frame: the report starts in the worker.
    frames = error.__traceback__.tb_next if error.__traceback__ else None
    return "error", "".join(traceback.format_exception(type(error), error, frames)), time.time()


def _rank_main(
    job: _Job, job_dir: Path, worker: Callable[..., Any], rank: int, deadline: float
) -> None:
    """Body of one forked rank; never returns."""
    # The last resort, should the supervisor be gone: SIGALRM ends this process.
    signal.alarm(max(1, math.ceil(deadline - time.monotonic())) + 3)
    log_fd = os.open(job_dir / f"rank{rank}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    result_path = job_dir / f"rank{rank}.pkl"
    outcome: tuple[str, Any, float] | None = None
    try:
        from datetime import timedelta

        import torch
        import torch.distributed as dist

        torch.set_num_threads(1)  # several ranks share a few cores
        dist.init_process_group(
            "gloo",
            init_method=f"tcp://127.0.0.1:{job.port}",
            rank=rank,
            world_size=job.world_size,
            timeout=timedelta(seconds=job.collective_timeout),
        )
        try:
            outcome = ("ok", worker(rank, job.world_size, *job.args), time.time())
        except BaseException as error:  # everything, SystemExit included
            outcome = _error_outcome(error)
            # Report before leaving the group: the other ranks fail as soon as we leave, and
            # the supervisor then stops everyone, perhaps before this rank could write.
            _write_atomically(result_path, pickle.dumps(outcome))
        finally:
            dist.destroy_process_group()
    except BaseException as error:  # joining or leaving the group failed
        if outcome is None or outcome[0] == "ok":
            outcome = _error_outcome(error)
    try:
        if not result_path.exists():
            try:
                payload = pickle.dumps(outcome)
            except Exception as error:  # the worker returned something that does not pickle
                outcome = _error_outcome(error)
                payload = pickle.dumps(outcome)
            _write_atomically(result_path, payload)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0 if outcome is not None and outcome[0] == "ok" else 1)


def _supervise(job_dir: Path) -> None:
    job: _Job = pickle.loads((job_dir / "job.pkl").read_bytes())
    deadline = time.monotonic() + job.timeout
    status: dict[str, Any] = {"first_failure": None, "timed_out": False, "exit_codes": {}}
    try:
        from arena_cli.offline import install_socket_guard

        install_socket_guard()  # the ranks run learner code: no network there either
        # gloo talks over the loopback interface only (its default resolves the host name)
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo0" if sys.platform == "darwin" else "lo")

        import torch  # noqa: F401  (imported once here, shared by every forked rank)
        import torch.distributed  # noqa: F401

        worker = _load_worker(job)
    except BaseException as error:
        status["setup_error"] = "".join(traceback.format_exception(error))
        _write_atomically(job_dir / "status.pkl", pickle.dumps(status))
        return
    sys.stdout.flush()
    sys.stderr.flush()
    children: dict[int, int] = {}
    for rank in range(job.world_size):
        pid = os.fork()
        if pid == 0:
            _rank_main(job, job_dir, worker, rank, deadline)
        children[pid] = rank

    def kill_all() -> None:
        for pid in children:  # unreaped children: these pids cannot belong to anyone else
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    stopping = False  # once we kill ranks, their deaths are not failures of their own
    while children:
        pid, wait_status = os.waitpid(-1, os.WNOHANG)
        if pid:
            rank = children.pop(pid)
            code = os.waitstatus_to_exitcode(wait_status)
            status["exit_codes"][rank] = code
            if code != 0 and not stopping:
                status["first_failure"] = rank
                status["still_running"] = sorted(children.values())
                stopping = True
                kill_all()  # the others may be waiting for the failed rank forever
            continue
        caller_gone = os.getppid() != job.caller_pid
        if not stopping and (time.monotonic() > deadline or caller_gone):
            status["timed_out"] = True
            status["still_running"] = sorted(children.values())
            stopping = True
            kill_all()
        time.sleep(_POLL)
    if os.getppid() != job.caller_pid:  # nobody will read the results: clean up after the caller
        shutil.rmtree(job_dir, ignore_errors=True)
        return
    _write_atomically(job_dir / "status.pkl", pickle.dumps(status))


if __name__ == "__main__":  # the supervisor: python -m arena_cli.course.distributed JOB_DIR
    _supervise(Path(sys.argv[1]))

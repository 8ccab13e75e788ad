"""The watch loop: one queue of typed events, one handler, one screen.

Threads only translate (watchdog -> FileChanged, keyboard -> KeyPressed, a finished run ->
RunFinished); every decision is taken here, on the main thread. Saves are debounced, a save that
does not change the content does not re-run (`r` always does), and a save that arrives during a
run cancels it and runs again with the new content, so no save is ever lost.
"""

from __future__ import annotations

import hashlib
import os
import stat
import queue
import threading
import time
from collections import deque
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.text import Text

from arena_cli import render
from arena_cli.events import Event, FileChanged, InputClosed, KeyPressed, RunFinished, WatcherFailed
from arena_cli.files import reset as reset_file
from arena_cli.hints import read_levels
from arena_cli.live import publish_latest
from arena_cli.manifest import Exercise, Manifest
from arena_cli.progress import Progress, advance, current_exercise, record_result, reveal_hint, select
from arena_cli.results import RunResult, Status
from arena_cli.runner import Runner, make_runner
from arena_cli.errors import ArenaError
from arena_cli.state import load_state, update_state_noting
from arena_cli.watcher import exercise_for_path, start_observer

DEBOUNCE_SECONDS = 0.02  # the burst of events of one save (write, rename, attrib) lasts a few ms
RESET_CONFIRM_SECONDS = 5.0
# How often the loop looks at the current file itself, in case file-system events never come
# (WSL on /mnt, network drives): a change seen this way also suggests `--poll`.
SELF_CHECK_SECONDS = 1.0


def content_hash(path: Path) -> str | None:
    """The file's digest; None for anything that is not a readable regular file. Looks before it
    opens, so a named pipe in the exercise's place never blocks the loop."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


class WatchSession:
    def __init__(self, root: Path, manifest: Manifest, console: Console, runner: Runner, events: "queue.Queue[Event]") -> None:
        self.root = root
        self.manifest = manifest
        self.console = console
        self.runner = runner
        self.events = events
        self.progress: Progress = load_state(root, manifest).progress
        self.due: dict[str, float] = {}  # exercise -> when its debounced run fires
        self.forced: set[str] = set()  # runs that happen even if the content is unchanged
        self.queue: deque[tuple[Exercise, bool]] = deque()  # (exercise, part of "check all")
        self.running: tuple[Exercise, int, bool] | None = None
        self.rerun_after_cancel: tuple[Exercise, bool] | None = None
        self.ticket = 0
        self.ran_hash: dict[str, str | None] = {}  # the content each exercise was last checked with
        self.last_result: RunResult | None = None
        self.extra: RenderableType | None = None
        self.note = ""
        self.reset_armed_until: float | None = None  # a first x arms the reset until then
        self.batch_lines: list[Text] = []
        self.last_event_at: dict[str, float] = {}
        self.seen_stat: dict[str, tuple[float, int] | None] = {}
        self.next_self_check = 0.0
        self.suggested_poll = False
        self.welcome = not self.progress.done and not self.progress.hints
        self.list_screen = None  # the navigable list (arena_cli.list_view) while it is open
        self.editor = None  # arena_cli.editor.Editor with --edit-cmd / ARENA_EDITOR
        self.opened_for: str | None = None  # the exercise the editor was last opened on

    # ----- helpers -----------------------------------------------------------------------
    @property
    def current(self) -> Exercise | None:
        return current_exercise(self.manifest, self.progress)

    def save(self, change) -> None:  # noqa: ANN001 - Callable[[Progress], Progress]
        """Apply a change of progress and write it. The loop keeps what it holds in memory when the
        file cannot be written (one line in the footer) or was damaged (rewritten from memory)."""
        try:
            self.progress, notice = update_state_noting(self.root, self.manifest, change, known=self.progress)
        except ArenaError as error:  # StateUnwritable, StateTooNew: the watch goes on unsaved
            self.progress = change(self.progress)
            self.note = f"{error} (progress is kept in memory until then)"
            return
        if notice:
            self.note = notice

    def draw(self) -> None:
        if self.list_screen is not None:
            from arena_cli import list_view

            list_view.draw(self)
            return
        self.open_in_editor()
        if self.console.is_terminal:
            self.console.clear()
        parts: list[RenderableType] = []
        if self.welcome:
            parts.append(render.message_panel(self.manifest.welcome_message, title="arena", style="blue"))
        exercise = self.current
        if exercise is None:
            parts.append(render.message_panel(self.manifest.final_message, title="course complete", style="green"))
        else:
            parts.append(render.exercise_heading(exercise, self.manifest))
            if self.batch_lines:
                parts.append(Group(*self.batch_lines))
            elif self.running and self.running[0].name == exercise.name and not self.running[2]:
                starting = getattr(self.runner, "is_ready", True) is False
                parts.append(Text("checking... (first run: loading torch and TransformerLens)" if starting else "checking...", style="dim"))
            elif self.last_result is not None and self.last_result.exercise == exercise.name:
                parts.append(render.result_view(self.last_result))
                pictures = render.figures_view(self.last_result)
                if pictures is not None:
                    parts.append(pictures)
                if self.last_result.passed:
                    following = advance(self.manifest, self.progress)
                    upcoming = following.current
                    if upcoming and upcoming != exercise.name:
                        parts.append(Text(f"Well done. Press n for the next exercise: {upcoming}", style="green"))
        if self.extra is not None:
            parts.append(self.extra)
        parts.append(render.watch_footer(self.manifest, self.progress, self.note))
        self.console.print(Group(*parts))

    def open_in_editor(self) -> None:
        """--edit-cmd / ARENA_EDITOR: open the exercise once each time it becomes current."""
        exercise = self.current
        if self.editor is None or exercise is None or self.opened_for == exercise.name:
            return
        self.opened_for = exercise.name
        failure = self.editor.open(self.root / exercise.path)
        if failure:
            self.note = failure

    # ----- runs --------------------------------------------------------------------------
    def request_run(self, exercise: Exercise, *, force: bool = False, front: bool = True, batch: bool = False) -> None:
        if not force and not batch:
            digest = content_hash(self.root / exercise.path)
            if digest is not None and self.ran_hash.get(exercise.name) == digest:
                return  # saved without changes
        if self.running is not None and self.running[0].name == exercise.name and not batch:
            self.rerun_after_cancel = (exercise, False)
            self.runner.cancel()
            return
        item = (exercise, batch)
        if front:
            self.queue.appendleft(item)
        else:
            self.queue.append(item)
        self.start_next()

    def drop_runs_except(self, keep: Exercise | None) -> None:
        """Forget single runs of other exercises (queued, or running: cancelled); "check all" stays."""
        name = keep.name if keep else None
        self.queue = deque(item for item in self.queue if item[1] or item[0].name == name)
        if self.rerun_after_cancel is not None and self.rerun_after_cancel[0].name != name:
            self.rerun_after_cancel = None
        if self.running is not None and not self.running[2] and self.running[0].name != name:
            self.runner.cancel()

    def start_next(self) -> None:
        if self.running is not None or not self.queue:
            return
        exercise, batch = self.queue.popleft()
        self.ticket += 1
        ticket = self.ticket
        self.running = (exercise, ticket, batch)
        self.ran_hash[exercise.name] = content_hash(self.root / exercise.path)

        def work() -> None:
            try:
                result = self.runner.run(exercise)
            except Exception as error:  # noqa: BLE001 - the loop must survive a runner bug
                result = RunResult(exercise.name, Status.CRASHED, message=f"the runner failed: {error}")
            self.events.put(RunFinished(exercise, result, ticket))

        threading.Thread(target=work, name=f"arena-run-{exercise.name}", daemon=True).start()
        if not batch:
            self.draw()

    def on_run_finished(self, event: RunFinished) -> None:
        if self.running is None or event.ticket != self.running[1]:
            return
        batch = self.running[2]
        self.running = None
        result = event.result
        if self.rerun_after_cancel is not None:
            # a save arrived during this run: check the new content next, whatever this run said
            self.queue.appendleft(self.rerun_after_cancel)
            self.rerun_after_cancel = None
        if result.status is Status.CANCELLED:
            self.start_next()
            return
        record = (lambda p: record_result(p, event.exercise.name, result.passed)) if result.status is not Status.MISSING else None
        if batch:
            if record:
                self.save(record)
            self.batch_lines.append(render.verify_line(event.exercise, result))
            if not any(b for _, b in self.queue):
                done = sum(1 for line in self.batch_lines if line.plain.startswith("ok"))
                self.batch_lines.append(Text(f"checked {len(self.batch_lines)} exercises: {done} pass", style="bold"))
                self.extra = Group(*self.batch_lines)
                self.batch_lines = []
            self.draw()
        else:
            # the verdict goes on screen first, then progress is written (fsync) to disk
            # The exercise on screen stays on screen (a pass does not jump to the next one), but a
            # result never moves the learner back: after `n`, pressed any number of times quickly,
            # the current exercise is the one `n` chose, not the one whose run just finished.
            was_current = self.current is not None and self.current.name == event.exercise.name
            if record:
                self.progress = record(self.progress)
            if was_current:
                self.progress = select(self.progress, event.exercise.name)
            self.last_result = result
            self.draw()
            chosen = self.progress.current

            def persist(progress: Progress) -> Progress:
                progress = record(progress) if record else progress
                return select(progress, chosen) if chosen else progress

            self.save(persist)
            # for `arena view`: the latest verdict and figures, written by a background thread
            publish_latest(self.root, result, event.exercise, self.manifest)
        self.start_next()

    # ----- events ------------------------------------------------------------------------
    def on_file_changed(self, event: FileChanged, now: float) -> None:
        exercise = exercise_for_path(self.root, self.manifest, event.path)
        if exercise is None:
            return
        self.last_event_at[exercise.name] = now
        self.due[exercise.name] = now + DEBOUNCE_SECONDS

    def fire_due(self, now: float) -> None:
        for name, when in list(self.due.items()):
            if when <= now:
                del self.due[name]
                exercise = self.manifest.get(name)
                if exercise is None:
                    continue
                if self.current is None or self.current.name != name:
                    self.save(lambda p, n=name: select(p, n))
                    self.extra = None
                if not (self.root / exercise.path).exists():
                    self.ran_hash.pop(name, None)
                self.request_run(exercise, force=name in self.forced)
                self.forced.discard(name)

    def self_check(self, now: float) -> None:
        """Notice a change of the current file that no file-system event announced."""
        if self.list_screen is not None:
            from arena_cli.list_view import poll_resize

            poll_resize(self)  # the list is redrawn to a new terminal size
        if now < self.next_self_check:
            return
        self.next_self_check = now + SELF_CHECK_SECONDS
        exercise = self.current
        if exercise is None:
            return
        path = self.root / exercise.path
        try:
            info = path.stat()
            seen = (info.st_mtime, info.st_size, stat.S_IFMT(info.st_mode))
        except OSError:
            seen = None
        before = self.seen_stat.get(exercise.name, seen)
        self.seen_stat[exercise.name] = seen
        if seen == before:
            return
        heard = now - self.last_event_at.get(exercise.name, -1e9) < SELF_CHECK_SECONDS + 1.0
        regular_before = before is not None and before[2] == stat.S_IFREG
        if not heard and exercise.name not in self.due and not (regular_before and _is_regular_file(path)):
            # Appeared, vanished, or became a folder / pipe: check it (the verdict says what is
            # wrong), but that is no sign of missing file-system events.
            self.due[exercise.name] = now
        elif not heard and exercise.name not in self.due:
            if not self.suggested_poll:
                self.suggested_poll = True
                self.note = "No file-system events arrive here; arena now checks the file itself. Use `arena watch --poll` on WSL /mnt or network drives."
            self.due[exercise.name] = now

    def on_key(self, key: str, now: float) -> bool:
        if self.list_screen is not None:
            from arena_cli.list_view import list_key

            return list_key(self, key, now)
        exercise = self.current
        if key != "x":
            self.reset_armed_until = None
        if key == "q":
            return False
        if key == "n":
            self.save(lambda p: advance(self.manifest, p))
            self.extra = None
            self.last_result = None
            following = self.current
            self.drop_runs_except(following)
            if following is not None:
                self.request_run(following, force=True)
            self.draw()
        elif key == "h" and exercise is not None:
            levels = read_levels(self.root / exercise.hint_path)
            if levels:
                self.save(lambda p: reveal_hint(p, exercise.name, len(levels))[0])
                self.extra = render.hint_view(exercise, levels, self.progress.hint_level(exercise.name))
            else:
                self.extra = Text(f"{exercise.hint_path} has no hints", style="yellow")
            self.draw()
        elif key == "l":
            from arena_cli.list_view import open_list

            if not open_list(self):  # not a terminal: the plain list, as text
                self.extra = render.list_view(self.manifest, self.progress)
                self.draw()
        elif key == "r" and exercise is not None:
            self.extra = None
            self.request_run(exercise, force=True)
        elif key == "c":
            self.extra = None
            self.batch_lines = []
            for item in self.manifest.exercises:
                self.request_run(item, front=False, batch=True)
            self.draw()
        elif key == "x" and exercise is not None:
            if self.reset_armed_until is not None and now <= self.reset_armed_until:
                self.reset_armed_until = None
                try:
                    saved = reset_file(self.root, exercise)
                except ArenaError as error:
                    self.note = str(error)
                    self.draw()
                    return True
                self.save(lambda p: record_result(p, exercise.name, False))
                where = f"; your version is saved as {saved.relative_to(self.root)}" if saved else ""
                self.note = f"{exercise.path} was reset{where}"
                self.request_run(exercise, force=True)
            else:
                self.reset_armed_until = now + RESET_CONFIRM_SECONDS
                self.note = f"Press x again within {RESET_CONFIRM_SECONDS:g} s to reset {exercise.path} (a backup is kept)."
            self.draw()
        return True

    def next_timeout(self, now: float) -> float:
        deadlines = [*self.due.values(), self.next_self_check]
        if self.list_screen is not None:
            deadlines.append(now + 0.25)  # look at the terminal's size four times a second
        return max(0.01, min(deadlines) - now) if deadlines else SELF_CHECK_SECONDS

    def handle(self, event: Event, now: float) -> bool:
        """Apply one event; False means quit."""
        if not isinstance(event, (RunFinished, WatcherFailed)):
            self.welcome = False  # shown until the learner does something
        if isinstance(event, FileChanged):
            self.on_file_changed(event, now)
        elif isinstance(event, KeyPressed):
            return self.on_key(event.key, now)
        elif isinstance(event, RunFinished):
            self.on_run_finished(event)
        elif isinstance(event, WatcherFailed):
            self.note = event.message
            self.draw()
        elif isinstance(event, InputClosed):
            pass  # keep watching files; Ctrl-C still quits
        return True


def watch_loop(
    root: Path,
    manifest: Manifest,
    console: Console,
    *,
    poll: bool = False,
    runner: Runner | None = None,
    edit_cmd: str | None = None,
    note: str = "",
) -> int:
    from arena_cli.terminal import KeyboardInput

    events: "queue.Queue[Event]" = queue.Queue()
    runner = runner or make_runner(root)
    start = getattr(runner, "start", None)
    if start:
        start()  # import torch and friends in the background while the screen comes up
    session = WatchSession(root, manifest, console, runner, events)
    session.note = note  # e.g. which exercises a pulled course version added
    if edit_cmd:
        from arena_cli.editor import Editor

        session.editor = Editor(edit_cmd, lambda line: events.put(WatcherFailed(line)))
    observer = start_observer(root, events, poll=poll)
    code = 0
    try:
        with KeyboardInput(events):
            first = session.current
            if first is not None:
                session.request_run(first, force=True)
            else:
                session.draw()
            while True:
                now = time.monotonic()
                try:
                    event = events.get(timeout=session.next_timeout(now))
                except queue.Empty:
                    event = None
                now = time.monotonic()
                if event is not None and not session.handle(event, now):
                    break
                session.fire_due(now)
                session.self_check(now)
    except KeyboardInterrupt:
        code = 0
    finally:
        observer.stop()
        runner.close()
    console.print("Progress saved. See you soon: run `arena` to continue.")
    return code

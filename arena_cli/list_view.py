"""The navigable list of `arena watch` (key `l`): move, filter, search, jump, reset.

Keys: up/down or j/k move; g / G (or Home / End) first / last; Page Up / Page Down a page;
d shows done only, p pending only (pressed again: all), a all; / or s searches by name as you type (Enter keeps the search, Esc clears it); Enter
or c makes the selected exercise the current one; r resets the selected exercise (y confirms;
a backup is kept, as `arena reset` does); Esc or q goes back to the exercise. Any other key is
ignored. The screen is redrawn to the terminal's size on every key and when the size changes.

`ListState` and `render_screen` are pure (tested against a Console writing to a StringIO);
`open_list` / `list_key` / `poll_resize` connect them to the watch session.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from rich.text import Text

from arena_cli.links import link_text
from arena_cli.manifest import Exercise, Manifest
from arena_cli.progress import Progress, current_exercise, tally

if TYPE_CHECKING:  # pragma: no cover
    from arena_cli.watch import WatchSession

MIN_WIDTH = 60
MIN_HEIGHT = 12
Filter = Literal["all", "done", "pending"]
_SEARCH_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-. ")


@dataclass(frozen=True)
class ListState:
    cursor: str | None = None  # the selected exercise's name
    filter: Filter = "all"
    query: str = ""
    searching: bool = False
    confirm_reset: str | None = None  # waiting for y to reset this exercise
    top: int = 0  # the first body line shown
    center: bool = True  # the next screen puts the selection in the middle (on opening)
    message: str = ""


@dataclass(frozen=True)
class Action:
    kind: Literal["none", "close", "select", "reset"] = "none"
    name: str | None = None


def visible(manifest: Manifest, progress: Progress, state: ListState) -> list[Exercise]:
    """The exercises the filter and the search let through, in course order."""
    query = state.query.strip().lower()
    chosen = []
    for exercise in manifest.exercises:
        done = progress.is_done(exercise.name)
        if state.filter == "done" and not done or state.filter == "pending" and done:
            continue
        if query and query not in exercise.name.lower():
            continue
        chosen.append(exercise)
    return chosen


def _index(rows: list[Exercise], name: str | None) -> int:
    return next((i for i, e in enumerate(rows) if e.name == name), 0)


def start_state(manifest: Manifest, progress: Progress) -> ListState:
    current = current_exercise(manifest, progress)
    return ListState(cursor=current.name if current else (manifest.names[0] if manifest.names else None))


def body_height(height: int) -> int:
    return max(1, height - 5)  # title, search/filter line, two footer lines, and one spare row


def key(state: ListState, manifest: Manifest, progress: Progress, pressed: str, *, height: int) -> tuple[ListState, Action]:
    """One key: the new state and what the watch should do. Unknown keys change nothing."""
    rows = visible(manifest, progress, state)
    state = replace(state, message="")
    if state.confirm_reset is not None:
        if pressed == "y":
            return replace(state, confirm_reset=None), Action("reset", state.confirm_reset)
        return replace(state, confirm_reset=None, message="reset cancelled"), Action()
    if state.searching:
        if pressed == "escape":
            return _recenter(replace(state, searching=False, query=""), manifest, progress), Action()
        if pressed == "enter":
            return replace(state, searching=False), Action()
        if pressed == "backspace":
            return _recenter(replace(state, query=state.query[:-1]), manifest, progress), Action()
        if len(pressed) == 1 and pressed in _SEARCH_CHARS:
            return _recenter(replace(state, query=state.query + pressed), manifest, progress), Action()
        if pressed not in ("up", "down", "pageup", "pagedown", "home", "end"):
            return state, Action()  # ignored while typing
    index = _index(rows, state.cursor)
    page = max(1, body_height(height) - 1)
    moves = {
        "down": index + 1, "j": index + 1, "up": index - 1, "k": index - 1,
        "pagedown": index + page, "pageup": index - page,
        "g": 0, "home": 0, "end": len(rows) - 1,
    }
    if pressed in moves:
        if not rows:
            return state, Action()
        target = min(max(moves[pressed], 0), len(rows) - 1)
        return replace(state, cursor=rows[target].name), Action()
    if pressed in ("escape", "q"):
        return state, Action("close")
    if pressed in ("enter", "c"):
        return state, Action("select", rows[index].name) if rows else Action()
    if pressed == "r":
        if not rows:
            return state, Action()
        return replace(state, confirm_reset=rows[index].name), Action()
    if pressed in ("d", "p", "a"):
        wanted: Filter = {"d": "done", "p": "pending", "a": "all"}[pressed]  # type: ignore[assignment]
        if wanted == state.filter:
            wanted = "all"
        return _recenter(replace(state, filter=wanted), manifest, progress), Action()
    if pressed in ("/", "s"):
        return replace(state, searching=True), Action()
    return state, Action()  # any other key: ignored


def _recenter(state: ListState, manifest: Manifest, progress: Progress) -> ListState:
    """After the rows changed: keep the selection if it is still shown, else the first row."""
    rows = visible(manifest, progress, state)
    if any(e.name == state.cursor for e in rows):
        return state
    return replace(state, cursor=rows[0].name if rows else state.cursor, top=0)


def _status(exercise: Exercise, progress: Progress, current: Exercise | None) -> Text:
    if progress.is_done(exercise.name):
        return Text("done   ", style="green")
    if current is not None and current.name == exercise.name:
        return Text("current", style="yellow bold")
    return Text("pending", style="dim")


def _fit(text: Text, width: int) -> Text:
    text.no_wrap = True
    text.truncate(width, overflow="ellipsis", pad=False)
    return text


def _path_form(exercise: Exercise, form: int) -> str:
    if form == 0:
        return exercise.path.as_posix()
    if form == 1:
        return f".../{exercise.section}/{exercise.path.name}"
    return exercise.path.name


def body_lines(
    manifest: Manifest, progress: Progress, state: ListState, width: int
) -> tuple[list[Text], int | None]:
    """Every line of the list body (section headings and rows) and the cursor's line."""
    rows = visible(manifest, progress, state)
    current = current_exercise(manifest, progress)
    name_width = min(max((len(e.name) for e in rows), default=8), max(12, width // 3))
    # one form of path for every row: the whole path if all fit, else from the section's folder,
    # else the file's name (the heading above says the section)
    room = width - (2 + 7 + 2 + name_width + 2 + 5 + 7)
    form = next((f for f in range(3) if all(len(_path_form(e, f)) <= room for e in rows)), 2)
    lines: list[Text] = []
    cursor_line = None
    section_id = None
    for exercise in rows:
        if exercise.section != section_id:
            section_id = exercise.section
            section = manifest.section(section_id)
            count = tally(manifest, progress, section_id)
            heading = Text(f"{section.title if section else section_id}", style="bold")
            heading.append(f"  {count.done}/{count.total}", style="dim")
            lines.append(_fit(heading, width))
        selected = exercise.name == state.cursor
        line = Text("> " if selected else "  ", style="bold" if selected else "")
        line.append_text(_status(exercise, progress, current))
        name = exercise.name if len(exercise.name) <= name_width else exercise.name[: name_width - 1] + "~"
        line.append(f"  {name:<{name_width}}  ", style="bold" if selected else "")
        line.append("*" * exercise.difficulty + "." * (5 - exercise.difficulty))
        line.append(f" {exercise.minutes:>3}m  ")
        room = width - line.cell_len
        path = exercise.path.as_posix()
        if room >= 8:
            shown = _path_form(exercise, form)
            if len(shown) > room:
                shown = "..." + shown[-(room - 3):]
            line.append_text(link_text(shown, exercise.path))
        if selected:
            line.stylize("reverse")
            cursor_line = len(lines)
        lines.append(_fit(line, width))
    return lines, cursor_line


def scrolled(state: ListState, cursor_line: int | None, total: int, height: int) -> ListState:
    """Move `top` so the cursor's line (and, at a section's start, its heading) is on screen."""
    room = body_height(height)
    if state.center and cursor_line is not None:
        return replace(state, top=max(0, min(cursor_line - room // 2, total - room)), center=False)
    top = min(state.top, max(0, total - room))
    if cursor_line is not None:
        if cursor_line < top + 1:
            top = max(0, cursor_line - 1)  # show the heading above the first row of a section
        elif cursor_line >= top + room:
            top = cursor_line - room + 1
    return replace(state, top=top)


FOOTER_WIDE = "j/k ↑↓ move  g/G ends  PgUp/PgDn page  Enter/c go there  r reset  d/p/a filter  / search  Esc/q back"
FOOTER_1 = "j/k ↑↓ move  g/G ends  PgUp/PgDn page  Enter/c go there  r reset"
FOOTER_2 = "d done  p pending  a all  / search by name  Esc/q back"


def render_screen(manifest: Manifest, progress: Progress, state: ListState, width: int, height: int) -> tuple[Text, ListState]:
    """The whole screen, at most `height - 1` lines of at most `width` cells, and the state with
    its scroll position updated."""
    lines, cursor_line = body_lines(manifest, progress, state, width)
    state = scrolled(state, cursor_line, len(lines), height)
    room = body_height(height)
    count = tally(manifest, progress)
    shown = len(visible(manifest, progress, state))
    title = Text("arena list", style="bold")
    title.append(f"   {count.done}/{count.total} done   showing {state.filter}", style="dim")
    if shown != count.total:
        title.append(f" ({shown})", style="dim")
    out = [_fit(title, width)]
    if state.confirm_reset is not None:
        exercise = manifest.get(state.confirm_reset)
        where = exercise.path.as_posix() if exercise else state.confirm_reset
        status = Text(f"Reset {where} to the original? y resets (your version is backed up), any other key cancels", style="yellow bold")
    elif state.searching or state.query:
        status = Text(f"search: {state.query}", style="bold")
        status.append("_" if state.searching else "", style="blink")
        status.append("   (Enter keeps it, Esc clears it)" if state.searching else "   (/ to change it)", style="dim")
    elif state.message:
        status = Text(state.message, style="yellow")
    else:
        status = Text("")
    out.append(_fit(status, width))
    window = lines[state.top : state.top + room]
    if not lines:
        window = [Text("no exercise matches" + (f' "{state.query}"' if state.query else "") + f" (showing {state.filter})", style="dim")]
    out.extend(window)
    out.extend(Text("") for _ in range(room - len(window)))
    if width >= len(FOOTER_WIDE) + 1:
        out.append(Text(FOOTER_WIDE, style="dim"))
        out.append(Text(""))
    else:
        out.append(_fit(Text(FOOTER_1, style="dim"), width))
        out.append(_fit(Text(FOOTER_2, style="dim"), width))
    return Text("\n").join(out), state


def too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


# ----- the watch session's side --------------------------------------------------------------


@dataclass
class ListScreen:
    state: ListState
    size: tuple[int, int] = (0, 0)


def open_list(session: "WatchSession") -> bool:
    """`l` in the watch. Not a terminal: False (the watch prints the plain list as before). A
    terminal too small: the plain list with a line that says so. Otherwise the list screen."""
    from arena_cli import render

    console = session.console
    if not console.is_terminal:
        return False
    width, height = console.size
    if too_small(width, height):
        from rich.console import Group

        note = Text(
            f"The terminal is too small for the list view ({width}x{height}; it needs {MIN_WIDTH}x{MIN_HEIGHT}): "
            "here is the plain list.",
            style="yellow",
        )
        session.extra = Group(note, render.list_view(session.manifest, session.progress))
        session.draw()
        return True
    session.list_screen = ListScreen(start_state(session.manifest, session.progress))
    draw(session)
    return True


def draw(session: "WatchSession") -> None:
    screen: ListScreen = session.list_screen
    console = session.console
    width, height = console.size
    screen.size = (width, height)
    if too_small(width, height):  # shrunk while open: back to the exercise, with the plain list
        session.list_screen = None
        open_list(session)
        return
    text, screen.state = render_screen(session.manifest, session.progress, screen.state, width, height)
    console.clear()
    console.print(text, crop=True, soft_wrap=False, overflow="ellipsis", no_wrap=True)


def poll_resize(session: "WatchSession") -> None:
    screen = getattr(session, "list_screen", None)
    if screen is not None and session.console.size != screen.size:
        draw(session)


def list_key(session: "WatchSession", pressed: str, now: float) -> bool:
    """A key while the list is open; always True (q closes the list, it does not quit)."""
    from arena_cli.errors import ArenaError
    from arena_cli.files import reset as reset_file
    from arena_cli.progress import record_result, select

    screen: ListScreen = session.list_screen
    session.reset_armed_until = None  # an `x` pressed before the list does not arm a reset after it
    _, height = session.console.size
    screen.state, action = key(screen.state, session.manifest, session.progress, pressed, height=height)
    if action.kind == "close":
        session.list_screen = None
        session.draw()
    elif action.kind == "select" and action.name is not None:
        exercise = session.manifest.get(action.name)
        session.list_screen = None
        session.save(lambda p: select(p, action.name))
        session.extra = None
        session.last_result = None
        session.drop_runs_except(exercise)
        if exercise is not None:
            session.request_run(exercise, force=True)
        session.draw()
    elif action.kind == "reset" and action.name is not None:
        exercise = session.manifest.get(action.name)
        if exercise is not None:
            try:
                saved = reset_file(session.root, exercise)
            except ArenaError as error:
                screen.state = replace(screen.state, message=str(error))
            else:
                session.save(lambda p: record_result(p, exercise.name, False))
                where = f"; your version is saved as {saved.relative_to(session.root)}" if saved else ""
                screen.state = replace(screen.state, message=f"{exercise.path.as_posix()} was reset{where}")
                if session.current is not None and session.current.name == exercise.name:
                    session.request_run(exercise, force=True)
        draw(session)
    else:
        draw(session)
    return True

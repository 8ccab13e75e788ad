"""Helpers that every exercise check uses.

`load_exercise(__file__)` imports the exercise that a check file belongs to, fresh, from the
learner's `exercises/` folder, or from another root named by `ARENA_EXERCISE_ROOT` (the authors'
check points it at `solutions/` or at freshly generated stubs).

`assert_close(actual, expected)` compares tensors, arrays or numbers and, on failure, says what a
learner needs to act: shape or dtype mismatch, the largest absolute and relative differences,
the first differing index with both values, and the tolerance used.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import math
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator, Mapping

from arena_cli import figures as _figures

EXERCISE_ROOT_ENV = "ARENA_EXERCISE_ROOT"

# (exercise file, exception) for every exercise that failed to import in this process; the
# runner's pytest plugin reads it to point the learner at the line that broke.
load_failures: list[tuple[Path, BaseException]] = []

# Pictures a check asks the runner to show (attention patterns, per-head scores), as plain data;
# the pytest plugin puts them in the run's report and `arena_cli.viz` draws them.
figures: list[dict[str, Any]] = []
MAX_FIGURES = 6


class ExerciseFileMissing(ImportError):
    """The exercise file a check needs is not there (deleted or renamed by the learner)."""


def exercise_path_for(test_file: str | os.PathLike[str]) -> Path:
    """Map `tests/<section>/test_<name>.py` to `<root>/<section>/<name>.py`."""
    test_path = Path(test_file).resolve()
    section = test_path.parent.name
    stem = test_path.stem
    if not stem.startswith("test_"):
        raise ValueError(f"{test_path.name}: check files are named test_<exercise>.py")
    name = stem[len("test_") :]
    override = os.environ.get(EXERCISE_ROOT_ENV)
    root = Path(override) if override else test_path.parents[2] / "exercises"
    return root / section / f"{name}.py"


def load_exercise(test_file: str | os.PathLike[str]) -> ModuleType:
    """Import the exercise that belongs to the check file `test_file` (pass `__file__`).

    The module is imported fresh every time and registered in `sys.modules` under a name unique
    to its section, so dataclasses and pickling inside the exercise work.
    """
    path = exercise_path_for(test_file)
    if not path.is_file():
        missing = ExerciseFileMissing(
            f"exercise file {path} is missing; run `arena reset {path.stem}` to restore it"
        )
        load_failures.append((path, missing))
        raise missing
    module_name = f"arena_exercise_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as error:
        sys.modules.pop(module_name, None)
        load_failures.append((path, error))
        raise
    return module


def _to_numpy(value: Any, what: str):
    import numpy as np

    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        return value.detach().cpu().numpy(), str(value.dtype).replace("torch.", "")
    if isinstance(value, np.ndarray):
        return value, str(value.dtype)
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        array = np.asarray(value)
        return array, str(array.dtype)
    if isinstance(value, (list, tuple)):
        array = np.asarray(value)
        return array, str(array.dtype)
    raise AssertionError(f"{what}: expected a tensor, array or number, got {type(value).__name__}")


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def assert_close(
    actual: Any,
    expected: Any,
    *,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    name: str = "result",
    check_dtype: bool = False,
    mistakes: Mapping[str, Any] | None = None,
) -> None:
    """Assert that `actual` equals `expected` elementwise within `atol + rtol * |expected|`.

    NaNs must appear at the same places on both sides. With `check_dtype`, the dtypes must match
    as well (a float32 answer where float64 is expected is reported as such).

    `mistakes` maps a one-sentence description of a known mistake to what that mistake would
    return on the same input (a value, or a function of no arguments computing it lazily). When
    the answer is wrong and equals one of them, the failure message leads with that sentence.
    """
    try:
        _assert_close(actual, expected, atol=atol, rtol=rtol, name=name, check_dtype=check_dtype)
    except AssertionError as failure:
        sentence = which_mistake(actual, mistakes or {}, atol=atol, rtol=rtol)
        if sentence is None:
            raise
        raise AssertionError(f"{MISTAKE_PREFIX}{sentence}\n{failure}") from None


# Every named-mistake message starts with this, so the runner, the bank test and a learner can
# tell "we know this mistake" from a plain mismatch.
MISTAKE_PREFIX = "Likely mistake: "


def which_mistake(actual: Any, mistakes: Mapping[str, Any], *, atol: float = 1e-5, rtol: float = 1e-5) -> str | None:
    """The description of the first mistake in `mistakes` whose value `actual` matches, else None."""
    for sentence, variant in mistakes.items():
        try:
            value = variant() if callable(variant) else variant
            _assert_close(actual, value, atol=atol, rtol=rtol, name="variant")
        except Exception:  # a variant that does not apply (other shape, raised) is simply not it
            continue
        return sentence
    return None


def mistake(sentence: str, details: str = "") -> AssertionError:
    """The failure for a mistake a check recognised by other means: `raise mistake("...")`."""
    return AssertionError(f"{MISTAKE_PREFIX}{sentence}" + (f"\n{details}" if details else ""))


def assert_unchanged(before: Any, after: Any, *, name: str = "input") -> None:
    """`before` is a copy taken before the call; `after` the object the learner's code received."""
    try:
        _assert_close(after, before, atol=0.0, rtol=0.0, name=name)
    except AssertionError as failure:
        raise mistake(
            f"your code changed its argument `{name}` in place; compute a new tensor instead "
            "(e.g. `x = x * 2`, not `x *= 2`)", str(failure)
        ) from None


def _assert_close(
    actual: Any, expected: Any, *, atol: float, rtol: float, name: str, check_dtype: bool = False
) -> None:
    import numpy as np

    if actual is None:
        raise AssertionError(f"{name}: got None; did you forget a `return`?")
    got, got_dtype = _to_numpy(actual, name)
    want, want_dtype = _to_numpy(expected, f"{name} (expected)")
    if got.shape != want.shape:
        raise AssertionError(
            f"{name}: shape mismatch: got {tuple(got.shape)}, expected {tuple(want.shape)}"
        )
    if check_dtype and got_dtype != want_dtype:
        raise AssertionError(f"{name}: dtype mismatch: got {got_dtype}, expected {want_dtype}")
    if want.dtype == bool or got.dtype == bool or np.issubdtype(want.dtype, np.integer):
        equal = got == want
        if not np.all(equal):
            bad = np.argwhere(~np.asarray(equal))
            index = tuple(int(i) for i in bad[0])
            raise AssertionError(
                f"{name}: {len(bad)} of {want.size} elements differ (exact match required); "
                f"first at index {index}: got {got[index]!r}, expected {want[index]!r}"
            )
        return
    with np.errstate(invalid="ignore"):  # inf - inf is handled below, not a warning
        return _compare_floats(got, want, atol=atol, rtol=rtol, name=name)


def _compare_floats(got: Any, want: Any, *, atol: float, rtol: float, name: str) -> None:
    import numpy as np

    got_f = got.astype(np.float64)
    want_f = want.astype(np.float64)
    nan_mismatch = np.isnan(got_f) != np.isnan(want_f)
    diff = np.abs(got_f - want_f)
    diff = np.where(np.isnan(got_f) & np.isnan(want_f), 0.0, diff)
    # inf == inf counts as equal; inf - inf gives nan otherwise
    same_inf = np.isinf(got_f) & np.isinf(want_f) & (np.sign(got_f) == np.sign(want_f))
    diff = np.where(same_inf, 0.0, diff)
    diff = np.where(nan_mismatch, np.inf, diff)
    tolerance = atol + rtol * np.abs(np.where(np.isfinite(want_f), want_f, 0.0))
    bad_mask = ~(diff <= tolerance)
    if not np.any(bad_mask):
        return
    bad = np.argwhere(bad_mask)
    index = tuple(int(i) for i in bad[0])
    finite = np.where(np.isfinite(diff), diff, -1.0)
    max_abs = float(np.max(diff))
    rel = diff / np.maximum(np.abs(want_f), 1e-12)
    max_rel = float(np.max(np.where(np.isfinite(rel), rel, np.inf)))
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(finite)), diff.shape)) if diff.ndim else ()
    where = f"index {index}" if index else "the value"
    lines = [
        f"{name}: {len(bad)} of {want.size} elements differ "
        f"(tolerance atol={atol:g}, rtol={rtol:g})",
        f"  first difference at {where}: got {_fmt(float(got_f[index]))}, "
        f"expected {_fmt(float(want_f[index]))}",
        f"  max abs diff {_fmt(max_abs)}"
        + (f" at index {worst}" if worst and not math.isinf(max_abs) else "")
        + f", max rel diff {_fmt(max_rel)}",
    ]
    raise AssertionError("\n".join(lines))


def _queue(figure: dict[str, Any]) -> None:
    if len(figures) < MAX_FIGURES:
        figures.append(figure)


def show_heatmap(
    values: Any, rows: Any = None, cols: Any = None, *, title: str = "", vmin: float | None = 0.0,
    vmax: float | None = 1.0, scale: str = "sequential", x_label: str = "", y_label: str = "",
) -> None:
    """Ask the runner to draw a [rows, cols] matrix (an attention pattern, a patching grid...).

    `scale="diverging"` centres the colours on 0 (pass vmin=vmax=None to fit them to the data)."""
    _queue(_figures.heatmap(values, rows, cols, title=title, vmin=vmin, vmax=vmax, scale=scale, x_label=x_label, y_label=y_label))


def show_head_scores(
    values: Any, *, title: str = "", threshold: float | None = None, rows: str = "layer", cols: str = "head"
) -> None:
    """Ask the runner to draw a [layer, head] grid of scores, marking those above `threshold`.

    `rows` and `cols` name the two axes (e.g. rows="layer-0 head", cols="layer-1 head")."""
    _queue(_figures.head_scores(values, title=title, threshold=threshold, rows=rows, cols=cols))


def show_lines(series: Any, x: Any = None, *, title: str = "", x_label: str = "", y_label: str = "", log_y: bool = False) -> None:
    """Line plot: `series` maps a name to its y values (loss curves, accuracy by layer...)."""
    _queue(_figures.lines(series, x, title=title, x_label=x_label, y_label=y_label, log_y=log_y))


def show_bars(labels: Any, values: Any, *, title: str = "", x_label: str = "", y_label: str = "") -> None:
    """Bar chart of one value per label."""
    _queue(_figures.bars(labels, values, title=title, x_label=x_label, y_label=y_label))


def show_scatter(series: Any, *, title: str = "", x_label: str = "", y_label: str = "") -> None:
    """Scatter plot: `series` maps a name to (xs, ys) or (xs, ys, point labels)."""
    _queue(_figures.scatter(series, title=title, x_label=x_label, y_label=y_label))


def show_board(values: Any = None, marks: Any = None, *, title: str = "", vmin: float | None = None, vmax: float | None = None, scale: str = "sequential") -> None:
    """A board (e.g. othello): per-cell values as colours and/or short marks drawn in the cells."""
    _queue(_figures.board(values, marks, title=title, vmin=vmin, vmax=vmax, scale=scale))


def show_tokens(sequences: Any, *, title: str = "", vmin: float | None = None, vmax: float | None = None) -> None:
    """Token sequences with a value per token (top-activating contexts): a list of
    {"tokens": [...], "values": [...], "highlight": index or None, "label": str}."""
    _queue(_figures.tokens(sequences, title=title, vmin=vmin, vmax=vmax))


def _resolve(dotted: str) -> Any:
    first, *rest = dotted.split(".")
    return functools.reduce(getattr, rest, importlib.import_module(first))


def _forbidden(path: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(
            f"the rules of this exercise forbid `{path}`: build the result from the operations "
            "the exercise's docstring allows"
        )

    return call


def forbidder(monkeypatch: Any) -> Any:
    """For a `forbid` fixture: `forbid("torch.softmax", ...)` makes those built-ins raise for the
    rest of one test, so a check can tell the learner the exercise's rules were not followed.
    Compute expected values with the built-ins *before* calling it."""

    def forbid(*paths: str) -> None:
        for path in paths:
            owner, attr = path.rsplit(".", 1)
            monkeypatch.setattr(_resolve(owner), attr, _forbidden(path))

    return forbid


@contextlib.contextmanager
def torch_on_one_thread(*, grad: bool | None = None) -> Iterator[None]:
    """Run the block with torch on one thread (and autograd switched to `grad` when given), then
    restore both. Checks use it as a module-scoped fixture: their tensors are tiny, and on a
    busy machine several threads per process wait on each other far longer than they compute
    (a step of a 2-layer d_model-32 model: 0.03 s on one thread, 2 s on two). The runner's check
    child already uses one thread; this keeps a plain `python -m pytest` just as fast."""
    import torch

    threads, grad_before = torch.get_num_threads(), torch.is_grad_enabled()
    torch.set_num_threads(1)
    if grad is not None:
        torch.set_grad_enabled(grad)
    try:
        yield
    finally:
        torch.set_grad_enabled(grad_before)
        torch.set_num_threads(threads)

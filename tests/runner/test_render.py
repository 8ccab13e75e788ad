"""Rendering is pure: each view is rendered into a string console and read as text."""

import copy
import io

from rich.console import Console

from arena_cli import render
from arena_cli.manifest import parse_manifest
from arena_cli.progress import Progress
from arena_cli.results import Location, Outcome, RunResult, Status, TestOutcome
from tests.runner.test_manifest import VALID

MANIFEST = parse_manifest(copy.deepcopy(VALID))


def text_of(renderable, *, terminal: bool = False) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=100, force_terminal=terminal, color_system="standard" if terminal else None).print(renderable)
    return buffer.getvalue()


def failing(name: str, message: str, line: int) -> TestOutcome:
    return TestOutcome(name, Outcome.FAILED, message, Location("exercises/s1/alpha.py", line))


def test_passed_result():
    result = RunResult("alpha", Status.PASSED, tests=(TestOutcome("t", Outcome.PASSED),) * 3, wall_time=0.25)
    assert "PASSED  all 3 checks of alpha pass (0.25 s)" in text_of(render.result_view(result))


def test_failures_show_name_message_and_an_openable_location():
    result = RunResult(
        "alpha",
        Status.FAILED,
        tests=(
            TestOutcome("test_ok", Outcome.PASSED),
            failing("test_axis", "softmax: 3 of 6 elements differ", 12),
            failing("test_axis_big", "softmax: 3 of 6 elements differ", 12),
        ),
    )
    text = text_of(render.result_view(result))
    assert "FAILED  2 of 3 checks of alpha fail" in text
    assert "test_axis  exercises/s1/alpha.py:12" in text
    assert "softmax: 3 of 6 elements differ" in text
    assert "(and 1 more checks with the same message)" in text
    assert "test_axis_big" not in text, "identical failures are folded into one"


def test_untouched_stub_is_not_started_with_first_location():
    tests = tuple(
        TestOutcome(f"t{i}", Outcome.FAILED, "not written yet: do it", Location("exercises/s1/alpha.py", 9), not_implemented=True)
        for i in range(3)
    )
    text = text_of(render.result_view(RunResult("alpha", Status.FAILED, tests=tests)))
    assert "NOT STARTED" in text and "exercises/s1/alpha.py:9" in text and "not written yet: do it" in text


def test_crash_and_timeout_show_message_location_and_output():
    crash = RunResult("alpha", Status.CRASHED, message="crashed with SIGSEGV", location=Location("exercises/s1/alpha.py", 4), output="last words")
    text = text_of(render.result_view(crash))
    assert "CRASHED" in text and "exercises/s1/alpha.py:4  crashed with SIGSEGV" in text and "last words" in text
    timeout = RunResult("alpha", Status.TIMEOUT, message="ran longer than 3 s")
    assert "TIMEOUT" in text_of(render.result_view(timeout))


def test_list_view_sections_status_and_bar():
    progress = Progress(done=frozenset({"alpha"}))
    text = text_of(render.list_view(MANIFEST, progress))
    assert "0.0 One" in text
    assert "done" in text and "> current" in text
    assert "*...." in text and "*****" in text
    assert "1/2 (50%)" in text
    assert "exercises/s1/" in text and "alpha.py" in text and "exercises/s1/alpha.py" not in text


def test_aligned_columns_pads_left_and_right_justified_cells():
    from rich.text import Text

    table = render.aligned_columns(["name", "n", "end"], [["a", "5", "x"], [Text("longer", style="bold"), "123", "y"]], right=frozenset({1}))
    assert text_of(table).splitlines() == [
        "name      n  end",
        "a         5  x",
        "longer  123  y",
    ]


def test_plain_output_has_no_escape_codes_but_terminal_output_does():
    result = RunResult("alpha", Status.PASSED, tests=(TestOutcome("t", Outcome.PASSED),))
    assert "\x1b[" not in text_of(render.result_view(result))
    assert "\x1b[" in text_of(render.result_view(result), terminal=True)


def test_no_color_is_honoured(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True).print(render.result_view(RunResult("alpha", Status.PASSED)))
    assert "\x1b[3" not in buffer.getvalue(), "no colour codes with NO_COLOR"


def test_hint_view_shows_levels_up_to_the_one_revealed():
    exercise = MANIFEST.get("alpha")
    text = text_of(render.hint_view(exercise, ["first idea", "second idea", "pseudo code"], 2))
    assert "hint 1/3" in text and "first idea" in text and "second idea" in text
    assert "pseudo code" not in text and "Ask again for the next level" in text


def test_progress_bar_proportions():
    assert render.progress_bar(render.Tally(1, 4), width=8).plain == "Progress ##------ 1/4 (25%)"


def test_bench_view_fits_80_columns_and_shows_each_figure_beside_its_target():
    from arena_cli.bench import bench_view

    def stats(median, p95):
        return {"median_ms": median, "p95_ms": p95}

    entry = {
        "exercise": "broadcast_pairwise_distances", "checks_ms": 70.0, "warm_save_to_verdict": stats(152, 154),
        "warm_overhead": stats(82, 83), "warm_runner_only_overhead": stats(58, 60), "cold_pytest": stats(8142, 8490),
        "cold_overhead": stats(4939, 5281), "cold_over_warm_overhead": 60.5,
    }
    figures = {
        "runs": 10, "cpu_count": 2, "worker_rss_mib": 482.0, "exercises": {"plain": entry, "transformer_lens": entry},
        "cli_start": {"python -c pass": stats(36, 39), "arena list": stats(130, 141)},
    }
    buffer = io.StringIO()
    Console(file=buffer, width=80).print(bench_view(figures))
    text = buffer.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "broadcast_pairwise_distances" in text and "…" not in text
    assert "82 / 83" in text and "<= 100 / 250" in text and "60.5x" in text and "130 / 141" in text and "482 MiB" in text


def test_hint_markdown_without_rich_markdown():
    source = "Use `torch.cat` and **not** a loop.\n\n- first\n\n```python\nx = torch.cat([a, b])\n```\n"
    text = text_of(render.markdown_lite(source))
    assert "Use torch.cat and not a loop." in text
    assert "• first" in text
    assert "    x = torch.cat([a, b])" in text and "```" not in text


def test_arena_hint_does_not_import_rich_markdown():
    import subprocess
    import sys

    code = "import sys, arena_cli.render as r; r.hint_view; print('rich.markdown' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"

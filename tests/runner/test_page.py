"""The browser page, the latest-result file and the `arena view` server, without a browser
(test_browser.py opens them in headless Chromium)."""

import http.client
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from arena_cli import figures as F
from arena_cli.cli import app
from arena_cli.live import latest_path, publish_latest, read_latest, result_payload, verdict_text, wait_published, write_latest
from arena_cli.manifest import load_manifest
from arena_cli.page import page_html, plotly_js, plotly_js_path
from arena_cli.results import Location, Outcome, RunResult, Status, TestOutcome
from arena_cli.view import HOST, bind
from arena_cli.watch import WatchSession
from tests.runner.conftest import solve

URL = re.compile(r"https?://", re.IGNORECASE)


def failed_result(name="add", figures=()):
    test = TestOutcome("test_adds", Outcome.FAILED, "add(2, 3) returned -1, expected 5", Location("exercises/basics/add.py", 3))
    return RunResult(name, Status.FAILED, tests=(test, TestOutcome("test_other", Outcome.PASSED)), wall_time=0.5, figures=tuple(figures))


def test_the_page_inlines_plotly_from_the_wheel_and_references_nothing_remote():
    figure = F.heatmap([[0.1, 0.9]], title="pattern")
    page = page_html(result_payload(failed_result(figures=[figure])))
    bundle = plotly_js()
    assert plotly_js_path().name == "plotly.min.js" and len(bundle) > 1_000_000
    assert page.count(bundle) == 1, "plotly's bundle is inlined, unchanged"
    rest = page.replace(bundle, "")
    assert not URL.search(rest), "outside plotly's own bundle the page names no http(s) URL"
    assert not re.search(r"""\b(src|href)\s*=|<link\b|@import|url\(""", rest, re.IGNORECASE), "no external script, style or image"
    assert "displaylogo: false" in rest and 'topojsonURL: ""' in rest, "plotly's own links and map downloads are switched off"
    assert '"sendChartToCloud"' in rest and 'plotlyServerURL: ""' in rest, "and so is its button that uploads a chart to Plotly's cloud"


def test_the_served_page_loads_plotly_from_its_own_server_only():
    page = page_html(None, plotly_src="/plotly.min.js", live=True)
    assert not URL.search(page)
    assert re.findall(r"""\bsrc\s*=\s*"([^"]*)\"""", page) == ["/plotly.min.js"]
    assert 'fetch("/latest.json"' in page and 'data-live="1"' in page
    assert len(page) < 50_000, "the live page itself is small; plotly comes once, cached"


def test_data_that_looks_like_html_cannot_break_out_of_the_page():
    evil = "</script><script>alert(1)</script><!--"
    payload = result_payload(failed_result(figures=[F.bars([evil], [1.0], title=evil)]))
    page = page_html(payload, plotly_src="/p.js")
    assert evil not in page and "<script>alert" not in page
    embedded = re.search(r'<script id="arena-data" type="application/json">(.*?)</script>', page, re.DOTALL).group(1)
    assert json.loads(embedded)["figures"][0]["title"] == evil


def test_the_payload_says_what_the_terminal_says(course):
    manifest = load_manifest(course)
    exercise = manifest.get("add")
    figure = F.lines({"loss": [1.0, 0.5]})
    payload = result_payload(failed_result(figures=[figure]), exercise, manifest)
    assert payload["exercise"] == "add" and payload["status"] == "failed" and not payload["passed"]
    assert payload["section"] == "0.0 Basics" and payload["path"] == "exercises/basics/add.py"
    assert payload["verdict"] == verdict_text(failed_result()) and "FAILED  1 of 2 checks of add fail" in payload["verdict"]
    assert "exercises/basics/add.py:3" in payload["verdict"]
    assert payload["tests"][0] == {"name": "test_adds", "outcome": "failed", "message": "add(2, 3) returned -1, expected 5", "location": "exercises/basics/add.py:3"}
    assert payload["figures"] == [figure]
    json.dumps(payload, allow_nan=False)


def test_latest_is_written_atomically_and_a_failed_write_keeps_the_old_file(tmp_path):
    write_latest(tmp_path, {"exercise": "one"})
    assert read_latest(tmp_path) == {"exercise": "one"}
    with pytest.raises(ValueError):
        write_latest(tmp_path, {"exercise": float("nan")})
    assert read_latest(tmp_path) == {"exercise": "one"}
    assert [p.name for p in latest_path(tmp_path).parent.iterdir()] == ["latest.json"], "no temporary file is left behind"


def test_publishing_does_not_wait_and_the_newest_result_wins(tmp_path):
    big = [F.heatmap([[0.5] * 100 for _ in range(100)], title=f"grid {i}") for i in range(6)]
    started = time.perf_counter()
    for index in range(5):
        publish_latest(tmp_path, failed_result(name=f"run{index}", figures=big))
    submit_ms = (time.perf_counter() - started) * 1000 / 5
    assert wait_published(10)
    assert read_latest(tmp_path)["exercise"] == "run4"
    assert submit_ms < 20, f"publishing took {submit_ms:.1f} ms in the caller; it belongs on the background thread"


def test_the_watch_publishes_each_verdict_for_the_view(course):
    class Runner:
        def run(self, exercise, *, exercise_root=None):
            return failed_result(exercise.name, figures=[F.bars(["a"], [1.0], title="from the check")])

        def cancel(self):
            pass

        def close(self):
            pass

    events = queue.Queue()
    session = WatchSession(course, load_manifest(course), Console(file=io.StringIO()), Runner(), events)
    session.request_run(session.manifest.get("add"), force=True)
    session.handle(events.get(timeout=5), time.monotonic())
    assert wait_published(5)
    latest = read_latest(course)
    assert latest["exercise"] == "add" and latest["status"] == "failed" and latest["figures"][0]["title"] == "from the check"


# ----- the server ---------------------------------------------------------------------------------
def get(port, path, headers=None, host=None):
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    connection.request("GET", path, headers={"Host": host or f"{HOST}:{port}", **(headers or {})})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


@pytest.fixture
def server(tmp_path):
    import threading

    made, note = bind(tmp_path, 0)
    thread = threading.Thread(target=made.serve_forever, daemon=True)
    thread.start()
    yield made
    made.shutdown()
    made.server_close()


def test_the_server_listens_on_loopback_only(server):
    assert server.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}/"


def test_a_taken_port_is_replaced_by_another_and_said(tmp_path):
    taken = socket.socket()
    taken.bind((HOST, 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        made, note = bind(tmp_path, port)
        try:
            assert made.port != port and note == f"port {port} is taken; using {made.port} instead"
        finally:
            made.server_close()
    finally:
        taken.close()


def test_the_server_serves_the_page_plotly_and_the_latest_result(server, tmp_path):
    status, headers, body = get(server.port, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"/plotly.min.js" in body
    status, headers, body = get(server.port, "/plotly.min.js")
    assert status == 200 and body == plotly_js_path().read_bytes()
    assert get(server.port, "/latest.json")[0] == 204, "no run yet: nothing, and the page waits"
    write_latest(tmp_path, {"exercise": "add", "status": "passed"})
    status, headers, body = get(server.port, "/latest.json")
    assert status == 200 and json.loads(body)["exercise"] == "add"
    tag = headers["ETag"]
    assert get(server.port, "/latest.json", {"If-None-Match": tag})[0] == 304, "an unchanged result costs an empty reply"
    write_latest(tmp_path, {"exercise": "add", "status": "failed"})
    status, headers, body = get(server.port, "/latest.json", {"If-None-Match": tag})
    assert status == 200 and json.loads(body)["status"] == "failed" and headers["ETag"] != tag
    assert get(server.port, "/nothing")[0] == 404


def test_the_server_refuses_requests_for_another_host(server):
    assert get(server.port, "/latest.json", host="attacker.example:80")[0] == 403
    assert get(server.port, "/", host=f"localhost:{server.port}")[0] == 200


# ----- the commands --------------------------------------------------------------------------------
def test_view_outside_a_workspace_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.delenv("ARENA_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["view"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "no arena course here" in result.output


def test_view_prints_its_link_serves_and_stops_with_the_command(course):
    write_latest(course, {"exercise": "add", "status": "passed", "finished_at": "12:00:00"})
    process = subprocess.Popen(
        [sys.executable, "-m", "arena_cli", "view", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    try:
        first = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert match, first + process.stderr.read()
        port = int(match.group(1))
        assert "latest run: add PASSED at 12:00:00" in process.stdout.readline()
        assert get(port, "/latest.json")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0 and "arena view stopped" in out and not err
    with pytest.raises(OSError):
        socket.create_connection((HOST, port), timeout=1)


def test_run_html_writes_one_self_contained_page_and_the_latest_result(course, tmp_path):
    solve(course, "add")
    target = tmp_path / "out" / "add.html"
    target.parent.mkdir()
    result = CliRunner().invoke(app, ["run", "add", "--html", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.output
    page = target.read_text(encoding="utf-8")
    assert plotly_js() in page and "PASSED  all 2 checks of add pass" in page
    assert read_latest(course)["exercise"] == "add" and read_latest(course)["passed"] is True


def test_run_html_into_a_missing_folder_is_one_line_and_exit_2(course, tmp_path):
    result = CliRunner().invoke(app, ["run", "add", "--html", str(tmp_path / "no" / "such" / "page.html")])
    assert result.exit_code == 2 and "cannot write the page" in result.output


def test_without_chromium_the_browser_tests_fail_saying_how_to_install_it(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "ARENA_CHROMIUM"}
    env.update(PATH=str(tmp_path), ARENA_CHROMIUM=str(tmp_path / "no-chromium"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/runner/test_browser.py::test_a_run_page_draws_every_figure_offline"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1, done.stdout[-2000:]
    assert "1 error" in done.stdout and "skipped" not in done.stdout
    assert "apt-get install -y chromium" in done.stdout and "ARENA_CHROMIUM" in done.stdout


def test_a_temp_file_left_by_a_killed_writer_is_cleaned_up(tmp_path):
    folder = latest_path(tmp_path).parent
    folder.mkdir()
    stale, fresh = folder / ".latest-abc.tmp", folder / ".latest-def.tmp"
    stale.write_text("{")
    fresh.write_text("{")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    write_latest(tmp_path, {"exercise": "add"})
    assert not stale.exists() and fresh.exists(), "only old temp files go: a fresh one may be another writer's"

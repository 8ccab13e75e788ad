"""Offline, always: the test process and every check run have the network blocked."""

import socket

import pytest

from arena_cli.manifest import load_manifest
from arena_cli.offline import NetworkBlocked, socket_guard_installed
from arena_cli.runner import ColdRunner


def test_this_test_process_has_the_guard():
    assert socket_guard_installed()
    with socket.socket() as sock, pytest.raises(NetworkBlocked, match="network access is blocked"):
        sock.connect(("93.184.216.34", 80))


def test_loopback_stays_open_for_local_processes():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())


def test_a_check_that_reaches_the_network_fails_clearly(course):
    (course / "exercises/basics/add.py").write_text(
        "import socket\n\ndef add(a, b):\n    socket.create_connection(('10.1.2.3', 80), timeout=5)\n    return a + b\n"
    )
    result = ColdRunner(course).run(load_manifest(course).get("add"))
    assert not result.passed
    assert "network access is blocked" in result.tests[0].message


def test_nothing_in_the_course_loads_from_a_hub():
    """SAELens' and TransformerLens' `from_pretrained` download from the Hugging Face hub: no
    solution, check, exercise or runner module may call it (the zoo ships every model and SAE)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in ("arena_cli", "solutions", "exercises", "tests"):
        for path in (root / folder).rglob("*.py"):
            if path.resolve() == Path(__file__).resolve():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for word in ("from_pretrained", "hf_hub_download", "snapshot_download"):
                if word in text:
                    offenders.append(f"{path.relative_to(root)}: {word}")
    assert not offenders, "these files reach for a model hub: " + "; ".join(offenders)

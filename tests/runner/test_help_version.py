"""`arena --version`, and help without Typer's `<bool>` after every flag."""

from typer.testing import CliRunner

from arena_cli import __version__
from arena_cli.cli import app

cli = CliRunner()


def test_version():
    result = cli.invoke(app, ["--version"], catch_exceptions=False)
    assert result.exit_code == 0 and result.stdout.strip() == f"arena {__version__}"


def test_help_has_no_bool_noise_but_keeps_value_types(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    for args in (["--help"], ["list", "--help"], ["run", "--help"], ["reset", "--help"], ["watch", "--help"], ["dev", "bench", "--help"]):
        result = cli.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0 and "<bool>" not in result.stdout, args
    assert "--json" in cli.invoke(app, ["run", "--help"]).stdout
    assert "<int range>" in cli.invoke(app, ["dev", "bench", "--help"]).stdout  # an option with a value keeps its type
    assert "--version" in cli.invoke(app, ["--help"]).stdout

"""The reference data commands (areas, groups) end to end, on a temporary SQLite store."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sdgbridge.cli import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_groups_and_areas(store: Path) -> None:
    assert "Group ARAL: 2 areas (398, 860)." in _run("groups", "define", "ARAL", "Aral",
                                                     "KAZ", "UZB")
    assert "Uzbekistan" in _run("areas", "--group", "ARAL")
    assert "ARAL" in _run("groups", "list", "--format", "csv")

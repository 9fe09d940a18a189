"""Fixtures of the command-line tests: a temporary SQLite store set up through the command
line (``store``, with the specimen IATI code lists), and the registry commands on the test's
store (``cli``, with the IATI schema and code lists of ../shared: real-data tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from sdgbridge.cli import app, projects
from sdgbridge.cli.state import CliState
from sdgbridge.config import Settings
from tests.helpers import IATI_CODELISTS, SHARED


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SDGBRIDGE_DATA_DIR", str(SHARED))
    monkeypatch.setenv("SDGBRIDGE_IATI_CODELISTS", str(IATI_CODELISTS))
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "SDG framework: 17 goals, 169 targets, 252 indicator codes" in result.output
    return tmp_path


@pytest.fixture
def cli(engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> typer.Typer:
    """The groups ``orgs`` and ``projects`` on a fresh app whose state (in the context) holds
    the test's settings and store."""
    monkeypatch.chdir(tmp_path)
    registry = typer.Typer()

    @registry.callback()
    def _state(ctx: typer.Context) -> None:
        ctx.obj = CliState(settings, engine)

    registry.add_typer(projects.orgs_app, name="orgs")
    registry.add_typer(projects.app, name="projects")
    return registry

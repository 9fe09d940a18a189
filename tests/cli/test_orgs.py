"""`sdgbridge orgs …` and the projects made by hand, on SQLite and PostgreSQL (the ``cli``
fixture mounts the groups on an app whose state holds the test's store)."""

from __future__ import annotations

import json

import polars as pl
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from sdgbridge.config import Settings
from sdgbridge.projects.orgs import list_orgs
from sdgbridge.projects.service import import_files
from tests.projects.test_editing import DHS, UNDP, _changes


def test_cli_orgs_and_projects(cli: typer.Typer, engine: Engine, settings: Settings) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        out = runner.invoke(cli, list(args))
        assert out.exit_code == 0, (out.output, out.exception)
        return out.output

    assert "added" in run("orgs", "add", "--name", "UNDP", "--type", "40", "--ref", UNDP,
                          "--country", "KZ", "--contact", "name=Ana Li;email=ana@undp.org")
    listed = pl.read_csv(run("orgs", "list", "--format", "csv").encode())
    assert listed.select("ref", "type", "countries").rows() == [(UNDP, 40, "KZ")]
    out = run("orgs", "update", UNDP, "--name", "United Nations Development Programme",
              "--country", "KZ", "--country", "TJ")
    assert "name_en: 'UNDP' -> 'United Nations Development Programme'" in out
    history = json.loads(run("orgs", "history", UNDP, "--format", "json"))
    assert [h["change"] for h in history] == ["created", "updated"]
    assert {h["origin"] for h in history} == {"cli"}
    bad = runner.invoke(cli, ["orgs", "add", "--name", "X", "--type", "99"])
    assert bad.exit_code == 1 and "type '99' is not an IATI OrganisationType code" in str(
        bad.exception)
    import_files(engine, settings, [DHS])
    assert "2 organisations added" in run("orgs", "seed-from-iati")
    again = run("orgs", "seed-from-iati")
    assert "0 organisations added from the IATI activities, 2 already registered" in again
    assert "created" in run("projects", "create", f"{UNDP}-1", "--title", "Clean water",
                            "--org", UNDP, "--status", "2", "--country", "KZ", "--sector",
                            "14030", "--planned-start", "2024-01-01",
                            "--participant", "4:US-GOV-19")
    assert "status: '2' -> '3'" in run("projects", "update", f"{UNDP}-1", "--status", "3",
                                       "--clear", "title_ru")
    assert "archived" in run("projects", "archive", f"{UNDP}-1")
    assert "archived" in run("orgs", "archive", "2")
    assert len(list_orgs(engine)) == 2
    changes = [c for c in _changes(engine, "activity") if c["record_key"] == f"{UNDP}-1"]
    assert [c["change"] for c in changes] == ["created", "updated", "archived"]

"""`sdgbridge projects …` and `sdgbridge orgs …` end to end: IATI imports and listings, 3W,
flat, overlaps, the network, export, results; the organisations and the projects made by hand
(on SQLite and PostgreSQL: the ``cli`` fixture mounts the two groups on the test's store)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from sdgbridge.cli import app
from sdgbridge.config import Settings
from sdgbridge.db.engine import make_engine
from sdgbridge.errors import NotFound
from sdgbridge.projects.coordination import money_against_progress
from sdgbridge.projects.orgs import list_orgs
from sdgbridge.projects.queries import project_history, project_table
from sdgbridge.projects.service import import_files
from tests.helpers import IATI_ACTIVITIES, SHARED, cli_output, derived_slice
from tests.projects.test_editing import DHS, _changes
from tests.projects.test_results import IDENT, specimen, write

IATI = SHARED / "iati"
USG = IATI / "activities" / "usg" / "data"
UNDP = "XM-DAC-41114"


def test_projects_listings_leave_archived_out_unless_asked(store: Path) -> None:
    ref = "XM-DAC-41114"
    cli_output("orgs", "add", "--name", "UNDP", "--type", "40", "--ref", ref)
    cli_output("projects", "create", f"{ref}-1", "--title", "Clean water", "--org", ref,
               "--status", "2", "--country", "KZ", "--sector", "14030",
               "--planned-start", "2024-01-01")
    cli_output("projects", "archive", f"{ref}-1")
    listed = pl.read_csv(cli_output("projects", "list", "--format", "csv").encode())
    assert listed.height == 0
    both = pl.read_csv(cli_output("projects", "list", "--include-archived", "--format",
                                  "csv").encode())
    assert both["iati_identifier"].to_list() == [f"{ref}-1"]
    assert "--include-archived" in cli_output("projects", "3w", "--help")
    assert "--include-archived" in cli_output("projects", "flat", "--help")


@pytest.mark.shared_data
def test_cli_projects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("SDGBRIDGE_IATI_SCHEMA", str(IATI / "schema" /
                                                    "iati-activities-schema.xsd"))
    monkeypatch.setenv("SDGBRIDGE_IATI_CODELISTS", str(IATI / "codelists"))
    runner = CliRunner()
    out = runner.invoke(app, ["projects", "import", str(USG / "dhs")])
    assert out.exit_code == 0, out.output
    assert "20 activities read, 20 new, 0 changed, 0 unchanged, 0 rejected" in out.output
    listed = runner.invoke(app, ["projects", "list", "--country", "AF", "--format", "csv"])
    assert len(listed.output.strip().splitlines()) == 1 + 8  # header + 8 DHS Afghanistan
    w = runner.invoke(app, ["projects", "3w", "--out", str(tmp_path / "3w.csv")])
    assert w.exit_code == 0 and (tmp_path / "3w.csv").exists()
    flat = runner.invoke(app, ["projects", "flat", "--out", str(tmp_path / "flat.parquet")])
    assert flat.exit_code == 0, flat.output
    rows = pl.read_parquet(tmp_path / "flat.parquet")
    assert {"iati_identifier", "goal", "value_share", "inferred"} <= set(rows.columns)
    for command in (["projects", "overlaps", "--min-similarity", "0", "--format", "csv"],
                    ["projects", "network", "--format", "csv"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
    x = runner.invoke(app, ["projects", "export", str(tmp_path / "out.xml")])
    assert x.exit_code == 0, x.output
    assert (tmp_path / "out.xml").read_bytes().count(b"<iati-activity ") == 20


@pytest.mark.shared_data
def test_cli_shows_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SDGBRIDGE_DATA_DIR", str(SHARED))
    runner = CliRunner()
    path = write(tmp_path, specimen())
    for args in (["init"], ["projects", "import", str(path)]):
        assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["projects", "results", "--id", IDENT, "--format", "csv"])
    assert result.exit_code == 0, result.output
    shown = pl.read_csv(result.output.encode(), infer_schema=False)
    assert shown.select("sdg_indicator", "sdg_link").rows()[:3] == [
        ("6.1.1", "declared"), ("6.1.1", "declared"), ("6.1.1", "inferred")]
    missing = runner.invoke(app, ["projects", "results", "--id", "XM-NONE"])
    assert isinstance(missing.exception, NotFound)  # `main` prints it as "Error: …", exit 1
    assert "No project 'XM-NONE'" in str(missing.exception)


def test_cli_restore_and_include_archived(cli: typer.Typer, engine: Engine) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        out = runner.invoke(cli, list(args))
        assert out.exit_code == 0, (out.output, out.exception)
        return out.output

    run("orgs", "add", "--name", "UNDP", "--type", "40", "--ref", UNDP)
    run("projects", "create", f"{UNDP}-1", "--title", "Clean water", "--org", UNDP,
        "--status", "2", "--country", "KZ", "--sector", "14030", "--planned-start", "2024-01-01")
    run("projects", "archive", f"{UNDP}-1")
    run("orgs", "archive", UNDP)
    assert run("orgs", "list", "--format", "csv").strip() == \
        "id,ref,name_en,name_ru,type,un_entity,countries,contacts,archived"
    listed = pl.read_csv(run("orgs", "list", "--include-archived", "--format", "csv").encode())
    assert listed.select("ref", "archived").rows() == [(UNDP, True)]
    assert f"Organisation {UNDP} restored." in run("orgs", "restore", UNDP)
    assert f"Organisation {UNDP} was not archived." in run("orgs", "restore", UNDP)
    assert f"Project {UNDP}-1 restored." in run("projects", "restore", f"{UNDP}-1")
    assert project_table(engine)["iati_identifier"].to_list() == [f"{UNDP}-1"]
    assert project_history(engine, f"{UNDP}-1")["change"].to_list() == [
        "created", "archived", "restored"]


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


@pytest.mark.shared_data  # the import checks the files against the IATI schema
def test_vs_progress_prints_the_library_table(store: Path) -> None:
    data = derived_slice(store / "slice.csv", ("SH_STA_STNT", "SN_ITK_DEFC", "SI_POV_DAY1"))
    cli_output("ingest", str(data))
    cli_output("projects", "import", str(IATI_ACTIVITIES))
    printed = pl.read_csv(cli_output("projects", "vs-progress", "--format", "csv").encode(),
                          infer_schema=False)
    engine = make_engine(f"sqlite:///{store / 'cli.db'}")
    expected = money_against_progress(engine, "unsd", ["CARSDG"])
    assert printed.height == expected.height > 0
    assert printed["target"].to_list() == expected["target"].to_list()
    flagged = pl.read_csv(cli_output("projects", "vs-progress", "--only-flagged", "--format",
                                     "csv").encode(), infer_schema=False)
    assert flagged.height == expected.filter(pl.col("flag").is_not_null()).height

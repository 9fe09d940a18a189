"""The audit trail's rules: refusals by a rule are recorded (not found and bad input are
not), a rolled-back write leaves no event, the store refuses to change or delete an event
(SQLite and PostgreSQL), the reading filters, a formula-safe CSV, the command line's
``--as`` and the API behind the token."""

from __future__ import annotations

import importlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from sdgbridge import audit
from sdgbridge.actors import Actor, acting_as
from sdgbridge.cli import app
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound, SdgBridgeError
from sdgbridge.ingest.load import ingest
from sdgbridge.knowledge.embed import HashingEmbedder
from sdgbridge.knowledge.service import add_document, remove_document
from sdgbridge.projects.editing import update_project
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.parse import parse_activities
from sdgbridge.projects.orgs import archive_org, create_org
from sdgbridge.projects.store import ImportReport, import_batch
from sdgbridge.reference.geography import define_group, delete_group
from sdgbridge.web.app import create_app
from tests.helpers import IATI_ACTIVITIES, IATI_CODELISTS, SDG_CSV, import_specimens

TOKEN = "k7Jx-2vQp_9ZsLw4Rt8YbN3mHc6FdGe1"
AMINA = Actor("cli:amina", "cli")


def test_refusal_by_a_rule_is_recorded_and_nothing_else(engine: Engine) -> None:
    import_specimens(engine, "usda-kazakhstan.xml")
    with engine.connect() as conn:
        ident = conn.execute(t.iati_activity.select().limit(1)).mappings().one()[
            "iati_identifier"]
    before = audit.count(engine)
    with acting_as(AMINA), pytest.raises(audit.Refusal, match="imported from"):
        update_project(engine, ident, load_codelists(IATI_CODELISTS), "test", title_en="X")
    with acting_as(AMINA), pytest.raises(audit.Refusal, match="standard group"):
        delete_group(engine, "M49_143")
    found = audit.events(engine, outcome="refused")
    assert audit.count(engine) == before + 2 == before + found.height
    assert found.select("actor", "action", "record_type", "record_key").rows() == [
        ("cli:amina", "removed", "group", "M49_143"),
        ("cli:amina", "updated", "activity", ident)]
    assert "imported from usda-kazakhstan.xml:" in found["message"][1]  # no server path


def test_not_found_and_bad_input_are_not_recorded(engine: Engine) -> None:
    """Not a rule: the request named nothing that exists, or was malformed."""
    before = audit.count(engine)
    with pytest.raises(NotFound):
        archive_org(engine, "XM-NOBODY")
    with pytest.raises(SdgBridgeError, match="Group code"):
        define_group(engine, "1", "digits only", ["KAZ"])
    assert audit.count(engine) == before


def test_a_write_that_fails_leaves_no_event(engine: Engine) -> None:
    cl = load_codelists(IATI_CODELISTS)
    create_org(engine, name_en="Aral", type="40", ref="XM-TEST-0001", codelists=cl)
    before = audit.count(engine)
    with pytest.raises(SdgBridgeError, match="already used"):
        create_org(engine, name_en="Other", type="40", ref="XM-TEST-0001", codelists=cl)
    assert audit.count(engine) == before


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_store_refuses_to_change_an_event(engine: Engine, change: str) -> None:
    with engine.begin() as conn:
        audit.record(conn, "created", "group", "ARAL", after={"name": "Aral"})
    stmt = (update(t.audit_event).values(actor="someone else") if change == "update"
            else delete(t.audit_event))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(stmt)
    found = audit.history(engine, "group", "ARAL")
    assert found["actor"].to_list() == ["local"]


def test_reading_filters_and_history(engine: Engine) -> None:
    with acting_as(AMINA):
        define_group(engine, "ARAL", "Aral basin", ["KAZ"])
        define_group(engine, "ARAL", "Aral basin", ["KAZ", "UZB"])
    define_group(engine, "FERGANA", "Fergana valley", ["UZB"])
    history = audit.history(engine, "group", "ARAL")
    assert history["action"].to_list() == ["defined", "defined"]
    assert json.loads(history["before"][1]) == {"name": "Aral basin", "members": ["398"]}
    assert json.loads(history["after"][1])["members"] == ["398", "860"]
    assert audit.events(engine, actor="cli:amina")["record_key"].to_list() == ["ARAL"] * 2
    assert audit.events(engine, record_type="group", limit=1)["record_key"].to_list() == [
        "FERGANA"]
    assert audit.events(engine, record_type="group", since="2000-01-01",
                        until="2000-12-31").is_empty()
    assert audit.count(engine, record_type="group") == 3
    today = datetime.now(UTC).date()
    assert audit.count(engine, record_type="group", since=today, until=today) == 3
    assert audit.count(engine, record_type="group", since=today + timedelta(days=1)) == 0
    with pytest.raises(SdgBridgeError, match="yyyy-mm-dd"):
        audit.events(engine, since="yesterday")


def test_csv_export_has_no_formula_cells(engine: Engine) -> None:
    with engine.begin() as conn:
        audit.record(conn, "created", "organisation", "=HYPERLINK(\"http://x\")",
                     actor=Actor("@SUM(A1)", "cli"))
    out = audit.write_events_csv(audit.events(engine, record_type="organisation"))
    assert out is not None
    cells = [c for line in out.splitlines()[1:] for c in line.split(",")]
    assert "'@SUM(A1)" in cells and not any(c.startswith(("=", "@", "+", "-")) for c in cells)


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SDGBRIDGE_CLI_USER", "operator")
    return tmp_path


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_acts_as_the_named_user(cli_store: Path) -> None:
    _run("--as", "amina", "groups", "define", "ARAL", "Aral basin", "KAZ", "UZB")
    _run("groups", "define", "FERGANA", "Fergana valley", "UZB")  # the cli_user setting
    rows = json.loads(_run("audit", "list", "--record-type", "group", "--format", "json"))
    assert [(r["record_key"], r["actor"], r["via"]) for r in rows] == [
        ("FERGANA", "cli:operator", "cli"), ("ARAL", "cli:amina", "cli")]
    assert "ARAL" in _run("audit", "list", "--actor", "cli:amina")
    _run("audit", "export", "trail.csv", "--record-type", "group")
    lines = (cli_store / "trail.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,at,actor") and len(lines) == 3
    bad = CliRunner().invoke(app, ["--as", "two words", "groups", "list"])
    assert bad.exit_code != 0 and "without spaces" in str(bad.exception)


def test_api_lists_the_trail_with_the_token_only(engine: Engine) -> None:
    with acting_as(AMINA):
        define_group(engine, "ARAL", "Aral basin", ["KAZ"])
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                        api_token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings, engine=engine)) as client:
        assert client.get("/api/v1/audit").status_code == 401
        assert client.get("/api/v1/audit", headers={
            "Authorization": "Bearer wrong-token-wrong-token-wrong"}).status_code == 401
        body = client.get("/api/v1/audit", params={"record_type": "group"},
                          headers=auth).json()
        assert body["total"] == 1
        assert [(r["actor"], r["record_key"]) for r in body["rows"]] == [("cli:amina", "ARAL")]
        csv = client.get("/api/v1/audit", params={"actor": "cli:amina", "format": "csv"},
                         headers=auth)
        assert csv.headers["content-type"].startswith("text/csv")
        assert "cli:amina" in csv.text and csv.headers["x-total-count"] == "1"
        assert client.get("/api/v1/audit", params={"since": "soon"},
                          headers=auth).status_code == 400


def test_a_reimport_records_what_changed(engine: Engine, tmp_path: Path) -> None:
    copy = tmp_path / "usda-kazakhstan.xml"
    shutil.copy(IATI_ACTIVITIES / copy.name, copy)
    _import(engine, copy)
    with engine.connect() as conn:
        ident, title = conn.execute(select(t.iati_activity.c.iati_identifier,
                                           t.iati_activity.c.title_en).limit(1)).one()
    copy.write_text(copy.read_text(encoding="utf-8").replace(title, "A renamed project", 1),
                    encoding="utf-8")
    report = _import(engine, copy)
    found = audit.history(engine, "activity", ident)
    assert found["action"].to_list() == ["created", "updated"]
    assert found["actor"][1] == f"iati import {report.import_id}"
    assert json.loads(found["before"][1])["title_en"] == title
    assert json.loads(found["after"][1])["title_en"] == "A renamed project"


def _import(engine: Engine, path: Path) -> ImportReport:
    batch = parse_activities([path], load_codelists(IATI_CODELISTS), None)
    return import_batch(engine, batch, [path])


def test_the_server_does_not_act_as_the_cli_user(cli_store: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``sdgbridge serve``'s requests act as the web says, not as whoever started it."""
    root = importlib.import_module("sdgbridge.cli.app")
    entered: list[str] = []
    monkeypatch.setattr(root, "acting_as", lambda who: entered.append(who.label) or
                        acting_as(who))
    _run("serve", "--help")
    assert entered == []
    _run("--as", "amina", "groups", "list")
    assert entered == ["cli:amina"]


def test_the_trail_names_files_not_server_folders(engine: Engine, tmp_path: Path) -> None:
    """The trail is served (the API): a file read shows by its name only."""
    doc = tmp_path / "water-plan.md"
    doc.write_text("# Water plan\n\nClean water for every school.", encoding="utf-8")
    report = add_document(engine, doc, embedder=HashingEmbedder(), tag=False)
    ingest(engine, SDG_CSV / "SI_POV_DAY1.csv")
    remove_document(engine, report.document_id)
    found = audit.events(engine)
    text = " ".join(v or "" for v in found["before"].to_list() + found["after"].to_list())
    assert "water-plan.md" in text and "SI_POV_DAY1.csv" in text
    assert str(tmp_path) not in text and str(SDG_CSV) not in text

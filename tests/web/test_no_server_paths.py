"""Issue 13, finding 7: public answers (API and pages) name files, never the server's
folders: releases' ``location``, projects' ``source_file``, documents' ``source``, the
refusal to edit an imported project. The store keeps the whole path (for the command line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.files import public_name
from sdgbridge.ingest.load import ingest
from sdgbridge.knowledge import add_document
from sdgbridge.query.observations import release_table
from sdgbridge.web.app import create_app
from tests.helpers import IATI_ACTIVITIES, IATI_CODELISTS, derived_slice, import_specimens

TOKEN = "k7Jx-2vQp_9ZsLw4Rt8YbN3mHc6FdGe1"
PROJECT = "US-GOV-2-237287"


@pytest.fixture
def client(sqlite_engine: Engine, tmp_path: Path) -> TestClient:
    ingest(sqlite_engine, derived_slice(tmp_path / "slice.csv", ("EG_ACS_ELEC",)),
           source="paths")
    import_specimens(sqlite_engine, "usda-kazakhstan.xml")
    plan = tmp_path / "plan.txt"
    plan.write_text("Drip irrigation for farmers in Batken province. " * 20, encoding="utf-8")
    add_document(sqlite_engine, plan, title="Plan", kind="plan")
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                        api_token=TOKEN)
    return TestClient(create_app(settings, sqlite_engine))


def _no_folders(text: str, tmp_path: Path) -> None:
    for folder in (str(tmp_path), str(IATI_ACTIVITIES), "/tmp/", "../"):
        assert folder not in text, folder


@pytest.mark.parametrize("path", [
    "/api/v1/releases", "/api/v1/documents", "/api/v1/documents/1", f"/api/v1/projects/{PROJECT}",
    "/api/v1/projects", f"/api/v1/projects/{PROJECT}/history", "/knowledge/1", "/knowledge",
    "/", "/coordination"])
def test_public_answers_name_files_only(client: TestClient, tmp_path: Path, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    _no_folders(r.text, tmp_path)


def test_the_names_are_shown(client: TestClient, sqlite_engine: Engine, tmp_path: Path) -> None:
    assert client.get("/api/v1/releases").json()["rows"][0]["location"] == "slice.csv"
    assert client.get("/api/v1/documents/1").json()["document"]["source"] == "plan.txt"
    project = client.get(f"/api/v1/projects/{PROJECT}").json()["project"]
    assert project["source_file"] == "usda-kazakhstan.xml"
    # The store keeps the whole path, for the command line.
    assert release_table(sqlite_engine)["location"][0] == str(tmp_path / "slice.csv")


def test_an_edit_refusal_names_the_file_only(client: TestClient, tmp_path: Path) -> None:
    r = client.patch(f"/api/v1/projects/{PROJECT}", json={"title_en": "x"},
                     headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 400
    assert "imported from usda-kazakhstan.xml:" in r.json()["error"]
    _no_folders(r.text, tmp_path)


def test_an_empty_store_has_no_releases_to_name(sqlite_engine: Engine) -> None:
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS)
    r = TestClient(create_app(settings, sqlite_engine)).get("/api/v1/releases")
    assert r.status_code == 200 and r.json()["rows"] == []


@pytest.mark.parametrize(("given", "shown"), [
    ("/srv/data/slice.csv", "slice.csv"), ("../shared/data/x.xml", "x.xml"),
    ("C:\\data\\x.csv", "x.csv"), ("slice.csv", "slice.csv"), ("manual", "manual"),
    ("https://unstats.un.org/sdgapi/v1/sdg/Series/Data", "https://unstats.un.org/sdgapi/v1/sdg/Series/Data"),
    (None, None)])
def test_public_name(given: str | None, shown: str | None) -> None:
    assert public_name(given) == shown

"""Issue 13, finding 8: public reads (no token) never show organisations' contacts' personal
fields, now or in the history, nor archived organisations; with the token they are shown.
A project's history never shows an organisation's changes that share its key."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.projects.queries import project_table
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS, import_specimens

TOKEN = "Zq8-Lm3vTx_7NpRw2KcY5bHd9FgJs4e6"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PERSON = {"name": "Aigerim Person", "email": "aigerim@example.org", "phone": "+7 700 000 0000",
          "role": "focal point"}
ORG = {"name_en": "Aral Sea basin programme", "type": "40", "ref": "XM-PRIV-1",
       "contacts": [PERSON, {"email": "second@example.org"}]}
PERSONAL = ("Aigerim", "aigerim@example.org", "+7 700", "second@example.org")


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    settings = Settings(database_url="sqlite:///unused.db", api_token=TOKEN,
                        iati_codelists=IATI_CODELISTS)
    with TestClient(create_app(settings, engine=engine)) as c:
        assert c.post("/api/v1/organisations", json=ORG, headers=AUTH).status_code == 201
        yield c


def _public(text: str) -> None:
    for value in PERSONAL:
        assert value not in text


def _contacts(org: dict) -> list[dict]:
    return json.loads(org["contacts"])


def test_public_reads_show_roles_only(client: TestClient) -> None:
    listed = client.get("/api/v1/organisations")
    _public(listed.text)
    assert _contacts(listed.json()["rows"][0]) == [{"role": "focal point"}, {}]
    shown = client.get("/api/v1/organisations/XM-PRIV-1")
    _public(shown.text)
    assert _contacts(shown.json()["organisation"]) == [{"role": "focal point"}, {}]
    created = json.loads(shown.json()["history"][0]["details"])
    assert created["contacts"] == [None, [{"role": "focal point"}, {}]]


def test_the_token_shows_the_contacts(client: TestClient) -> None:
    listed = client.get("/api/v1/organisations", headers=AUTH)
    assert _contacts(listed.json()["rows"][0])[0] == PERSON
    assert listed.headers["cache-control"] == "private, no-store"
    shown = client.get("/api/v1/organisations/XM-PRIV-1", headers=AUTH).json()
    assert _contacts(shown["organisation"])[0] == PERSON
    assert "aigerim@example.org" in client.get("/api/v1/organisations/XM-PRIV-1/history",
                                               headers=AUTH).text


def test_removed_contacts_stay_out_of_the_public_history(client: TestClient) -> None:
    assert client.patch("/api/v1/organisations/XM-PRIV-1", headers=AUTH,
                        json={"contacts": None}).status_code == 200
    for path in ("/api/v1/organisations/XM-PRIV-1/history", "/api/v1/organisations/XM-PRIV-1"):
        r = client.get(path)
        assert r.status_code == 200
        _public(r.text)
    rows = client.get("/api/v1/organisations/XM-PRIV-1/history").json()["rows"]
    removed = json.loads(rows[-1]["details"])["contacts"]
    assert removed == [[{"role": "focal point"}, {}], []]
    assert "aigerim@example.org" in client.get("/api/v1/organisations/XM-PRIV-1/history",
                                               headers=AUTH).text


def test_archived_organisations_are_not_public(client: TestClient) -> None:
    assert client.post("/api/v1/organisations/XM-PRIV-1/archive",
                       headers=AUTH).json()["archived"] is True
    for path in ("/api/v1/organisations/XM-PRIV-1", "/api/v1/organisations/XM-PRIV-1/history"):
        r = client.get(path)
        assert r.status_code == 404, r.text
        assert r.json()["error"].startswith("No organisation 'XM-PRIV-1'.")
        assert client.get(path, headers=AUTH).status_code == 200
    assert client.get("/api/v1/organisations?archived=true").json()["total"] == 0
    assert client.get("/api/v1/organisations?archived=true", headers=AUTH).json()["total"] == 1


def test_a_wrong_token_on_a_read_is_refused(client: TestClient) -> None:
    r = client.get("/api/v1/organisations",
                   headers={"Authorization": "Bearer not-the-token-not-the-token"})
    assert r.status_code == 401
    assert r.json()["error"].startswith("Wrong API token.")


def test_a_project_history_leaves_out_an_organisation_with_its_key(
        client: TestClient, engine: Engine) -> None:
    import_specimens(engine, "usda-kazakhstan.xml")
    project = project_table(engine)["iati_identifier"][0]
    assert client.post("/api/v1/organisations", headers=AUTH, json={
        **ORG, "ref": project}).status_code == 201
    for path in (f"/api/v1/projects/{project}/history", f"/api/v1/projects/{project}"):
        r = client.get(path, headers=AUTH)
        assert r.status_code == 200
        _public(r.text)

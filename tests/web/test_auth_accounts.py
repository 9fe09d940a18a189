"""The API with personal keys: the write scope, the role rules on organisation and project
writes (own organisation yes, another no, refusals in the audit trail), revoked keys, the
writer as the current actor, trusted reads and /metrics by key, and the deprecated shared
token still working (with a warning)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from sdgbridge.accounts import keys, users
from sdgbridge.actors import current_actor
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org, one_org
from sdgbridge.web import auth
from sdgbridge.web.api import orgs as orgs_api
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS

TOKEN = "q8Vn-3xTr_6KmZw1Ls4PbH7cJd2FgYe9"
OWN, OTHER = "XM-OWN-1", "XM-OTHER-2"
PROJECT = {"title_en": "Water for Aral villages", "status": "2", "countries": ["KZ"],
           "sectors": ["14030"], "planned_start": "2024-01-01", "planned_end": "2026-12-31"}


@pytest.fixture
def setup(engine: Engine) -> dict[str, str]:
    """Organisations OWN and OTHER (with a contact), and keys: a partner editor of OWN
    (write, read-only, revoked), an analyst (read), an administrator (admin)."""
    codelists = load_codelists(IATI_CODELISTS)
    for ref in (OWN, OTHER):
        create_org(engine, name_en=f"Organisation {ref}", type="40", ref=ref,
                   contacts=[{"name": "A. Person", "email": "a@x.org"}], codelists=codelists)
    users.create_account(engine, "ed@own.org", "Ed")
    users.set_membership(engine, "ed@own.org", OWN, "partner_editor")
    users.create_account(engine, "an@centre.org", "An")
    users.set_membership(engine, "an@centre.org", OTHER, "analyst")
    users.create_account(engine, "root@centre.org", "Root", administrator=True)
    made = {"write": keys.create_key(engine, "ed@own.org", "w", ["read", "write"], OWN),
            "read": keys.create_key(engine, "ed@own.org", "r", ["read"], OWN),
            "revoked": keys.create_key(engine, "ed@own.org", "x", ["read", "write"], OWN),
            "analyst": keys.create_key(engine, "an@centre.org", "a", ["read"]),
            "admin": keys.create_key(engine, "root@centre.org", "m", ["read", "admin"])}
    keys.revoke_key(engine, made["revoked"].id)
    return {name: new.secret for name, new in made.items()}


def _client(engine: Engine, **extra: Any) -> TestClient:
    return TestClient(create_app(Settings(database_url="sqlite:///unused.db",
                                          iati_codelists=IATI_CODELISTS, **extra),
                                 engine=engine))


@pytest.fixture
def client(engine: Engine, setup: dict[str, str]) -> Iterator[TestClient]:
    with _client(engine, api_token=TOKEN) as c:
        yield c


def _as(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _name(engine: Engine, ref: str) -> str:
    return str(one_org(engine, ref)["name_en"][0])


def _refusals(engine: Engine) -> list[tuple[str, str, str, str]]:
    e = t.audit_event.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(e.actor, e.action, e.record_type, e.record_key)
            .where(e.outcome == "refused"))]


def test_a_read_only_key_may_not_write(client: TestClient, engine: Engine,
                                       setup: dict[str, str]) -> None:
    r = client.patch(f"/api/v1/organisations/{OWN}", json={"name_en": "Changed"},
                     headers=_as(setup["read"]))
    assert r.status_code == 403
    assert r.json()["error"].startswith("This API key lacks the 'write' scope (it has: read).")
    assert _name(engine, OWN) == f"Organisation {OWN}"
    assert _refusals(engine) == [("ed@own.org", "write", "request",
                                  f"PATCH /api/v1/organisations/{OWN}")]


def test_a_partner_editor_changes_its_own_organisation_only(
        client: TestClient, engine: Engine, setup: dict[str, str]) -> None:
    other = client.patch(f"/api/v1/organisations/{OTHER}", json={"name_en": "Taken over"},
                         headers=_as(setup["write"]))
    assert other.status_code == 403
    assert other.json()["error"].startswith(
        f"ed@own.org (role partner_editor) may not update organisation {OTHER}.")
    assert _name(engine, OTHER) == f"Organisation {OTHER}"
    assert _refusals(engine) == [("ed@own.org", "update", "organisation", OTHER)]
    archive = client.post(f"/api/v1/organisations/{OWN}/archive", headers=_as(setup["write"]))
    assert archive.status_code == 403  # its profile, yes; archiving it, no
    own = client.patch(f"/api/v1/organisations/{OWN}", json={"name_en": "Renamed"},
                       headers=_as(setup["write"]))
    assert own.status_code == 200, own.text
    assert _name(engine, OWN) == "Renamed"
    created = client.post("/api/v1/organisations", headers=_as(setup["write"]),
                          json={"name_en": "New", "type": "40", "ref": "XM-NEW-3"})
    assert created.status_code == 403


def test_a_partner_editor_writes_its_own_organisations_projects(
        client: TestClient, engine: Engine, setup: dict[str, str]) -> None:
    theirs = {**PROJECT, "identifier": f"{OTHER}-P1", "reporting_org_ref": OTHER}
    assert client.post("/api/v1/projects", json=theirs,
                       headers=_as(setup["write"])).status_code == 403
    ours = {**PROJECT, "identifier": f"{OWN}-P1", "reporting_org_ref": OWN}
    r = client.post("/api/v1/projects", json=ours, headers=_as(setup["write"]))
    assert r.status_code == 201, r.text
    assert client.patch(f"/api/v1/projects/{OWN}-P1", json={"status": "3"},
                        headers=_as(setup["write"])).status_code == 200
    assert client.post("/api/v1/projects", json=theirs, headers=_as(TOKEN)).status_code == 201
    assert client.patch(f"/api/v1/projects/{OTHER}-P1", json={"status": "3"},
                        headers=_as(setup["write"])).status_code == 403
    assert client.post(f"/api/v1/projects/{OTHER}-P1/archive",
                       headers=_as(setup["write"])).status_code == 403


def test_revoked_and_unknown_keys_are_401(client: TestClient, setup: dict[str, str]) -> None:
    for secret in (setup["revoked"], "sdg_" + "Z" * 43):
        r = client.patch(f"/api/v1/organisations/{OWN}", json={"name_en": "x"},
                         headers=_as(secret))
        assert r.status_code == 401
        assert r.json()["error"].startswith("This API key is unknown, revoked or expired")
        assert client.get("/api/v1/organisations", headers=_as(secret)).status_code == 401


def test_the_write_runs_as_the_keys_actor(client: TestClient, setup: dict[str, str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def spy(*args: Any, **kwargs: Any) -> dict[str, list[Any]]:
        seen.append(current_actor())
        return {}

    monkeypatch.setattr(orgs_api, "update_org", spy)
    r = client.patch(f"/api/v1/organisations/{OWN}", json={"name_en": "x"},
                     headers=_as(setup["write"]))
    assert r.status_code == 200, r.text
    assert [(a.label, a.via, a.role, a.scopes) for a in seen] == [
        ("ed@own.org", "api", "partner_editor", frozenset({"read", "write"}))]
    client.patch(f"/api/v1/organisations/{OWN}", json={"name_en": "x"}, headers=_as(TOKEN))
    assert seen[-1] == auth.LEGACY


def test_the_shared_token_still_works_and_warns(engine: Engine, setup: dict[str, str],
                                                caplog: pytest.LogCaptureFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_warned", [])
    with caplog.at_level(logging.WARNING, "sdgbridge.web.auth"), \
            _client(engine, api_token=TOKEN) as c:
        assert any("deprecated" in rec.message for rec in caplog.records)  # at start-up
        for _ in range(2):
            r = c.patch(f"/api/v1/organisations/{OTHER}", json={"name_en": "By token"},
                        headers=_as(TOKEN))
            assert r.status_code == 200, r.text
    warnings = [rec.message for rec in caplog.records if "deprecated" in rec.message]
    assert len(warnings) == 1 and TOKEN not in warnings[0]


def test_keys_work_without_a_shared_token(engine: Engine, setup: dict[str, str]) -> None:
    with _client(engine) as c:
        assert c.patch(f"/api/v1/organisations/{OWN}", json={"name_en": "Keyed"},
                       headers=_as(setup["write"])).status_code == 200
        none = c.patch(f"/api/v1/organisations/{OWN}", json={"name_en": "x"})
        assert none.status_code == 401  # keys exist: not read-only, just not signed
        assert none.json()["error"].startswith("This endpoint changes data: send your API key")


def test_trusted_reads_by_role(client: TestClient, setup: dict[str, str]) -> None:
    def contact(secret: str | None) -> dict[str, Any]:
        r = client.get(f"/api/v1/organisations/{OWN}",
                       headers=_as(secret) if secret else {})
        assert r.status_code == 200, r.text
        return r.json()["organisation"]

    assert "a@x.org" in str(contact(setup["analyst"]))
    assert "a@x.org" in str(contact(TOKEN))
    assert "a@x.org" not in str(contact(setup["read"]))  # a partner editor: public view
    assert "a@x.org" not in str(contact(None))


def test_a_live_key_is_not_rate_limited(engine: Engine, setup: dict[str, str]) -> None:
    with _client(engine, rate_limit_per_minute=1, rate_limit_burst=1) as c:
        for _ in range(3):
            assert c.get("/api/v1/search?q=water", headers=_as(setup["read"])).status_code \
                != 429
        assert c.get("/api/v1/search?q=water").status_code != 429
        assert c.get("/api/v1/search?q=water").status_code == 429
        assert c.get("/api/v1/search?q=water",
                     headers=_as(setup["revoked"])).status_code == 429


def test_metrics_by_admin_key(engine: Engine, setup: dict[str, str]) -> None:
    with _client(engine, metrics_token_required=True) as c:
        assert c.get("/metrics", headers=_as(setup["admin"])).status_code == 200
        refused = c.get("/metrics", headers=_as(setup["read"]))
        assert refused.status_code == 403 and "'admin' scope" in refused.json()["error"]
        assert c.get("/metrics").status_code == 503


def test_documents_by_role(engine: Engine, setup: dict[str, str]) -> None:
    users.create_account(engine, "re@own.org", "Re")
    users.set_membership(engine, "re@own.org", OTHER, "reader")
    reader = keys.create_key(engine, "re@own.org", "w", ["read", "write"]).secret
    record = {"title": "Drip irrigation in Fergana", "kind": "practice",
              "text": "Drip irrigation cut water use by a third on cotton farms."}
    with _client(engine, embedder="hashing") as c:
        refused = c.post("/api/v1/documents", json=record, headers=_as(reader))
        assert refused.status_code == 403
        assert refused.json()["error"].startswith("re@own.org (role reader) may not create "
                                                  "document Drip irrigation in Fergana.")
        added = c.post("/api/v1/documents", json=record, headers=_as(setup["write"]))
        assert added.status_code == 201, added.text
        doc_id = added.json()["id"]
        # not the partner's: the API does not yet record a document's organisation
        tag = c.post(f"/api/v1/documents/{doc_id}/tags", json={"code": "6", "action": "set"},
                     headers=_as(setup["write"]))
        assert tag.status_code == 403
    assert ("ed@own.org", "update", "document", str(doc_id)) in _refusals(engine)

"""Technical-assistance requests through the API (issue 16): a focal point files a request in
Russian with its key, the Centre triages, ranks and picks, the expert accepts and delivers,
the focal point closes it with feedback; the lifecycle's refusals answered 403 or 409 and
recorded in the audit trail; no key, no read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from sdgbridge.accounts import keys, users
from sdgbridge.actors import Actor, acting_as
from sdgbridge.assistance.service import add_expert
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS

PEOPLE = {"focal@gov.kg": ("focal_point", "KGZ"), "analyst@centre.org": ("analyst", None),
          "aida@water.org": ("reader", None), "reader@x.org": ("reader", None)}
BODY = {"title": "Эффективность водопользования в орошении",
        "description": "Нужен совет по измерению эффективности водопользования (6.4.1).",
        "country": "KGZ", "requesting_body": "Министерство водных ресурсов",
        "targets": ["6.4"], "languages": ["ru"], "submit": True}


@pytest.fixture
def api(engine: Engine) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    create_org(engine, name_en="Centre", type="40", ref="XM-CENTRE",
               codelists=load_codelists(IATI_CODELISTS))
    headers = {}
    for email, (role, country) in PEOPLE.items():
        users.create_account(engine, email, email.split("@")[0], languages="ru")
        users.set_membership(engine, email, "XM-CENTRE", role, country)
        secret = keys.create_key(engine, email, "test", ["read", "write"], "XM-CENTRE").secret
        headers[email] = {"Authorization": f"Bearer {secret}"}
    with engine.connect() as conn:
        aida = conn.execute(select(t.account.c.id).where(
            t.account.c.email == "aida@water.org")).scalar_one()
    with acting_as(Actor("cli:setup", "cli", role="administrator", administrator=True)):
        add_expert(engine, name="Aida Water", email="aida@water.org", languages="ru",
                   targets="6.4", countries="KGZ", account_id=aida)
    app = create_app(Settings(database_url="sqlite:///unused.db", embedder="hashing",
                              secure_cookies=False), engine=engine)
    with TestClient(app) as client:
        yield client, headers


def test_the_whole_lifecycle_through_the_api(engine: Engine, api: tuple) -> None:
    client, h = api
    filed = client.post("/api/v1/requests", json=BODY, headers=h["focal@gov.kg"])
    assert filed.status_code == 201, filed.text
    rid = int(filed.json()["key"])
    centre, expert, focal = h["analyst@centre.org"], h["aida@water.org"], h["focal@gov.kg"]
    assert client.post(f"/api/v1/requests/{rid}/transitions", json={"to": "triaged"},
                       headers=centre).status_code == 200
    ranked = client.get(f"/api/v1/requests/{rid}/matches", headers=centre).json()["rows"]
    assert ranked[0]["name"] == "Aida Water" and "works on 6.4" in ranked[0]["reasons"]
    assert client.post(f"/api/v1/requests/{rid}/candidates", json={"best": 1},
                       headers=centre).json()["proposed"] == 1
    assert client.post(f"/api/v1/requests/{rid}/pick", json={"kind": "expert", "key": "1"},
                       headers=centre).status_code == 200
    for step in ({"accept": True},):
        assert client.post(f"/api/v1/requests/{rid}/answer", json=step,
                           headers=expert).status_code == 200
    for state in ("in_progress", "delivered"):
        assert client.post(f"/api/v1/requests/{rid}/transitions", json={"to": state},
                           headers=expert).status_code == 200
    assert client.post(f"/api/v1/requests/{rid}/comments", json={"text": "Спасибо!"},
                       headers=focal).status_code == 200
    closed = client.post(f"/api/v1/requests/{rid}/feedback", json={
        "rating": 5, "text": "Полезно", "indicators": ["6.4.1"]}, headers=focal)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    shown = client.get(f"/api/v1/requests/{rid}", headers=focal).json()
    assert shown["request"]["state"] == "closed" and shown["feedback"]["rating"] == 5
    assert [x["to_state"] for x in shown["transitions"]] == [
        "draft", "submitted", "triaged", "matched", "accepted", "in_progress", "delivered",
        "closed"]
    with engine.connect() as conn:
        outbox = conn.execute(select(t.mail_outbox.c.to_address)).scalars().all()
    assert "aida@water.org" in outbox and "focal@gov.kg" in outbox  # each told by mail


def test_refusals_are_answered_and_recorded(engine: Engine, api: tuple) -> None:
    client, h = api
    rid = int(client.post("/api/v1/requests", json=BODY, headers=h["focal@gov.kg"]
                          ).json()["key"])
    not_party = client.post(f"/api/v1/requests/{rid}/transitions", json={"to": "triaged"},
                            headers=h["focal@gov.kg"])  # the Centre's step
    assert not_party.status_code == 403
    assert "that is for the centre" in not_party.json()["error"]
    not_now = client.post(f"/api/v1/requests/{rid}/transitions", json={"to": "delivered"},
                          headers=h["analyst@centre.org"])
    assert not_now.status_code == 409
    assert "From submitted it can become: triaged, declined, withdrawn" in \
        not_now.json()["error"]
    with engine.connect() as conn:
        refused = conn.execute(select(t.audit_event.c.actor).where(
            t.audit_event.c.outcome == "refused",
            t.audit_event.c.record_key == str(rid))).scalars().all()
    assert sorted(refused) == ["analyst@centre.org", "focal@gov.kg"]
    assert client.get("/api/v1/requests").status_code == 401  # no key
    assert client.get("/api/v1/requests", headers=h["reader@x.org"]).status_code == 403
    other = client.post("/api/v1/requests", json={**BODY, "country": "TJK"},
                        headers=h["focal@gov.kg"])
    assert other.status_code == 403  # a focal point files for its own country only
    bad = client.post("/api/v1/requests", json={**BODY, "targets": ["6.99"]},
                      headers=h["focal@gov.kg"])
    assert bad.status_code == 400 and "No SDG target 6.99" in bad.json()["error"]
    with engine.connect() as conn:
        assert conn.execute(select(t.ta_request.c.id)).scalars().all() == [rid]

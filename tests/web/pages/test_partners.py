"""A partner's own records on the pages (issue 14): its organisation's profile (names,
countries, contacts) and its projects made by hand (add, edit), with the library's refusals
on the form and nothing written, and another partner refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from sdgbridge.accounts import users
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org, one_org
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS

PASSWORD = "correct horse battery staple"
UNDP, OTHER = "XM-DAC-41114", "XM-OTHER-1"


@pytest.fixture
def app(engine: Engine) -> Iterator[object]:
    codelists = load_codelists(IATI_CODELISTS)
    for ref in (UNDP, OTHER):
        create_org(engine, name_en=f"Org {ref}", type="40", ref=ref, codelists=codelists)
    for email, ref in (("ed@undp.org", UNDP), ("ot@other.org", OTHER)):
        users.create_account(engine, email, "Ed")
        users.set_membership(engine, email, ref, "partner_editor")
        users.set_password(engine, email, PASSWORD)
    yield create_app(Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                              secure_cookies=False), engine=engine)


def _token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:1000]
    return found.group(1)


def _signed_in(app: object, email: str) -> TestClient:
    client = TestClient(app)  # type: ignore[arg-type]
    form = client.get("/sign-in")
    client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                  "csrf": _token(form.text)})
    return client


def test_a_partner_edits_its_profile(app: object, engine: Engine) -> None:
    ed = _signed_in(app, "ed@undp.org")
    account = ed.get("/account").text
    assert f'href="/organisations/{UNDP}/edit"' in account and 'href="/projects/new"' in account
    form = ed.get(f"/organisations/{UNDP}/edit")
    assert form.status_code == 200
    bad = ed.post(f"/organisations/{UNDP}/edit", data={
        "csrf": _token(form.text), "name_en": "UNDP", "contact_name": ["Aida"],
        "contact_email": ["not-an-address"], "contact_phone": [""]})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.text
    assert one_org(engine, UNDP)["name_en"][0] == f"Org {UNDP}"  # nothing written
    saved = ed.post(f"/organisations/{UNDP}/edit", data={
        "csrf": _token(form.text), "name_en": "UNDP", "name_ru": "ПРООН",
        "countries": ["KG", "TJ"], "contact_name": ["Aida", ""],
        "contact_email": ["aida@undp.org", ""], "contact_phone": ["+996 312 000000", ""]})
    assert saved.status_code == 200 and "Saved" in saved.text
    row = one_org(engine, UNDP).to_dicts()[0]
    assert (row["name_ru"], row["countries"]) == ("ПРООН", "KG,TJ")
    assert "aida@undp.org" in row["contacts"]
    other = _signed_in(app, "ot@other.org")
    assert other.get(f"/organisations/{UNDP}/edit").status_code == 403
    refused = other.post(f"/organisations/{UNDP}/edit", data={
        "csrf": _token(other.get("/account").text), "name_en": "Taken over"})
    assert refused.status_code == 403
    assert one_org(engine, UNDP)["name_en"][0] == "UNDP"


def test_a_partner_adds_and_edits_a_project(app: object, engine: Engine) -> None:
    ed = _signed_in(app, "ed@undp.org")
    form = ed.get("/projects/new")
    assert form.status_code == 200 and f"{UNDP}-" in form.text
    data = {"csrf": _token(form.text), "code": "BATKEN-1", "title_en": "Drip irrigation",
            "title_ru": "Капельное орошение", "status": "2", "countries": ["KG"],
            "sectors": "14030", "planned_start": "2026-01-01", "planned_end": "2025-01-01",
            "visibility": "partners"}
    bad = ed.post("/projects/new", data=data)
    assert bad.status_code == 400 and "planned_end" in bad.text  # the end before the start
    with engine.connect() as conn:
        assert conn.execute(select(t.iati_activity)).first() is None
    made = ed.post("/projects/new", data={**data, "planned_end": "2027-12-31"},
                   follow_redirects=False)
    assert made.status_code == 303
    path = made.headers["location"]
    assert path.startswith(f"/projects/{UNDP}-BATKEN-1/edit")
    page = ed.get(path)
    assert "The project is added" in page.text and "Капельное орошение" in page.text
    assert f"{UNDP}-BATKEN-1" in ed.get("/account").text
    ed.post(f"/projects/{UNDP}-BATKEN-1/edit", data={
        "csrf": _token(page.text), "title_en": "Drip irrigation in Batken", "status": "3",
        "planned_start": "2026-01-01", "planned_end": "2027-12-31"})
    with engine.connect() as conn:
        row = conn.execute(select(t.iati_activity.c.title_en, t.iati_activity.c.status)
                           ).one()
    assert tuple(row) == ("Drip irrigation in Batken", "3")
    public = TestClient(app)  # type: ignore[arg-type]
    assert public.get(f"/api/v1/projects/{UNDP}-BATKEN-1").status_code == 404  # partners only
    assert "BATKEN" not in public.get("/api/v1/projects").text
    other = _signed_in(app, "ot@other.org")
    assert other.get(f"/api/v1/projects/{UNDP}-BATKEN-1").status_code == 200  # a partner
    assert other.get(f"/projects/{UNDP}-BATKEN-1/edit").status_code == 403
    assert other.post(f"/projects/{UNDP}-BATKEN-1/edit", data={
        "csrf": _token(other.get("/account").text), "title_en": "x",
        "status": "2"}).status_code == 403


def test_the_forms_refusals_read_in_russian(app: object, engine: Engine) -> None:
    ed = _signed_in(app, "ed@undp.org")
    form = ed.get(f"/organisations/{UNDP}/edit?lang=ru")
    bad = ed.post(f"/organisations/{UNDP}/edit", data={
        "csrf": _token(form.text), "name_en": "UNDP", "contact_name": ["Aida"],
        "contact_email": ["not-an-address"], "contact_phone": [""]})
    assert bad.status_code == 400 and "не адрес электронной почты" in bad.text
    assert "is not an e-mail address" not in bad.text
    form = ed.get("/projects/new")
    data = {"csrf": _token(form.text), "code": "BATKEN-1", "title_en": "Drip irrigation",
            "status": "2", "countries": ["KG"], "sectors": "99999",
            "planned_start": "2026-01-01", "planned_end": "2027-12-31"}
    sector = ed.post("/projects/new", data=data)
    assert sector.status_code == 400
    assert "(сектор) не входит в справочник IATI Sector. Используйте один из" in sector.text
    date = ed.post("/projects/new", data={**data, "sectors": "14030", "planned_end": "2027"})
    assert date.status_code == 400 and "запишите её как гггг-мм-дд" in date.text
    with engine.connect() as conn:
        assert conn.execute(select(t.iati_activity)).first() is None
    other = _signed_in(app, "ot@other.org")
    refused = other.get(f"/organisations/{UNDP}/edit?lang=ru")
    assert refused.status_code == 403
    assert f"ot@other.org не может редактировать Org {UNDP}" in refused.text

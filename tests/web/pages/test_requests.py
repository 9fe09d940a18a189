"""Technical assistance on the pages (issue 16): a focal point files a request in Russian
through the form; the Centre triages it, proposes candidates from the ranking and picks
the expert; the expert (an account with no role, reading the request as its candidate)
accepts, starts and delivers; the focal point closes it with feedback. Refusals come back
on the page with the library's message and change nothing: a focal point of another
country, an illegal change of state, a bad target, a date before today. Each step leaves
a mail for the parties in the outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from sdgbridge.accounts import users
from sdgbridge.actors import Actor, acting_as
from sdgbridge.assistance.service import add_expert
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS

PASSWORD = "correct horse battery staple"
CENTRE, MINISTRY_KG, MINISTRY_TJ = "XM-CENTRE-1", "XM-GOV-KG", "XM-GOV-TJ"
PEOPLE = {"analyst@centre.org": (CENTRE, "analyst", None),
          "focal@gov.kg": (MINISTRY_KG, "focal_point", "KGZ"),
          "focal@gov.tj": (MINISTRY_TJ, "focal_point", "TJK"),
          "aida@water.org": (None, None, None)}
TITLE = "Повышение эффективности водопользования в орошении"


@pytest.fixture
def app(engine: Engine) -> Iterator[Any]:
    codelists = load_codelists(IATI_CODELISTS)
    for ref in (CENTRE, MINISTRY_KG, MINISTRY_TJ):
        create_org(engine, name_en=f"Org {ref}", type="10", ref=ref, codelists=codelists)
    for email, (ref, role, country) in PEOPLE.items():
        users.create_account(engine, email, email.split("@")[0], languages="ru")
        if ref:
            users.set_membership(engine, email, ref, role, country)
        users.set_password(engine, email, PASSWORD)
    with engine.connect() as conn:
        aida = conn.execute(select(t.account.c.id).where(
            t.account.c.email == "aida@water.org")).scalar_one()
    with acting_as(Actor("cli:centre", "cli")):
        add_expert(engine, name="Aida Water", email="aida@water.org", languages="ru,ky",
                   targets="6.4", countries="KGZ", account_id=aida)
    yield create_app(Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                              embedder="hashing", secure_cookies=False,
                              page_cache_entries=0), engine=engine)


def _token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:1000]
    return found.group(1)


def _signed_in(app: Any, email: str) -> TestClient:
    client = TestClient(app)
    client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                  "csrf": _token(client.get("/sign-in").text)})
    return client


def _state(engine: Engine, rid: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(t.ta_request.c.state).where(
            t.ta_request.c.id == rid)).scalar_one())


def _mails(engine: Engine, to: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.mail_outbox).where(
            t.mail_outbox.c.to_address == to)).scalar_one())


def _post(client: TestClient, path: str, **data: Any) -> Any:
    page = client.get(path.rsplit("/", 1)[0] if path.count("/") > 2 else "/requests")
    return client.post(path, data={"csrf": _token(page.text), **data},
                       follow_redirects=False)


def test_a_request_from_filing_to_feedback_on_the_pages(app: Any, engine: Engine) -> None:
    focal, analyst = _signed_in(app, "focal@gov.kg"), _signed_in(app, "aida@water.org")
    expert, analyst = analyst, _signed_in(app, "analyst@centre.org")
    form = focal.get("/requests/new?lang=ru")
    assert form.status_code == 200 and 'lang="ru"' in form.text
    assert 'option value="KGZ" selected' in form.text  # the focal point's own country
    fields = {"title": TITLE, "description": "Совет по учёту воды и тарифам (6.4.1).",
              "country": "KGZ", "requesting_body": "Министерство водных ресурсов",
              "targets": "6.4, 6.z", "kind": "policy_advice", "urgency": "high",
              "languages": ["ru", "ky"], "wanted_by": "", "csrf": _token(form.text)}
    bad = focal.post("/requests/new", data=fields)
    assert bad.status_code == 400 and "6.z" in bad.text and TITLE in bad.text  # kept
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.ta_request)).scalar_one() == 0
    late = focal.post("/requests/new", data={**fields, "targets": "6.4",
                                             "wanted_by": "2020-01-01"})
    assert late.status_code == 400 and "2020-01-01" in late.text  # before today: refused
    filed = focal.post("/requests/new", data={**fields, "targets": "6.4"},
                       follow_redirects=False)
    assert filed.status_code == 303 and filed.headers["location"] == "/requests/1?done=filed"
    assert _state(engine, 1) == "submitted"
    page = focal.get("/requests/1")
    assert TITLE in page.text and "6.4" in page.text and "Отозвать запрос" in page.text
    assert "Отметить как рассмотренный" not in page.text  # the Centre triages
    # another country's focal point reads neither the page nor the list entry
    other = _signed_in(app, "focal@gov.tj")
    assert other.get("/requests/1").status_code == 403
    assert TITLE not in other.get("/requests").text and TITLE in focal.get("/requests").text
    # an illegal change: the focal point cannot deliver a submitted request
    refused = _post(focal, "/requests/1/move", to="delivered")
    assert refused.status_code == 409 and "не может перейти" in refused.text  # in Russian
    assert _state(engine, 1) == "submitted"
    # the Centre triages, proposes from the ranking, picks the expert
    assert _post(analyst, "/requests/1/move", to="triaged").status_code == 303
    assert _post(analyst, "/requests/1/propose", best="3").status_code == 303
    page = analyst.get("/requests/1").text
    assert "Aida Water" in page and "works on 6.4" in page and "speaks ru, ky" in page
    ru = focal.get("/requests/1").text  # the reasons in the focal point's Russian
    assert "работает над задачами 6.4" in ru and "языки: ru, ky" in ru
    assert "works on" not in ru
    expert_id = re.search(r'name="candidate" value="(expert:\d+)"', page)
    assert expert_id
    assert _post(analyst, "/requests/1/pick", candidate=expert_id.group(1)).status_code == 303
    assert _state(engine, 1) == "matched"
    # the expert, with no role, reads the request as its candidate and accepts
    page = expert.get("/requests/1")
    assert page.status_code == 200 and "Accept the request" in page.text
    assert _post(expert, "/requests/1/answer", answer="accept").status_code == 303
    assert _post(expert, "/requests/1/comment", text="Начну с данных по 6.4.1."
                 ).status_code == 303
    for state in ("in_progress", "delivered"):
        assert _post(expert, "/requests/1/move", to=state).status_code == 303
    assert _state(engine, 1) == "delivered"
    # the focal point closes it with feedback and the indicators to follow
    assert _post(focal, "/requests/1/feedback", rating="5", text="Очень полезно",
                 indicators="6.4.1").status_code == 303
    assert _state(engine, 1) == "closed"
    page = focal.get("/requests/1?lang=ru").text
    assert "Очень полезно" in page and "Начну с данных" in page and "6.4.1" in page
    # the focal point's mail: triaged, matched, accepted, in progress, delivered
    assert _mails(engine, "focal@gov.kg") == 5
    assert _mails(engine, "aida@water.org") == 2  # matched, closed (not its own steps)
    with engine.connect() as conn:
        refusals = conn.execute(select(func.count()).select_from(t.audit_event).where(
            t.audit_event.c.outcome == "refused", t.audit_event.c.record_type == "request")
        ).scalar_one()
    assert refusals >= 2  # the other country's read, the illegal move


def test_attachments_and_the_public(app: Any, engine: Engine) -> None:
    focal = _signed_in(app, "focal@gov.kg")
    form = focal.get("/requests/new")
    focal.post("/requests/new", data={
        "title": "Water metering", "description": "Advice on metering irrigation water.",
        "country": "KGZ", "requesting_body": "Ministry of Water", "targets": "6.4",
        "languages": ["en"], "csrf": _token(form.text), "action": "draft"})
    assert _state(engine, 1) == "draft"
    page = focal.get("/requests/1")
    answer = focal.post("/requests/1/attachments", data={"csrf": _token(page.text)},
                        files={"file": ("terms.md", b"# Terms of reference\n\nMetering of "
                                        b"irrigation water in Batken (6.4.1).\n" * 3,
                                        "text/markdown")}, follow_redirects=False)
    assert answer.status_code == 303
    page = focal.get("/requests/1").text
    assert "terms.md" in page and "Terms of reference" in page
    bad = focal.post("/requests/1/attachments", data={"csrf": _token(page)},
                     files={"file": ("tool.exe", b"MZ...", "application/octet-stream")})
    assert bad.status_code == 413 and "tool.exe" in bad.text and "/tmp" not in bad.text
    public = TestClient(app)
    gone = public.get("/requests/1", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/sign-in")
    assert public.get("/requests", follow_redirects=False).status_code == 303

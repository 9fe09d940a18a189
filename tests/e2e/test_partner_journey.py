"""A partner's first day, in Chromium (issue 14): an administrator invites her; she follows the
mailed link, sets a password, makes an API key, uploads a practice with a Russian title for
partners only, corrects its tags; a signed-in reader sees the practice, the public does not;
the administrator revokes her key and the next API call with it is refused. The pages she
uses are checked by axe-core, wide and at phone width, in English and Russian."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sdgbridge.accounts import users
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from tests.e2e.conftest import shot
from tests.e2e.test_accessibility import check_page
from tests.helpers import IATI_CODELISTS

ADMIN = ("root@centre.org", "the administrator's long passphrase")
READER = ("reader@centre.org", "a reader's long passphrase")
NADIA = ("nadia@undp.org", "Nadia's own long passphrase")
TITLE = "Капельное орошение в Баткене: опыт ассоциации водопользователей"
PRACTICE = (b"# Drip irrigation in Batken\n\nA water users' association in Batken province "
            b"installed drip irrigation on 210 hectares; water use per hectare fell by 40 "
            b"per cent and tail-end farmers now get water in dry summers.\n\n"
            b"Lessons: agree the irrigation fee at the general meeting.\n")


@pytest.fixture(scope="module")
def people(e2e_store: tuple[Settings, Engine]) -> Engine:
    _, engine = e2e_store
    create_org(engine, name_en="United Nations Development Programme", type="40",
               ref="XM-DAC-41114", codelists=load_codelists(IATI_CODELISTS))
    users.create_account(engine, ADMIN[0], "Root", administrator=True)
    users.set_password(engine, *ADMIN)
    users.create_account(engine, READER[0], "Reader")
    users.set_password(engine, *READER)
    return engine


@pytest.fixture
def contexts(browser: Any, base_url: str) -> Iterator[dict[str, Any]]:
    made = {name: browser.new_context(viewport={"width": 1280, "height": 900},
                                      base_url=base_url, locale="en-GB", bypass_csp=True)
            for name in ("admin", "nadia", "reader", "public")}
    yield {name: c.new_page() for name, c in made.items()}
    for c in made.values():
        c.close()


def _sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account")


def test_an_invited_partner_shares_a_practice_with_partners(
        people: Engine, contexts: dict[str, Any], base_url: str) -> None:
    admin, nadia, reader, public = (contexts[k] for k in ("admin", "nadia", "reader",
                                                          "public"))
    problems: dict[str, Any] = {}
    _sign_in(admin, *ADMIN)
    admin.goto("/admin")
    check_page(admin, "admin", problems)
    admin.get_by_label("Email").fill(NADIA[0])
    admin.get_by_label("Name", exact=True).fill("Nadia")
    admin.get_by_label("Organisation").select_option(
        label="United Nations Development Programme (XM-DAC-41114)")
    admin.get_by_label("Role").select_option("partner_editor")
    admin.get_by_label("Language of the mail").select_option("ru")
    admin.get_by_role("button", name="Invite", exact=True).click()
    assert "is invited" in admin.locator("[role=status]").inner_text()

    with people.connect() as conn:
        body = conn.execute(select(t.mail_outbox.c.body).where(
            t.mail_outbox.c.to_address == NADIA[0])).scalar_one()
    link = re.search(r"https?://\S+?(/invitation/\S+)", body)
    assert link and "Здравствуйте" in body
    nadia.goto(link.group(1) + "?lang=ru")
    assert nadia.locator("h1").inner_text() == "Добро пожаловать: задайте пароль"
    check_page(nadia, "invitation (ru)", problems)
    nadia.get_by_label("Новый пароль").fill(NADIA[1])
    nadia.get_by_label("Тот же пароль ещё раз").fill(NADIA[1])
    nadia.get_by_role("button", name="Задать пароль и войти").click()
    nadia.wait_for_url("**/account")
    assert "редактор партнёра" in nadia.content()
    nadia.goto("/account?lang=en")
    check_page(nadia, "account", problems)
    nadia.get_by_label("What will use the key").fill("reporting script")
    nadia.get_by_label("write").check()
    nadia.get_by_role("button", name="Make a key").click()
    secret = nadia.locator("code.secret").inner_text()
    assert secret.startswith("sdg_")

    nadia.goto("/knowledge")
    nadia.get_by_role("link", name="Add a document or practice").click()
    nadia.wait_for_url("**/knowledge/new")
    check_page(nadia, "upload form", problems)
    nadia.get_by_label("File").set_input_files(
        files=[{"name": "batken.md", "mimeType": "text/markdown", "buffer": PRACTICE}])
    nadia.get_by_label("Title").fill(TITLE)
    nadia.get_by_label("Kyrgyzstan").check()
    nadia.get_by_label("SDG goals or targets it concerns").fill("6.4")
    nadia.get_by_label("partners only").check()
    shot(nadia, "partner-upload")
    nadia.get_by_role("button", name="Add the document").click()
    nadia.wait_for_url(re.compile(r".*/knowledge/\d+$"))
    path = nadia.url.removeprefix(base_url)
    assert nadia.locator("h1").inner_text() == TITLE
    assert "partners only" in nadia.content() and "Target 6.4" in nadia.content()
    nadia.get_by_label("Add goals or targets").fill("2.4")
    nadia.get_by_label("Remove goals or targets").fill("6.4")
    nadia.get_by_role("button", name="Save the tags").click()
    nadia.wait_for_url(re.compile(r".*/knowledge/\d+#tags-h$"))
    assert "Target 2.4" in nadia.content() and "Target 6.4" not in nadia.content()
    check_page(nadia, "document with its tag form", problems)
    shot(nadia, "partner-document")

    _sign_in(reader, *READER)
    reader.goto(path)
    assert reader.locator("h1").inner_text() == TITLE
    assert "Correct the tags" not in reader.content()
    reader.goto("/knowledge?q=drip+irrigation+Batken")
    assert TITLE in reader.content()
    answer = public.goto(path)
    assert answer is not None and answer.status == 404
    public.goto("/knowledge?q=drip+irrigation+Batken")
    assert TITLE not in public.content()

    doc_id = path.rsplit("/", 1)[1]
    api = nadia.request
    assert api.get(f"/api/v1/documents/{doc_id}",
                   headers={"Authorization": f"Bearer {secret}"}).status == 200
    admin.goto("/admin/keys")
    admin.get_by_role("button", name="Revoke key reporting script").click()
    admin.wait_for_url("**/admin/keys")
    refused = api.get(f"/api/v1/documents/{doc_id}",
                      headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401
    assert not problems, problems

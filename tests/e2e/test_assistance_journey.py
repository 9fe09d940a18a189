"""Technical assistance in Chromium (issue 16): a Kyrgyz focal point files a request in
Russian; the Centre's analyst triages it, proposes candidates from the ranking and picks
the expert; the expert accepts, starts and delivers; the focal point closes it with a
rating, words and the indicator to follow. After each step the outbox is sent to a local
SMTP server (aiosmtpd) and the step's mail has arrived for the party that must act or
know. The pages are checked by axe-core, wide and at phone width, in Russian (the focal
point) and English (the analyst, the expert)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sdgbridge import mail
from sdgbridge.accounts import users
from sdgbridge.actors import Actor, acting_as
from sdgbridge.assistance.service import add_expert
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.web.app import create_app
from tests.e2e.conftest import serving, shot
from tests.e2e.test_accessibility import check_page
from tests.helpers import IATI_CODELISTS
from tests.test_mail import Collector, smtp_server

PASSWORD = "a long passphrase for the journey"
FOCAL, ANALYST, EXPERT, CENTRE_INBOX = ("focal@gov.kg", "analyst@centre.org",
                                        "aida@water.org", "ta@centre.org")
TITLE = "Повышение эффективности водопользования в орошении"


@pytest.fixture(scope="module")
def people(e2e_store: tuple[Settings, Engine]) -> Engine:
    _, engine = e2e_store
    codelists = load_codelists(IATI_CODELISTS)
    for ref in ("XM-TA-CENTRE", "XM-TA-GOV-KG"):
        create_org(engine, name_en=f"Organisation {ref}", type="10", ref=ref,
                   codelists=codelists)
    for email, ref, role, country, lang in (
            (FOCAL, "XM-TA-GOV-KG", "focal_point", "KGZ", "ru"),
            (ANALYST, "XM-TA-CENTRE", "analyst", None, "en"), (EXPERT, None, None, None, "en")):
        users.create_account(engine, email, email.split("@")[0], languages=lang)
        if ref:
            users.set_membership(engine, email, ref, role, country)
        users.set_password(engine, email, PASSWORD)
    with engine.connect() as conn:
        account = conn.execute(select(t.account.c.id).where(t.account.c.email == EXPERT)
                               ).scalar_one()
    with acting_as(Actor("cli:centre", "cli")):
        add_expert(engine, name="Aida Water", email=EXPERT, languages="ru,en",
                   targets="6.4,6.1", countries="KGZ", account_id=account)
    return engine


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    with smtp_server(collector) as port:
        yield collector, port


@pytest.fixture(scope="module")
def site(people: Engine, e2e_store: tuple[Settings, Engine],
         mailbox: tuple[Collector, int]) -> Iterator[tuple[str, Settings]]:
    """The app with mail to the local SMTP server and the Centre's assistance inbox."""
    settings = e2e_store[0].model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": mailbox[1], "smtp_timeout": 5,
        "mail_from": "centre@sdg.example.org", "assistance_mail": CENTRE_INBOX,
        "secure_cookies": False})
    with serving(create_app(settings, people)) as url:
        yield url, settings


def _sign_in(browser: Any, url: str, email: str, locale: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url,
                                  locale=locale, bypass_csp=True)
    page = context.new_page()
    page.goto("/sign-in")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/account")
    return page


def _delivered(engine: Engine, settings: Settings, collector: Collector, to: str) -> list[str]:
    """Send the outbox to the SMTP server; the subjects that arrived for ``to`` now."""
    before = len(collector.messages)
    report = mail.send_due(engine, settings)
    assert report.failures == []
    return [m["Subject"] for m in collector.messages[before:] if m["To"] == to]


def test_a_request_from_a_focal_point_to_feedback_in_the_browser(
        browser: Any, people: Engine, site: tuple[str, Settings],
        mailbox: tuple[Collector, int]) -> None:
    url, settings = site
    collector, engine, found = mailbox[0], people, {}
    focal = _sign_in(browser, url, FOCAL, "ru-RU")
    # the focal point files the request in Russian
    focal.goto("/requests/new")
    assert focal.locator("h1").inner_text() == "Подать запрос"
    check_page(focal, "new request (ru)", found)
    focal.get_by_label("Какая помощь нужна, в одной строке").fill(TITLE)
    focal.get_by_label("Полный текст запроса").fill(
        "Министерство просит совета по учёту воды и тарифам в ассоциациях "
        "водопользователей Баткенской области.")
    focal.get_by_label("Запрашивающий орган (министерство или ведомство)").fill(
        "Министерство водных ресурсов")
    focal.get_by_label("Задачи ЦУР").fill("6.4, 6.1")
    focal.get_by_role("button", name="Подать запрос").click()
    focal.wait_for_url("**/requests/*?done=filed")
    assert focal.locator("h1").inner_text() == TITLE
    assert focal.locator("#state").inner_text() == "Подан"
    request_path = focal.url.split("?")[0].removeprefix(url)
    check_page(focal, "request (ru)", found)
    shot(focal, "request-filed-ru")
    assert any(TITLE in s for s in _delivered(engine, settings, collector, CENTRE_INBOX))
    # the Centre triages, proposes from the ranking and picks the expert
    analyst = _sign_in(browser, url, ANALYST, "en-GB")
    analyst.goto(request_path)
    analyst.get_by_role("button", name="Mark as triaged").click()
    analyst.wait_for_url("**?done=moved")
    assert _delivered(engine, settings, collector, FOCAL)  # told in Russian
    analyst.get_by_role("button", name="Propose from the ranking").click()
    analyst.wait_for_url("**?done=proposed")
    candidates = analyst.locator("section[aria-labelledby='candidates-h']")
    assert "Aida Water" in candidates.inner_text() and "works on" in candidates.inner_text()
    check_page(analyst, "request with candidates (en)", found)
    analyst.get_by_role("button", name="Pick Aida Water").click()
    analyst.wait_for_url("**?done=picked")
    assert analyst.locator("#state").inner_text() == "Matched"
    assert _delivered(engine, settings, collector, EXPERT)
    # the expert reads the request it is picked for, accepts, starts and delivers
    expert = _sign_in(browser, url, EXPERT, "en-GB")
    expert.goto(request_path)
    check_page(expert, "request for the expert (en)", found)
    expert.get_by_role("button", name="Accept the request").click()
    expert.wait_for_url("**?done=answered")
    assert _delivered(engine, settings, collector, FOCAL)
    for button, state in (("Start the work", "In progress"), ("Mark as delivered",
                                                               "Delivered")):
        expert.get_by_role("button", name=button).click()
        expert.wait_for_url("**?done=moved")
        assert expert.locator("#state").inner_text() == state
        assert _delivered(engine, settings, collector, FOCAL)
    # the focal point closes it with feedback and the indicator to follow
    focal.goto(request_path)
    focal.get_by_label("5", exact=True).check()
    focal.get_by_label("Ваш отзыв").fill("Очень полезно: тарифы пересмотрены.")
    focal.get_by_label("Показатели ЦУР, на которые должна повлиять помощь").fill("6.1.1")
    focal.get_by_role("button", name="Отправить отзыв и закрыть").click()
    focal.wait_for_url("**?done=feedback")
    assert focal.locator("#state").inner_text() == "Закрыт"
    followed = focal.locator("section[aria-labelledby='feedback-h']").inner_text()
    assert "SH_H2O_SAFE" in followed  # 6.1.1's series in the journey's store, followed
    check_page(focal, "closed request (ru)", found)
    shot(focal, "request-closed-ru")
    assert _delivered(engine, settings, collector, EXPERT)
    focal.goto("/requests")
    check_page(focal, "requests (ru)", found)
    shot(focal, "requests-ru")
    assert not found, found
    for page in (focal, analyst, expert):
        page.context.close()

"""An analyst's coordination journey in Chromium (issue 15): from the coordination page to an
organisation's portfolio (a link in the 3W table), to one of its projects, and back by the
breadcrumb; in English and Russian, wide and at phone width, each page checked by axe-core
and for sideways scrolling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import shot
from tests.e2e.test_accessibility import AXE, violations

TEXTS = {  # what each page says, in each language
    "en": {"coordination": "Coordination: who does what where", "money": "Money per year",
           "projects": "Projects", "sdg": "SDG goals and targets", "crumb": "Coordination"},
    "ru": {"coordination": "Координация: кто, что и где делает",
           "money": "Средства по годам", "projects": "Проекты",
           "sdg": "Цели и задачи ЦУР", "crumb": "Координация"},
}


@pytest.fixture
def analyst(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url,
                                  locale="en-GB", bypass_csp=True)
    yield context.new_page()
    context.close()


def _check(page: Any, where: str, width: int, found: dict[str, Any]) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, where
    if AXE.exists() and (problems := violations(page, [])):
        found[f"{where} @{width}"] = problems


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("width", [1280, 360])
def test_coordination_to_a_portfolio_to_a_project_and_back(analyst: Any, lang: str,
                                                           width: int) -> None:
    page, words, found = analyst, TEXTS[lang], {}
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/coordination?lang={lang}")
    assert page.locator("h1").inner_text() == words["coordination"]
    _check(page, "coordination", width, found)
    first_org = page.locator("section[aria-labelledby='w3-h'] tbody th a").first
    org_name = first_org.inner_text()
    first_org.click()
    page.wait_for_url("**/organisations/**")
    assert page.locator("h1").inner_text() == org_name
    assert page.get_by_role("heading", name=words["money"]).count() == 1
    _check(page, "organisation", width, found)
    shot(page, f"organisation-{lang}-{width}")
    project = page.locator("section[aria-labelledby='projects-h'] tbody a").first
    project.click()
    page.wait_for_url("**/projects/**")
    assert page.get_by_role("heading", name=words["sdg"]).count() == 1
    assert page.locator(".crumbs a").nth(1).inner_text() == org_name  # its organisation
    _check(page, "project", width, found)
    shot(page, f"project-{lang}-{width}")
    page.locator(".crumbs a").first.click()  # back to the coordination page
    page.wait_for_url("**/coordination")
    assert page.locator("h1").inner_text() == words["coordination"]  # the language kept
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)

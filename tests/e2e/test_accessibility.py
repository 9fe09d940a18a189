"""WCAG 2.1 A and AA rules checked by axe-core (npm, installed by `make assets`) in Chromium on
every kind of page, wide and at phone width; and the API docs working with nothing fetched
from outside the machine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ("/", "/?lang=ru", "/country/KAZ", "/country/KGZ?lang=ru",
         "/indicator?series=EG_ACS_ELEC&area=KAZ", "/indicator?series=SH_H2O_SAFE&lang=ru",
         "/map?series=EG_ACS_ELEC", "/coordination", "/coordination?lang=ru", "/knowledge",
         "/knowledge?q=water", "/no-such-page", "/api/docs", "/?method=sdsn",
         "/?method=escap&lang=ru", "/country/KAZ/goal/7", "/country/KGZ/goal/6?method=sdsn&lang=ru",
         "/sign-in", "/sign-in?lang=ru", "/reset?lang=ru", "/coordination/imports",
         "/coordination/imports/1?lang=ru", "/coordination/un?lang=ru",
         "/coordination/overlaps", "/coordination?from=2012&to=2024&lang=ru",
         "/compare?area=KAZ&area=KGZ&area=TJK&goal=7&goal=6&lang=ru", "/compare")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Swagger UI (swagger-ui-dist, the developers' API docs) puts its copy and lock buttons inside
# each operation's toggle button; that is its markup, not ours. Its colours are fixed by
# static/swagger-contrast.css and checked.
NOT_CHECKED = {"/api/docs": ["nested-interactive"]}


@pytest.fixture
def audited(browser: Any, base_url: str) -> Iterator[Any]:
    """A page whose context lets the test inject axe-core: the pages' Content-Security-Policy
    allows same-origin scripts only (tests/e2e/test_headers.py checks it on the ``page``
    fixture), and axe is the test's script, not the site's."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url,
                                  locale="en-GB", bypass_csp=True)
    yield context.new_page()
    context.close()


def violations(page: Any, skip: list[str]) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as loaded, less the ``skip`` rules."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async ([tags, skip]) => {
        const rules = Object.fromEntries(skip.map(id => [id, {enabled: false}]));
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, rules});
        return r.violations.map(v => ({rule: v.id, impact: v.impact, help: v.help,
            where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""", [WCAG, skip])


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed: run `make assets`")
@pytest.mark.parametrize("width", [1280, 360])
def test_no_wcag_violations(audited: Any, width: int) -> None:
    page = audited
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for url in PAGES:
        page.goto(url)
        if url == "/api/docs":
            page.locator(".opblock").first.wait_for()
        if problems := violations(page, NOT_CHECKED.get(url, [])):
            found[url] = problems
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)


def test_no_page_scrolls_sideways_on_a_phone(audited: Any) -> None:
    """At 360 px every page fits the screen: tables scroll inside their own box."""
    page = audited
    page.set_viewport_size({"width": 360, "height": 740})
    wide = {}
    for url in PAGES:
        page.goto(url)
        if url == "/api/docs":
            page.locator(".opblock").first.wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 361:
            wide[url] = width
    assert wide == {}


def test_api_docs_load_nothing_from_outside(page: Any, base_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto("/api/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 36  # every operation of /api/v1
    outside = [u for u in requested if not u.startswith((base_url, "data:"))]
    assert not outside, outside
    assert any(u.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for u in requested)


def check_page(page: Any, where: str, found: dict[str, Any]) -> None:
    """``page`` at 1,280 and 360 px: nothing scrolls sideways, and axe-core's violations
    (when axe is installed) go into ``found`` under ``where`` and the width."""
    page.wait_for_load_state("load")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, where
        if AXE.exists() and (problems := violations(page, [])):
            found[f"{where} @{width}"] = problems
    page.set_viewport_size({"width": 1280, "height": 900})

"""The main journeys in real headless Chromium, with screenshots (tests/e2e/screenshots/)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from tests.e2e.conftest import shot


def test_find_a_countrys_off_track_targets(page: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name="Kazakhstan", exact=True).first.click()
    page.wait_for_url(re.compile(r"/country/KAZ$"))
    page.get_by_role("link", name="Off-track targets").click()
    items = page.locator("ul.off-track > li")
    assert items.count() > 0
    first = items.first.inner_text()
    assert re.search(r"(Regressing|Stagnating) Target \d+\.\w+", first), first
    shot(page, "country-kaz-off-track")


def test_open_an_indicator_chart_and_download_its_data(page: Any) -> None:
    page.goto("/indicator")
    page.get_by_label("Series").select_option("EG_ACS_ELEC")
    for name in ("Afghanistan", "Tajikistan", "Turkmenistan", "Uzbekistan"):
        page.get_by_role("checkbox", name=name).uncheck()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"series=EG_ACS_ELEC"))
    chart = page.get_by_role("img", name=re.compile("EG_ACS_ELEC"))
    assert chart.is_visible()
    labels = page.locator("figure.chart g.series > text").all_text_contents()
    assert labels == ["KAZ", "KGZ"]
    shot(page, "indicator-eg-acs-elec")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    path = info.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows and {r["iso3"] for r in rows} == {"KAZ", "KGZ"}
    shown = page.locator("section[aria-labelledby=table-h] tbody tr").count()
    assert shown == sum(1 for r in rows if r["location"] == "ALLAREA")


def test_switch_the_interface_language(page: Any) -> None:
    page.goto("/map?series=SH_H2O_SAFE")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Русский").click()
    page.wait_for_url(re.compile(r"lang=ru"))
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_role("heading", level=1).inner_text() == "Карта: SH_H2O_SAFE"
    shot(page, "map-ru")
    page.get_by_role("link", name="Регион").click()  # the cookie keeps the choice
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Казахстан" in page.locator("table.heatmap thead").inner_text()
    shot(page, "home-ru")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "SDG progress in Central Asia and Afghanistan")


def test_keyboard_skip_link_and_phone_width(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=base_url)
    page = context.new_page()
    try:
        page.goto("/country/KGZ")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        assert _width(page) == (360, [])
        shot(page, "country-kgz-360px")
        page.goto("/")
        assert _width(page) == (360, [])
        shot(page, "home-360px")
    finally:
        context.close()


def _width(page: Any) -> tuple[int, list[str]]:
    """The document's width, and the elements that stick out of the screen (outside the
    tables' own scrolling regions)."""
    return page.evaluate("document.documentElement.scrollWidth"), page.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                     && !e.closest('.scroll'))
        .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40))""")

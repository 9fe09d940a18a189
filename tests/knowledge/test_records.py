"""Search filters from the values of a form or a query string, and documents, hits and tags
as plain records, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from sdgbridge import knowledge as kb
from sdgbridge.errors import SdgBridgeError
from sdgbridge.knowledge.embed import get_embedder
from sdgbridge.knowledge.records import (
    document_record,
    hit_records,
    search_filters,
    tag_records,
)


def test_filters_resolve_countries_and_refuse_bad_codes(engine: Engine) -> None:
    f = search_filters(engine, ["KZ", "KGZ", "CARSDG"], ["6", "17"], ["6.A", "6.1"],
                       "", 2020, "", "plan")
    assert f.countries[:2] == ("398", "417") and set(f.countries) >= {"4", "762"}
    assert (f.goals, f.targets, f.organisation, f.year, f.language, f.kind) == (
        (6, 17), ("6.a", "6.1"), None, 2020, None, "plan")
    assert search_filters(engine) == kb.SearchFilters()
    with pytest.raises(SdgBridgeError) as bad:
        search_filters(engine, goals=["18", "6"], targets=["6.z9"])
    assert str(bad.value) == ("18, 6.z9: not an SDG goal (1-17) or target (6.1, 6.a); give "
                              "goal=1..17 and target like 6.1.")


def test_records_of_a_document_and_its_hits(engine: Engine) -> None:
    emb = get_embedder("hashing")
    added = kb.add_document(engine, "Safe drinking water for rural schools in Naryn: wells, "
                            "pipes and hand-washing stations.", title="Water in Naryn",
                            embedder=emb, countries=("KGZ",), year=2023)
    assert added.document_id is not None
    kb.correct_tag(engine, added.document_id, "6.1", "set")
    doc = document_record(engine, added.document_id)
    assert (doc["title"], doc["countries"], doc["year"]) == ("Water in Naryn", ["417"], 2023)
    assert "sha256" not in doc and dt.datetime.fromisoformat(doc["added_at"])
    assert {(t["goal"], t["target"], t["source"]) for t in doc["tags"]} >= {(6, "6.1", "user")}
    assert all(set(t) == {"goal", "target", "score", "source", "passages"} for t in doc["tags"])
    assert [c["action"] for c in doc["corrections"]] == ["set"]
    hits = kb.search(engine, "drinking water", embedder=emb)
    (hit,) = hit_records(engine, hits)
    assert hit["document_id"] == added.document_id and 6 in hit["goals"]
    assert "extra" not in hit
    assert tag_records([{"goal": 1, "target": None, "score": 1.0, "source": "user",
                         "passages": [], "id": 7}]) == [
        {"goal": 1, "target": None, "score": 1.0, "source": "user", "passages": []}]

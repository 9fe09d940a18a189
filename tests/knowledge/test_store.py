"""The knowledge store on SQLite and PostgreSQL: documents in whole or not at all, duplicates,
tag corrections that survive re-tagging, removal, project descriptions, the schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select, text, update

from sdgbridge.db import tables as t
from sdgbridge.errors import InputError, UnknownArea
from sdgbridge.knowledge import (
    DocumentInput,
    add_document,
    add_documents,
    correct_tag,
    index_projects,
    remove_document,
    show_document,
    store,
)
from sdgbridge.knowledge.embed import HashingEmbedder
from sdgbridge.knowledge.store import UnknownDocument
from tests.helpers import import_specimens

EMB = HashingEmbedder()
WATER = ("Rural water supply systems were rehabilitated in the Fergana valley. Wells and "
         "pipes were repaired so that 12,000 families get safe drinking water.")
SCHOOLS = "Девочки в горных сёлах Таджикистана получили доступ к средней школе."
TABLES = (t.document, t.document_country, t.chunk, t.chunk_embedding, t.document_tag,
          t.tag_correction)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        out = {tb.name: conn.execute(select(func.count()).select_from(tb)).scalar_one()
               for tb in TABLES}
        out["chunk_fts"] = conn.execute(text("SELECT count(*) FROM chunk_fts")).scalar_one()
    return out


def add(engine: Engine, body: str, **meta: object):  # type: ignore[no-untyped-def]
    return add_document(engine, body, embedder=EMB, tag=False, **meta)


def test_schema_is_the_declared_one_besides_the_search_index(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": t.include_search_index})
        assert compare_metadata(ctx, t.metadata) == []
        assert conn.execute(text("SELECT count(*) FROM chunk_fts")).scalar_one() == 0


def test_add_stores_document_chunks_embeddings_and_index(engine: Engine) -> None:
    r = add(engine, WATER, title="Water in Fergana", countries=("UZB", "KG"), year=2020,
            organisation="Helvetas", licence="CC-BY-4.0")
    assert (r.status, r.chunks, r.language) == ("added", 1, "en")
    doc = show_document(engine, r.document_id)
    assert (doc["title"], doc["kind"], doc["year"], doc["format"]) == (
        "Water in Fergana", "practice", 2020, "text")
    assert doc["countries"] == ["417", "860"]  # Kyrgyzstan, Uzbekistan (M49)
    assert counts(engine) == {"document": 1, "document_country": 2, "chunk": 1,
                              "chunk_embedding": 1, "document_tag": 0, "tag_correction": 0,
                              "chunk_fts": 1}
    with engine.connect() as conn:
        dim, vector = conn.execute(select(t.chunk_embedding.c.dim,
                                          t.chunk_embedding.c.vector)).one()
    assert (dim, len(vector)) == (512, 512 * 4)


def test_same_content_again_is_a_duplicate_and_writes_nothing(engine: Engine) -> None:
    first = add(engine, WATER)
    before = counts(engine)
    # Whitespace differs: the content hash is of the normalised text.
    again = add(engine, WATER.replace(" ", "  "), title="Another title")
    assert (again.status, again.duplicate_of, again.document_id) == (
        "duplicate", first.document_id, None)
    assert f"already stored as document {first.document_id}; nothing was written" in again.error
    assert counts(engine) == before


@pytest.mark.parametrize(("meta", "message"), [
    ({"kind": "poem"}, "kind 'poem' is not one of practice, report, plan, evaluation, project"),
    ({"year": 20}, "year 20 is not a year (1900–2100); fix --year."),
    ({"language": "English"}, "language 'English' is not an ISO 639-1 code"),
])
def test_bad_metadata_is_refused_and_writes_nothing(engine: Engine, meta: dict[str, object],
                                                    message: str) -> None:
    add(engine, SCHOOLS)
    before = counts(engine)
    with pytest.raises(InputError) as err:
        add(engine, WATER, **meta)
    assert message in str(err.value)
    assert counts(engine) == before


def test_unknown_country_and_empty_text_write_nothing(engine: Engine) -> None:
    with pytest.raises(UnknownArea):
        add(engine, WATER, countries=("XYZ",))
    with pytest.raises(InputError):
        add(engine, "   \n\n  ")
    assert set(counts(engine).values()) == {0}


def test_one_unreadable_file_among_many_is_reported_and_the_others_stored(
        engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Clean energy\n\nSolar panels on schools in Naryn.\n", encoding="utf-8")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not a PDF at all")
    reports = add_documents(engine, [DocumentInput(path=broken), DocumentInput(path=good)],
                            embedder=EMB, tag=False)
    assert [r.status for r in reports] == ["failed", "added"]
    assert "broken.pdf" in reports[0].error
    assert reports[1].title == "Clean energy"
    assert counts(engine)["document"] == 1


@dataclass(frozen=True)
class Tag:  # the fields of knowledge.tagging.SdgTag that the store keeps
    goal: int
    target: str | None
    score: float
    passages: tuple[str, ...]


def tags_of(engine: Engine, doc_id: int) -> dict[str, tuple[float, str]]:
    return {tg["target"] or str(tg["goal"]): (tg["score"], tg["source"])
            for tg in show_document(engine, doc_id)["tags"]}


def test_user_corrections_win_and_survive_retagging(engine: Engine) -> None:
    doc = add(engine, WATER).document_id
    model = [Tag(6, None, 0.8, (WATER,)), Tag(6, "6.1", 0.7, (WATER,)),
             Tag(6, "6.2", 0.4, (WATER,))]
    with engine.begin() as conn:
        chunk_id = conn.execute(select(t.chunk.c.id)).scalar_one()
        store.save_model_tags(conn, doc, model, {WATER: chunk_id})
    correct_tag(engine, doc, "6.2", "remove")
    correct_tag(engine, doc, "3.9", "set")
    expected = {"6": (0.8, "model"), "6.1": (0.7, "model"), "3.9": (1.0, "user"),
                "3": (1.0, "user")}
    assert tags_of(engine, doc) == expected
    with engine.begin() as conn:  # the model tags again, 6.2 among them
        store.save_model_tags(conn, doc, model, {WATER: chunk_id})
    assert tags_of(engine, doc) == expected
    correct_tag(engine, doc, "6", "remove")  # a goal goes with its targets
    assert tags_of(engine, doc) == {"3.9": (1.0, "user"), "3": (1.0, "user")}
    with pytest.raises(InputError, match="No SDG target 6.9"):
        correct_tag(engine, doc, "6.9", "set")
    with pytest.raises(InputError, match="is not an SDG goal"):
        correct_tag(engine, doc, "18.1", "set")


def test_remove_deletes_everything_of_the_document(engine: Engine) -> None:
    keep = add(engine, SCHOOLS).document_id
    doc = add(engine, WATER, countries=("UZB",)).document_id
    correct_tag(engine, doc, "6.1", "set")
    assert remove_document(engine, doc) == "Rural water supply systems were rehabilitated in the " \
                                           "Fergana valley. Wells and…"
    assert counts(engine) == {"document": 1, "document_country": 0, "chunk": 1,
                              "chunk_embedding": 1, "document_tag": 0, "tag_correction": 0,
                              "chunk_fts": 1}
    assert show_document(engine, keep)["id"] == keep
    with pytest.raises(UnknownDocument, match="No document 99"):
        remove_document(engine, 99)


def test_project_descriptions_are_indexed_and_kept_up_to_date(engine: Engine) -> None:
    import_specimens(engine, "usda-kazakhstan.xml", "usda-tajikistan.xml")
    with engine.connect() as conn:
        active = conn.execute(select(func.count()).select_from(t.iati_activity)).scalar_one()
    first = index_projects(engine, embedder=EMB, tag=False)
    assert first.new + first.skipped == active and first.new > 0
    with engine.connect() as conn:  # countries from the activities' transactions (ISO2 -> M49)
        expected = set(conn.execute(select(t.iati_transaction.c.iati_identifier,
                                           t.area.c.code).join(
            t.area, t.area.c.iso2 == t.iati_transaction.c.country)).all())
        stored = set(conn.execute(select(t.document.c.source, t.document_country.c.area_code)
                                  .join(t.document_country)).all())
    assert {(f"iati:{i}", code) for i, code in expected} <= stored and len(expected) > 0
    again = index_projects(engine, embedder=EMB, tag=False)
    assert (again.new, again.updated, again.unchanged) == (0, 0, first.new)
    with engine.begin() as conn:
        ident = conn.execute(select(t.iati_activity.c.iati_identifier).where(
            t.iati_activity.c.description_en.is_not(None)).order_by(
            t.iati_activity.c.iati_identifier)).scalars().first()
        conn.execute(update(t.iati_activity).where(
            t.iati_activity.c.iati_identifier == ident).values(
            description_en="Border security training for customs officers in Almaty."))
    doc_id = _project_doc(engine, ident)
    correct_tag(engine, doc_id, "16.a", "set")
    third = index_projects(engine, embedder=EMB, tag=False)
    assert (third.updated, third.unchanged) == (1, first.new - 1)
    assert _project_doc(engine, ident) == doc_id  # same id, and the correction kept
    assert "16.a" in tags_of(engine, doc_id)
    with engine.begin() as conn:
        conn.execute(update(t.iati_activity).where(
            t.iati_activity.c.iati_identifier == ident).values(archived=True))
    assert index_projects(engine, embedder=EMB, tag=False).removed == 1


def _project_doc(engine: Engine, ident: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(t.document.c.id).where(
            t.document.c.source == f"iati:{ident}")).scalar_one()


def test_model_tags_on_add_and_retagging_keep_the_corrections(engine: Engine) -> None:
    from sdgbridge.knowledge import tag_document

    report = add_document(engine, WATER, embedder=EMB)  # tagged by SdgTagger(hashing)
    model = [(tg["goal"], tg["target"]) for tg in report.tags]
    assert (6, None) in model and any(target for _, target in model)  # a goal and a target
    assert {tg["source"] for tg in report.tags} == {"model"}
    assert all(tg["passages"] == [WATER] for tg in report.tags)  # the one chunk is the evidence
    with engine.connect() as conn:  # and the chunk carries each tag too
        on_chunks = conn.execute(select(func.count()).where(
            t.document_tag.c.chunk_id.is_not(None))).scalar_one()
    assert on_chunks == len(model)
    dropped = next(target for _, target in model if target)
    correct_tag(engine, report.document_id, dropped, "remove")
    correct_tag(engine, report.document_id, "11.1", "set")
    retagged = tag_document(engine, report.document_id, embedder=EMB)
    assert [(tg["goal"], tg["target"], tg["source"]) for tg in retagged] == [
        (11, None, "user"), (11, "11.1", "user")] + [
        (g, tg, "model") for g, tg in model if tg != dropped]

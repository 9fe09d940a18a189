"""The knowledge store: documents, chunks, embeddings and tags in the database.

Writes take a ``Connection`` inside the caller's transaction (``knowledge.service`` opens it),
so a document is stored whole or not at all. The full-text index follows the chunks:

* the *analyzer* (``stems``) lower-cases, folds ё to е, drops a short list of English and
  Russian stop words and stems each word with the Snowball stemmer of its script (Cyrillic:
  Russian, Latin: English), so a query and a passage meet on the same stems whatever
  language the document was detected as;
* SQLite keeps the stemmed text in the FTS5 table ``chunk_fts`` (rowid = chunk id, unicode61
  tokenizer: it only has to split on spaces); PostgreSQL keeps ``to_tsvector('simple', …)``
  of the same stemmed text in ``chunk_fts`` (GIN index). Both stores rank the same stems.

Embeddings are float32 bytes per chunk and embedder; ``vectors`` loads them once per engine
and embedder into one matrix, reloaded when the stored set changed.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from sdgbridge.accounts.roles import readable_condition
from sdgbridge.actors import Actor
from sdgbridge.db import tables as t
from sdgbridge.errors import UnknownDocument

KINDS = ("practice", "report", "plan", "evaluation", "project")

# Function words that would match nearly every passage (English and Russian).
STOPWORDS = frozenset("""
a an and are as at be by for from has have in is it its of on or that the this to was were
will with which who whom whose not no but all any can may such than then there these those
и в во на с со по к ко о об от до из у за для не ни но а же ли бы что как так это этот эта
эти то тот та те или при над под без его ее её их он она они мы вы я был была были быть
""".split())
WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


# ---- analyzer ------------------------------------------------------------------------

@lru_cache(maxsize=2)
def _stemmer(language: str) -> Any:
    import Stemmer  # PyStemmer: the Snowball stemmers in C

    return Stemmer.Stemmer(language)


def words(text: str) -> list[str]:
    """The words of ``text`` as the index sees them (lower case, ё → е), before stemming."""
    return [w.replace("ё", "е") for w in WORD.findall(text.lower())]


def stem_words(tokens: Sequence[str]) -> list[str]:
    """Each word stemmed by its script's Snowball stemmer (Cyrillic: Russian, else English)."""
    cyr = [i for i, w in enumerate(tokens) if _CYRILLIC.search(w)]
    out = list(_stemmer("english").stemWords(tokens))
    if cyr:
        for i, s in zip(cyr, _stemmer("russian").stemWords([tokens[i] for i in cyr]),
                        strict=True):
            out[i] = s
    return out


def stems(text: str) -> list[str]:
    """The stems of ``text`` without stop words: what is indexed and what is queried."""
    return stem_words([w for w in words(text) if w not in STOPWORDS])


@dataclass(frozen=True)
class SearchFilters:
    """Documents to search among; empty fields do not filter. Countries are area codes
    (``area.code``), goals 1–17, targets like ``6.1``; several values of one field are OR-ed."""

    countries: tuple[str, ...] = ()
    goals: tuple[int, ...] = ()
    targets: tuple[str, ...] = ()
    organisation: str | None = None  # a part of the name, any case
    year: int | None = None
    language: str | None = None
    kind: str | None = None


# ---- filters -------------------------------------------------------------------------

def readable(actor: Actor | None = None) -> ColumnElement[bool] | None:
    """The documents ``actor`` (default: the current one) may read, as a condition on
    ``document``; None when it reads them all (:func:`sdgbridge.accounts.roles.read_limits`)."""
    d = t.document.c
    return readable_condition(d.visibility, lambda own: d.organisation_id == own, actor)


def document_filter(f: SearchFilters | None) -> Select[Any] | None:
    """``SELECT document.id`` for the filters and what the current actor may read, or None
    when nothing narrows."""
    visible = readable()
    if (f is None or f == SearchFilters()) and visible is None:
        return None
    f = f or SearchFilters()
    d, tag = t.document, t.document_tag
    q = select(d.c.id)
    if visible is not None:
        q = q.where(visible)
    if f.countries:
        q = q.where(d.c.id.in_(select(t.document_country.c.document_id).where(
            t.document_country.c.area_code.in_(f.countries))))
    if f.goals or f.targets:
        cond: ColumnElement[bool] = (tag.c.goal.in_(f.goals) if f.goals
                                     else tag.c.target.in_(f.targets))
        if f.goals and f.targets:
            cond = cond | tag.c.target.in_(f.targets)
        q = q.where(d.c.id.in_(select(tag.c.document_id).where(tag.c.chunk_id.is_(None),
                                                                  cond)))
    for col, value in ((d.c.year, f.year), (d.c.language, f.language), (d.c.kind, f.kind)):
        if value is not None:
            q = q.where(col == value)
    if f.organisation:
        q = q.where(func.lower(d.c.organisation).contains(f.organisation.lower(),
                                                           autoescape=True))
    return q


# ---- documents -----------------------------------------------------------------------

@dataclass(frozen=True)
class ChunkRow:
    """One passage to store, with its position, language, embedding and stems."""

    ordinal: int
    text: str
    start: int
    end: int
    page: int
    language: str | None
    vector: np.ndarray


def find_duplicate(conn: Connection, sha256: str) -> int | None:
    """The id of a stored document (not a project description) with this content."""
    return conn.execute(select(t.document.c.id).where(
        t.document.c.sha256 == sha256, t.document.c.kind != "project")
        .order_by(t.document.c.id)).scalar()


def insert_document(conn: Connection, meta: dict[str, Any], countries: Sequence[str],
                    chunks: Sequence[ChunkRow], embedder: str) -> tuple[int, list[int]]:
    """Store one document with its countries and chunks; returns its id and the chunk ids."""
    doc_id = conn.execute(insert(t.document).values(
        **meta, added_at=datetime.now(UTC)).returning(t.document.c.id)).scalar_one()
    return doc_id, _write_content(conn, doc_id, countries, chunks, embedder)


def replace_document(conn: Connection, doc_id: int, meta: dict[str, Any],
                     countries: Sequence[str], chunks: Sequence[ChunkRow],
                     embedder: str) -> list[int]:
    """New text for a stored document: chunks, embeddings and model tags are replaced; the
    id and the user's tag corrections stay."""
    _delete_content(conn, doc_id)
    conn.execute(update(t.document).where(t.document.c.id == doc_id).values(**meta))
    return _write_content(conn, doc_id, countries, chunks, embedder)


def delete_document(conn: Connection, doc_id: int) -> None:
    require_document(conn, doc_id)
    _delete_fts(conn, doc_id)
    conn.execute(delete(t.document).where(t.document.c.id == doc_id))


def require_document(conn: Connection, doc_id: int) -> dict[str, Any]:
    """Document ``doc_id``'s row; :class:`UnknownDocument` when there is none or the current
    actor may not read it (the same answer: no one learns that a hidden one exists)."""
    q = select(t.document).where(t.document.c.id == doc_id)
    visible = readable()
    if visible is not None:
        q = q.where(visible)
    row = conn.execute(q).mappings().first()
    if row is None:
        raise UnknownDocument(doc_id)
    return dict(row)


def _write_content(conn: Connection, doc_id: int, countries: Sequence[str],
                   chunks: Sequence[ChunkRow], embedder: str) -> list[int]:
    if countries:
        conn.execute(insert(t.document_country),
                     [{"document_id": doc_id, "area_code": c} for c in dict.fromkeys(countries)])
    if not chunks:
        return []
    ids = list(conn.execute(
        insert(t.chunk).returning(t.chunk.c.id, sort_by_parameter_order=True),
        [{"document_id": doc_id, "ordinal": c.ordinal, "text": c.text, "start": c.start,
          "end": c.end, "page": c.page, "language": c.language} for c in chunks]).scalars())
    conn.execute(insert(t.chunk_embedding), [
        {"chunk_id": i, "embedder": embedder, "dim": int(c.vector.shape[0]),
         "vector": np.asarray(c.vector, dtype="<f4").tobytes()} for i, c in zip(ids, chunks,
                                                                               strict=True)])
    _write_fts(conn, [(i, " ".join(stems(c.text))) for i, c in zip(ids, chunks, strict=True)])
    _changed(conn)
    return ids


def _delete_content(conn: Connection, doc_id: int) -> None:
    _delete_fts(conn, doc_id)
    conn.execute(delete(t.document_tag).where(t.document_tag.c.document_id == doc_id,
                                              t.document_tag.c.source == "model"))
    conn.execute(delete(t.document_country).where(t.document_country.c.document_id == doc_id))
    conn.execute(delete(t.chunk).where(t.chunk.c.document_id == doc_id))
    _changed(conn)


def _write_fts(conn: Connection, rows: list[tuple[int, str]]) -> None:
    params = [{"id": i, "s": s} for i, s in rows]
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO chunk_fts (rowid, stemmed) VALUES (:id, :s)"), params)
    else:
        conn.execute(text("INSERT INTO chunk_fts (chunk_id, tsv) "
                          "VALUES (:id, to_tsvector('simple', :s))"), params)


def _delete_fts(conn: Connection, doc_id: int) -> None:
    key = "rowid" if conn.dialect.name == "sqlite" else "chunk_id"
    conn.execute(text(f"DELETE FROM chunk_fts WHERE {key} IN "
                      "(SELECT id FROM chunk WHERE document_id = :d)"), {"d": doc_id})


def document_countries(conn: Connection, doc_id: int) -> list[str]:
    return list(conn.execute(select(t.document_country.c.area_code).where(
        t.document_country.c.document_id == doc_id).order_by(
        t.document_country.c.area_code)).scalars())


# ---- tags and corrections ------------------------------------------------------------

def save_model_tags(conn: Connection, doc_id: int, tags: Sequence[Any],
                    chunk_ids: dict[str, int]) -> None:
    """Replace the model's tags of a document (``SdgTag``s; a tag also goes on each chunk
    whose text is one of its passages), then apply the user's corrections again."""
    d = t.document_tag
    conn.execute(delete(d).where(d.c.document_id == doc_id, d.c.source == "model"))
    rows = []
    for tag in tags:
        base = {"document_id": doc_id, "goal": tag.goal, "target": tag.target,
                "score": float(tag.score), "source": "model"}
        rows.append({**base, "chunk_id": None, "passages": json.dumps(list(tag.passages),
                                                                      ensure_ascii=False)})
        rows += [{**base, "chunk_id": chunk_ids[p], "passages": None}
                 for p in dict.fromkeys(tag.passages) if p in chunk_ids]
    if rows:
        conn.execute(insert(d), rows)
    conn.execute(update(t.document).where(t.document.c.id == doc_id).values(
        tagged_at=datetime.now(UTC)))
    _apply_corrections(conn, doc_id)


def add_correction(conn: Connection, doc_id: int, goal: int, target: str | None,
                   action: str) -> None:
    """Record a user's ``set`` or ``remove`` of a goal (target None) or target; it replaces an
    earlier correction of the same tag and is applied at once and after every re-tagging."""
    c = t.tag_correction
    same_target = c.c.target.is_(None) if target is None else c.c.target == target
    conn.execute(delete(c).where(c.c.document_id == doc_id, c.c.goal == goal, same_target))
    conn.execute(insert(c).values(document_id=doc_id, goal=goal, target=target, action=action,
                                  created_at=datetime.now(UTC)))
    _apply_corrections(conn, doc_id)


def _apply_corrections(conn: Connection, doc_id: int) -> None:
    c, d = t.tag_correction, t.document_tag
    for goal, target, action in conn.execute(select(c.c.goal, c.c.target, c.c.action).where(
            c.c.document_id == doc_id).order_by(c.c.id)):
        if target is not None:
            which = d.c.target == target
        elif action == "remove":  # the goal and every target under it
            which = d.c.goal == goal
        else:  # setting a goal leaves the targets under it as they are
            which = (d.c.goal == goal) & d.c.target.is_(None)
        conn.execute(delete(d).where(d.c.document_id == doc_id, which))
        if action == "set":
            _set_user_tag(conn, doc_id, goal, target)


def _set_user_tag(conn: Connection, doc_id: int, goal: int, target: str | None) -> None:
    d = t.document_tag
    has_goal = conn.execute(select(d.c.id).where(
        d.c.document_id == doc_id, d.c.goal == goal, d.c.target.is_(None),
        d.c.chunk_id.is_(None))).first()
    rows = [(goal, target)] + ([(goal, None)] if target is not None and not has_goal else [])
    conn.execute(insert(d), [{"document_id": doc_id, "chunk_id": None, "goal": g,
                              "target": tg, "score": 1.0, "source": "user", "passages": "[]"}
                             for g, tg in rows])


def document_tags(conn: Connection, doc_id: int) -> list[dict[str, Any]]:
    """The document's tags in force (the model's, corrected by the user), best first."""
    d = t.document_tag
    rows = conn.execute(select(d.c.goal, d.c.target, d.c.score, d.c.source, d.c.passages)
                        .where(d.c.document_id == doc_id, d.c.chunk_id.is_(None))
                        .order_by(d.c.score.desc(), d.c.goal, d.c.target.is_not(None),
                                  d.c.target)).mappings()
    return [{**r, "passages": json.loads(r["passages"] or "[]")} for r in rows]


def corrections(conn: Connection, doc_id: int) -> list[dict[str, Any]]:
    c = t.tag_correction
    return [dict(r) for r in conn.execute(select(c.c.goal, c.c.target, c.c.action,
                                                 c.c.created_at).where(
        c.c.document_id == doc_id).order_by(c.c.id)).mappings()]


# ---- the embedding matrix ------------------------------------------------------------

@dataclass(frozen=True)
class Vectors:
    """Every stored embedding of one embedder: row i is chunk ``chunk_ids[i]`` of document
    ``doc_ids[i]``."""

    chunk_ids: np.ndarray
    doc_ids: np.ndarray
    matrix: np.ndarray
    stamp: int


_cache: weakref.WeakKeyDictionary[Engine, dict[str, Vectors]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _changed(conn: Connection) -> None:
    """Forget the cached matrices of this connection's engine (chunks were written)."""
    with _lock:
        _cache.pop(conn.engine, None)


def _stamp(conn: Connection, embedder: str) -> int:
    """The newest chunk id embedded: one index seek. Writes in this process drop the cache
    (``_changed``); a chunk added by another process raises the stamp, one removed there
    stays in the matrix until then, and is skipped when hits are read."""
    e = t.chunk_embedding
    return int(conn.execute(select(func.max(e.c.chunk_id)).where(
        e.c.embedder == embedder)).scalar() or 0)


def vectors(engine: Engine, embedder: str, dim: int) -> Vectors:
    """The embedding matrix of ``embedder``, cached per engine; reloaded when chunks were
    written since (see ``_stamp``)."""
    with engine.connect() as conn:
        stamp = _stamp(conn, embedder)
        with _lock:
            cached = _cache.get(engine, {}).get(embedder)
        if cached is not None and cached.stamp == stamp:
            return cached
        loaded = _load(conn, embedder, dim, stamp)
    with _lock:
        _cache.setdefault(engine, {})[embedder] = loaded
    return loaded


def _load(conn: Connection, embedder: str, dim: int, stamp: int) -> Vectors:
    e, c = t.chunk_embedding, t.chunk
    rows = conn.execute(select(e.c.chunk_id, c.c.document_id, e.c.vector).join(
        c, c.c.id == e.c.chunk_id).where(e.c.embedder == embedder).order_by(e.c.chunk_id)).all()
    matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype="<f4").reshape(len(rows), dim)
    return Vectors(np.fromiter((r[0] for r in rows), np.int64, len(rows)),
                   np.fromiter((r[1] for r in rows), np.int64, len(rows)),
                   matrix.astype(np.float32, copy=False), stamp)


def stored_embedders(conn: Connection) -> list[str]:
    return list(conn.execute(select(t.chunk_embedding.c.embedder).distinct()).scalars())

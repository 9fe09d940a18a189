"""The knowledge base in the JSON API: documents, hybrid search, "more like this", a user's
tag corrections, typed-in records and plan alignment, over :mod:`sdgbridge.knowledge`.

Reads are public. Adding a record and correcting a tag need the bearer token (as every write,
:mod:`sdgbridge.web.auth`) and go through the same lock as the other writes. Plan alignment
(``POST /align``) is public: it computes a table from the text in the body and writes
nothing, like a search; the body is capped at ``ALIGN_MAX_CHARS`` characters so that one
request costs seconds of CPU, not minutes.

The embedder is the ``embedder`` setting's (one per process); the pages
(:mod:`~sdgbridge.web.pages_knowledge`) call the helpers here, so a page and its API answer
come from the same calls.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from sdgbridge import knowledge as kb
from sdgbridge.errors import SdgBridgeError
from sdgbridge.knowledge import store
from sdgbridge.knowledge.service import area_codes as document_areas
from sdgbridge.web import api_models as m
from sdgbridge.web.api_write import WRITER
from sdgbridge.web.auth import TokenDep
from sdgbridge.web.deps import CLEAN, Codes, DocumentKind, EngineDep, codes
from sdgbridge.web.render import json_response, table_response

reads = APIRouter(tags=["knowledge"], dependencies=[CLEAN], responses=m.READ_ERRORS)
writes = APIRouter(tags=["knowledge"], dependencies=[TokenDep, CLEAN], responses=m.WRITE_ERRORS)
MAX_ID = 2**31 - 1
ALIGN_MAX_CHARS = 100_000
MAX_TEXT = 1_000_000
Kind = DocumentKind
_TARGET = re.compile(r"^(1[0-7]|[1-9])\.(\d{1,2}|[a-z])$")


class DuplicateDocument(SdgBridgeError):
    """The text is already stored: nothing was written."""

    status = 409


def embedder(request: Request) -> Any:
    """The process-wide embedder of the ``embedder`` setting (loaded on first use)."""
    from sdgbridge.knowledge.embed import get_embedder

    return get_embedder(request.app.state.settings.embedder)


EmbedderDep = Annotated[Any, Depends(embedder)]


# ---- shapes ---------------------------------------------------------------------------

class DocumentRow(m.Row):
    id: int
    title: str
    kind: str
    organisation: m.Text
    year: m.Int
    language: m.Text
    format: str
    chunks: int
    source: m.Text


class Tag(BaseModel):
    goal: int
    target: str | None = Field(description="Target code (6.1), or null for the goal itself.")
    score: float = Field(description="Confidence 0-1 (1 for a user's tag).")
    source: Literal["model", "user"]
    passages: list[str] = Field(description="The passages that carry the tag, best first.")


class Document(BaseModel):
    id: int
    title: str
    kind: str
    organisation: m.Text
    year: m.Int
    language: m.Text
    licence: m.Text
    source: m.Text
    format: str
    chars: int
    pages: int
    added_at: str
    tagged_at: m.Text
    countries: list[str] = Field(description="M49 area codes.")
    chunks: int = Field(description="Passages the text was cut into.")
    tags: list[Tag]
    corrections: list[dict[str, Any]]


class DocumentDetail(BaseModel):
    ok: Literal[True]
    document: Document


class Hit(BaseModel):
    document_id: int
    title: str
    kind: str
    organisation: m.Text
    year: m.Int
    language: m.Text = Field(description="The document's language (ISO 639-1).")
    chunk_id: int
    page: int
    snippet: str = Field(description="HTML: the passage, escaped, with <mark> around the "
                         "query's words.")
    score: float
    fts_rank: m.Int
    semantic_rank: m.Int
    similarity: m.Num
    goals: list[int] = Field(description="The SDG goals the document is tagged with.")


class Hits(BaseModel):
    ok: Literal[True]
    total: int
    rows: list[Hit]


class DocumentCreate(m.Body):
    """A record typed in: its text and metadata (the language is detected when not given)."""

    title: str = Field(min_length=1, max_length=1000)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    kind: Kind = "practice"
    organisation: str | None = Field(None, max_length=1000)
    countries: list[str] = Field(default_factory=list, max_length=300,
                                 description="M49, ISO 3166 alpha-3 or alpha-2 or group codes.")
    year: int | None = Field(None, ge=1900, le=2100)
    language: str | None = Field(None, pattern="^[a-z]{2}$", description="ISO 639-1.")
    licence: str | None = Field(None, max_length=200)
    format: Literal["text", "markdown"] = "text"


class Added(BaseModel):
    ok: Literal[True]
    id: int
    title: str
    chunks: int
    language: m.Text
    tags: list[Tag]


class TagCorrection(m.Body):
    code: str = Field(description="A goal (6) or a target (6.1, 6.a).", max_length=8)
    action: Literal["set", "remove"] = "set"


class Tags(BaseModel):
    ok: Literal[True]
    tags: list[Tag]


class AlignRequest(m.Body):
    """A plan's text, or the id of a stored document (one of them)."""

    text: str | None = Field(None, min_length=1, max_length=ALIGN_MAX_CHARS)
    document_id: int | None = Field(None, ge=1, le=MAX_ID)
    threshold: float | None = Field(None, ge=-1, le=1, description="Similarity a passage "
                                    "needs to address a target (default: the embedder's).")


class Passage(BaseModel):
    text: str
    page: int
    score: float


class Addressed(BaseModel):
    target: str
    goal: int
    title: m.Text
    score: float
    passages: list[Passage]


class AlignAnswer(BaseModel):
    ok: Literal[True]
    embedder: str
    threshold: float
    chunks: int
    addressed: list[Addressed] = Field(description="Targets with the passages addressing "
                                       "them, in the framework's order.")
    uncovered: list[str] = Field(description="Targets no passage addresses.")


# ---- helpers shared with the pages ------------------------------------------------------

def filters(engine: Engine, country: list[str] | None = None, goal: list[str] | None = None,
            target: list[str] | None = None, org: str | None = None, year: int | None = None,
            language: str | None = None, kind: str | None = None) -> kb.SearchFilters:
    """Search filters from request parameters (bad goal or target codes are refused)."""
    goals, targets = codes(goal), codes(target)
    bad = [g for g in goals if not (g.isascii() and g.isdigit() and 1 <= int(g) <= 17)] + [
        t for t in targets if not _TARGET.match(t.lower())]
    if bad:
        raise SdgBridgeError(f"{', '.join(bad)}: not an SDG goal (1-17) or target (6.1, 6.a); "
                             "give goal=1..17 and target like 6.1.")
    areas = codes(country)
    if areas:
        with engine.connect() as conn:
            areas = document_areas(conn, areas)
    return kb.SearchFilters(countries=tuple(areas), goals=tuple(int(g) for g in goals),
                            targets=tuple(t.lower() for t in targets),
                            organisation=org or None, year=year, language=language or None,
                            kind=kind or None)


def hit_rows(engine: Engine, hits: list[kb.SearchHit]) -> list[dict[str, Any]]:
    """Hits as JSON-ready rows, each with the goals its document is tagged with."""
    with engine.connect() as conn:
        goals = {h.document_id: sorted({t["goal"] for t in store.document_tags(
            conn, h.document_id)}) for h in hits}
    return [{**{k: v for k, v in h.__dict__.items() if k != "extra"},
             "goals": goals[h.document_id]} for h in hits]


def document(engine: Engine, doc_id: int) -> dict[str, Any]:
    """A document's metadata, countries, chunk count, tags and corrections, JSON-ready."""
    doc = {str(k): v for k, v in kb.show_document(engine, doc_id).items() if k != "sha256"}
    for key in ("added_at", "tagged_at"):
        doc[key] = doc[key].isoformat() if doc[key] is not None else None
    doc["tags"] = rows_of(doc["tags"])
    doc["corrections"] = [{"goal": c["goal"], "target": c["target"], "action": c["action"],
                           "created_at": c["created_at"].isoformat()}
                          for c in doc["corrections"]]
    return doc


# ---- reads ----------------------------------------------------------------------------

DocId = Annotated[int, Path(ge=1, le=MAX_ID, description="The document's id.")]
Country = Annotated[list[str] | None, Query(description="M49, ISO3, ISO2 or group codes; "
                                            "repeat or separate with commas.")]
Org = Annotated[str | None, Query(description="A part of the organisation's name.",
                                  max_length=200)]
Year = Annotated[int | None, Query(ge=1900, le=2100)]
Language = Annotated[str | None, Query(pattern="^[a-z]{2}$", description="ISO 639-1.")]
KindQ = Annotated[Kind | None, Query()]
Limit = Annotated[int, Query(ge=1, le=100)]


@reads.get("/documents", responses={200: {"model": m.Page[DocumentRow]}},
               summary="Documents")
def list_documents(engine: EngineDep, country: Country = None, goal: Codes = None,
                   target: Codes = None, org: Org = None, year: Year = None,
                   language: Language = None, kind: KindQ = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> Response:
    """Documents of the knowledge base (id, title, kind, organisation, year, language,
    passages), filtered, paged by ``limit``/``offset``."""
    found = kb.list_documents(engine, filters(engine, country, goal, target, org, year,
                                              language, kind))
    return table_response(found.slice(offset, limit), found.height)


@reads.get("/documents/{doc_id}", responses={200: {"model": DocumentDetail}},
               summary="One document")
def get_document(engine: EngineDep, doc_id: DocId) -> Response:
    """A document's metadata, countries, number of passages, SDG tags (the model's, with
    their confidence and passages, and the user's) and the user's corrections."""
    return json_response({"ok": True, "document": document(engine, doc_id)})


@reads.get("/documents/{doc_id}/similar", responses={200: {"model": Hits}},
               summary="More like this")
def similar_documents(engine: EngineDep, emb: EmbedderDep, doc_id: DocId,
                      limit: Limit = 10) -> Response:
    """The documents nearest to this one in meaning (the mean of its passages' embeddings),
    in any language."""
    hits = kb.more_like_this(engine, doc_id, embedder=emb, limit=limit)
    return json_response({"ok": True, "total": len(hits), "rows": hit_rows(engine, hits)})


@reads.get("/search", responses={200: {"model": Hits}}, summary="Search the documents")
def search_documents(
        engine: EngineDep, emb: EmbedderDep,
        q: Annotated[str, Query(min_length=1, max_length=1000, description="Words in any "
                                "language; a Russian query finds English documents too.")],
        country: Country = None, goal: Codes = None, target: Codes = None, org: Org = None,
        year: Year = None, language: Language = None, kind: KindQ = None, limit: Limit = 10,
        mode: Annotated[Literal["hybrid", "fts", "semantic"], Query(
            description="hybrid: full text fused with embeddings.")] = "hybrid") -> Response:
    """Hybrid search: full text (stemmed English and Russian) fused with multilingual
    sentence embeddings; one hit per document with its best passage, query words marked."""
    f = filters(engine, country, goal, target, org, year, language, kind)
    hits = kb.search(engine, q, embedder=emb, filters=f, limit=limit, mode=mode)
    return json_response({"ok": True, "total": len(hits), "rows": hit_rows(engine, hits)})


@reads.post("/align", responses={200: {"model": AlignAnswer}},
                summary="Align a plan with the SDG targets")
def align(engine: EngineDep, emb: EmbedderDep,
          body: Annotated[AlignRequest, Body()]) -> Response:
    """UNDP's Rapid Integrated Assessment, automated: the targets a plan's passages address
    (with those passages) and the targets it leaves uncovered. Writes nothing."""
    if (body.text is None) == (body.document_id is None):
        raise SdgBridgeError("Give the plan's `text` or a stored `document_id` (one of them).")
    plan = body.text if body.text is not None else body.document_id
    a = kb.align_plan(plan, engine=engine, embedder=emb,  # type: ignore[arg-type]
                      threshold=body.threshold)
    addressed = [{"target": c.target, "goal": c.goal, "title": c.title, "score": c.score,
                  "passages": [p.__dict__ for p in c.passages]} for c in a.targets if c.covered]
    return json_response({"ok": True, "embedder": a.embedder, "threshold": a.threshold,
                          "chunks": a.chunks, "addressed": addressed,
                          "uncovered": a.uncovered})


# ---- writes ---------------------------------------------------------------------------

@writes.post("/documents", status_code=201,
                       responses={201: {"model": Added}, 409: {"model": m.ErrorBody,
                                  "description": "The text is already stored."}},
                       summary="Add a record typed in")
def add_record(engine: EngineDep, emb: EmbedderDep,
               body: Annotated[DocumentCreate, Body()]) -> Response:
    """Add a practice, report, plan … typed in: chunked, embedded and tagged with SDG goals
    and targets. The same text stored already is refused (409) and nothing is written."""
    values = body.model_dump()
    values["countries"] = tuple(values["countries"])
    with WRITER:
        r = kb.add_document(engine, values.pop("text"), embedder=emb, **values)
    if r.status == "duplicate":
        raise DuplicateDocument(str(r.error))
    return json_response({"ok": True, "id": r.document_id, "title": r.title,
                          "chunks": r.chunks, "language": r.language,
                          "tags": rows_of(r.tags)}, 201)


@writes.post("/documents/{doc_id}/tags", responses={200: {"model": Tags}},
                       summary="Correct a document's SDG tag")
def correct(engine: EngineDep, doc_id: DocId,
            body: Annotated[TagCorrection, Body()]) -> Response:
    """A user's correction: ``set`` or ``remove`` a goal or target. It wins over the model,
    now and after every re-tagging. Answers the tags in force."""
    with WRITER:
        tags = kb.correct_tag(engine, doc_id, body.code, body.action)
    return json_response({"ok": True, "tags": rows_of(tags)})


def rows_of(tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: t[k] for k in ("goal", "target", "score", "source", "passages")}
            for t in tags]


knowledge = APIRouter()  # the reads and the writes, for ``web.api.ROUTERS``
knowledge.include_router(reads)
knowledge.include_router(writes)

"""The knowledge base in the JSON API: documents, hybrid search, "more like this", a user's
tag corrections, typed-in records and plan alignment, over :mod:`sdgbridge.knowledge`.

Reads are public. Adding a record and correcting a tag need the bearer token (as every write,
:mod:`sdgbridge.web.auth`) and go through the same lock as the other writes. Plan alignment
(``POST /align``) is public: it computes a table from the text in the body and writes
nothing, like a search; the text is capped at ``ALIGN_MAX_CHARS`` characters so that one
request costs seconds of CPU, not minutes, and without the token at the
``align_max_chars_public`` setting's (:func:`check_plan_length`). Its rate per client and
the alignments in flight are bounded by :mod:`sdgbridge.web.throttle`; the route is a plain
``def``, so its CPU-bound work runs in the thread pool, never on the event loop.

The embedder is the ``embedder`` setting's (one per process). The records answered are
made by :mod:`sdgbridge.knowledge.records`, as the pages' (:mod:`~sdgbridge.web.pages.knowledge`)
are, so a page and its API answer come from the same calls.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response
from sqlalchemy import Engine

import sdgbridge.web.api.models as m
from sdgbridge import knowledge as kb
from sdgbridge.accounts.owners import document_owner
from sdgbridge.config import Settings
from sdgbridge.errors import SdgBridgeError
from sdgbridge.files import public_names
from sdgbridge.knowledge.records import (
    document_record,
    hit_records,
    search_filters,
    tag_records,
)
from sdgbridge.knowledge.store import require_document
from sdgbridge.web.auth import TokenDep, Trusted, Writer, permit
from sdgbridge.web.deps import (
    CLEAN,
    MAX_ID,
    WRITER,
    Codes,
    DocumentKind,
    EmbedderDep,
    EngineDep,
    SettingsDep,
    codes,
)
from sdgbridge.web.render import json_response, table_response

reads = APIRouter(tags=["knowledge"], dependencies=[CLEAN], responses=m.READ_ERRORS)
writes = APIRouter(tags=["knowledge"], dependencies=[TokenDep, CLEAN], responses=m.WRITE_ERRORS)


class DuplicateDocument(SdgBridgeError):
    """The text is already stored: nothing was written."""

    status = 409


def _filters(engine: Engine, country: list[str] | None, goal: list[str] | None,
             target: list[str] | None, org: str | None, year: int | None,
             language: str | None, kind: str | None) -> kb.SearchFilters:
    return search_filters(engine, codes(country), codes(goal), codes(target), org, year,
                          language, kind)


# ---- reads ----------------------------------------------------------------------------

DocId = Annotated[int, Path(ge=1, le=MAX_ID, description="The document's id.")]
Country = Annotated[list[str] | None, Query(description="M49, ISO3, ISO2 or group codes; "
                                            "repeat or separate with commas.")]
Org = Annotated[str | None, Query(description="A part of the organisation's name.",
                                  max_length=200)]
Year = Annotated[int | None, Query(ge=1900, le=2100)]
Language = Annotated[str | None, Query(pattern="^[a-z]{2}$", description="ISO 639-1.")]
KindQ = Annotated[DocumentKind | None, Query()]
Limit = Annotated[int, Query(ge=1, le=100)]


@reads.get("/documents", responses={200: {"model": m.Page[m.DocumentRow]}},
               summary="Documents")
def list_documents(engine: EngineDep, country: Country = None, goal: Codes = None,
                   target: Codes = None, org: Org = None, year: Year = None,
                   language: Language = None, kind: KindQ = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> Response:
    """Documents of the knowledge base (id, title, kind, organisation, year, language,
    passages), filtered, paged by ``limit``/``offset``."""
    found = kb.list_documents(engine, _filters(engine, country, goal, target, org, year,
                                              language, kind))
    page = found.slice(offset, limit)
    if "source" in page.columns:  # the file's name, not the server's path
        page = page.with_columns(public_names("source"))
    return table_response(page, found.height)


@reads.get("/documents/{doc_id}", responses={200: {"model": m.DocumentDetail}},
               summary="One document")
def get_document(engine: EngineDep, doc_id: DocId) -> Response:
    """A document's metadata, countries, number of passages, SDG tags (the model's, with
    their confidence and passages, and the user's) and the user's corrections."""
    return json_response({"ok": True, "document": document_record(engine, doc_id)})


@reads.get("/documents/{doc_id}/similar", responses={200: {"model": m.Hits}, **m.THROTTLED},
               summary="More like this")
def similar_documents(engine: EngineDep, emb: EmbedderDep, doc_id: DocId,
                      limit: Limit = 10) -> Response:
    """The documents nearest to this one in meaning (the mean of its passages' embeddings),
    in any language."""
    hits = kb.more_like_this(engine, doc_id, embedder=emb, limit=limit)
    return json_response({"ok": True, "total": len(hits), "rows": hit_records(engine, hits)})


@reads.get("/search", responses={200: {"model": m.Hits}, **m.THROTTLED},
           summary="Search the documents")
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
    f = _filters(engine, country, goal, target, org, year, language, kind)
    hits = kb.search(engine, q, embedder=emb, filters=f, limit=limit, mode=mode)
    return json_response({"ok": True, "total": len(hits), "rows": hit_records(engine, hits)})


class PlanTooLong(SdgBridgeError):
    """A plan's text over what this caller may have aligned."""

    status = 413


def check_plan_length(engine: Engine, body: m.AlignRequest, trusted: bool,
                      settings: Settings) -> None:
    """Refuse (413) a plan over ``align_max_chars_public`` characters from a public caller:
    a text, or a stored document (its length as stored)."""
    cap = settings.align_max_chars_public
    if trusted:
        return
    if body.text is not None:
        what, length = "The plan's text is", len(body.text)
    else:
        with engine.connect() as conn:
            length = int(require_document(conn, int(body.document_id or 0))["chars"])
        what = f"Document {body.document_id} is"
    if length > cap:
        raise PlanTooLong(f"{what} {length:,} characters long; without the API token this "
                          f"server aligns at most {cap:,} (the align_max_chars_public "
                          "setting). Send less (a chapter at a time), or send the request "
                          "with `Authorization: Bearer <token>` (up to "
                          f"{m.ALIGN_MAX_CHARS:,} characters of text).")


@reads.post("/align", responses={200: {"model": m.AlignAnswer},
                                 413: {"model": m.ErrorBody, "description": "The text is "
                                       "over align_max_chars_public (without the token)."},
                                 **m.THROTTLED},
            summary="Align a plan with the SDG targets")
def align(engine: EngineDep, settings: SettingsDep, trusted: Trusted, emb: EmbedderDep,
          body: Annotated[m.AlignRequest, Body()]) -> Response:
    """UNDP's Rapid Integrated Assessment, automated: the targets a plan's passages address
    (with those passages) and the targets it leaves uncovered. Writes nothing. Without the
    bearer token the text is capped at the ``align_max_chars_public`` setting's characters
    (413 above it), and each client may make a few expensive requests a minute (429 with
    ``Retry-After``); a few alignments run at once per server process (503 with
    ``Retry-After`` when a turn does not come free soon)."""
    if (body.text is None) == (body.document_id is None):
        raise SdgBridgeError("Give the plan's `text` or a stored `document_id` (one of them).")
    check_plan_length(engine, body, trusted, settings)
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
                       responses={201: {"model": m.Added}, 409: {"model": m.ErrorBody,
                                  "description": "The text is already stored."}},
                       summary="Add a record typed in")
def add_record(engine: EngineDep, emb: EmbedderDep, actor: Writer,
               body: Annotated[m.DocumentCreate, Body()]) -> Response:
    """Add a practice, report, plan … typed in: chunked, embedded and tagged with SDG goals
    and targets. The same text stored already is refused (409) and nothing is written.
    An administrator, an analyst or a partner editor (for its organisation) adds one."""
    permit(engine, actor, "create", "document", actor.organisation_id, body.title)
    values = body.model_dump()
    values["countries"] = tuple(values["countries"])
    with WRITER:
        r = kb.add_document(engine, values.pop("text"), embedder=emb, **values)
    if r.status == "duplicate":
        raise DuplicateDocument(str(r.error))
    return json_response({"ok": True, "id": r.document_id, "title": r.title,
                          "chunks": r.chunks, "language": r.language,
                          "tags": tag_records(r.tags)}, 201)


@writes.post("/documents/{doc_id}/tags", responses={200: {"model": m.Tags}},
                       summary="Correct a document's SDG tag")
def correct(engine: EngineDep, doc_id: DocId, actor: Writer,
            body: Annotated[m.TagCorrection, Body()]) -> Response:
    """A user's correction: ``set`` or ``remove`` a goal or target. It wins over the model,
    now and after every re-tagging. Answers the tags in force. An administrator or analyst
    corrects any document, a partner editor its organisation's."""
    permit(engine, actor, "update", "document", document_owner(engine, doc_id), str(doc_id))
    with WRITER:
        tags = kb.correct_tag(engine, doc_id, body.code, body.action)
    return json_response({"ok": True, "tags": tag_records(tags)})


router = APIRouter()  # the reads and the writes
router.include_router(reads)
router.include_router(writes)

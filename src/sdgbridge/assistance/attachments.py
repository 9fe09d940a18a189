"""Files attached to a technical-assistance request: terms of reference, a draft law, a
data table. Each is read by the knowledge base's document reader (PDF, DOCX, HTML,
Markdown, text; :mod:`sdgbridge.knowledge.extract`), its language detected, its passages
embedded and tagged with SDG goals and targets, and stored as a document of the knowledge
base, *internal* (the Centre finds it in search; partners and the public do not), of the
request's country. The request's parties read it on the request's page.

A file whose text is stored already (the same document uploaded for another request) is
attached as that document; a file the reader refuses is refused with its message and
nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from sdgbridge import audit
from sdgbridge.actors import current_actor
from sdgbridge.assistance.lifecycle import FINAL
from sdgbridge.assistance.service import IllegalTransition, parties_of
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, Forbidden, InputError, NotFound, Phrase
from sdgbridge.files import public_name

OPENING = 600  # characters of an attachment's text shown on the request's page


def attach(engine: Engine, request_id: int, path: Path, *, name: str | None = None,
           title: str | None = None, embedder: Any = None) -> int:
    """Read the file at ``path`` (uploaded as ``name``) into the knowledge base and attach
    it to the request, by one of its parties while the request is open; the document's
    id."""
    from sdgbridge.knowledge.service import DocumentInput, add_documents

    actor = current_actor()
    shown = public_name(name or path.name) or "attachment"
    with engine.connect() as conn:
        request = conn.execute(select(t.ta_request).where(t.ta_request.c.id == request_id)
                               ).mappings().first()
        if request is None:
            raise NotFound(N_("No request {id}. `sdgbridge requests list` lists them."),
                           id=request_id)
        if not parties_of(conn, actor, request):
            raise Forbidden(N_("{who} is not a party to request {id}."), who=actor.label,
                            id=request_id)
        if request["state"] in FINAL:
            raise IllegalTransition(N_("Request {id} is {state}: nothing more is attached."),
                                    id=request_id, state=Phrase(request["state"]))
    report = add_documents(engine, [DocumentInput(
        path=path, source=shown, title=title or None, kind="report",
        countries=(request["country"],), visibility="internal",
        organisation_id=actor.organisation_id)], embedder=embedder, keep_going=False)[0]
    doc_id = report.document_id if report.status != "duplicate" else report.duplicate_of
    if doc_id is None:
        raise InputError(N_("{name} could not be read: {error}"), name=shown,
                         error=report.error or "")
    with engine.begin() as conn:
        c = t.ta_attachment.c
        if conn.execute(select(c.id).where(c.request_id == request_id,
                                           c.document_id == doc_id)).first():
            raise InputError(N_("{name} is attached to request {id} already."), name=shown,
                             id=request_id)
        conn.execute(insert(t.ta_attachment).values(
            request_id=request_id, document_id=doc_id, name=shown, at=datetime.now(UTC),
            actor=actor.label))
        audit.record(conn, "attached", "request", request_id,
                     after={"document": doc_id, "name": shown})
    return int(doc_id)


def attachments(engine: Engine, request_id: int) -> list[dict[str, Any]]:
    """The request's attachments, oldest first: the file's name, who attached it and when,
    the document's id, title and language, its SDG tags (goal and target codes) and the
    opening of its text. Read through the request (the caller checks that it may)."""
    a, d, c, g = t.ta_attachment.c, t.document.c, t.chunk.c, t.document_tag.c
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(a.id, a.name, a.at, a.actor, a.document_id, d.title, d.language)
            .join(t.document, d.id == a.document_id).where(a.request_id == request_id)
            .order_by(a.id))]
        for row in rows:
            opening = conn.execute(select(c.text).where(
                c.document_id == row["document_id"]).order_by(c.ordinal).limit(1)
            ).scalar() or ""
            row["opening"] = opening[:OPENING] + ("…" if len(opening) > OPENING else "")
            tags = conn.execute(select(g.goal, g.target).distinct().where(
                g.document_id == row["document_id"], g.chunk_id.is_(None))
                .order_by(g.goal, g.target)).all()
            row["tags"] = [target or str(goal) for goal, target in tags]
    return rows

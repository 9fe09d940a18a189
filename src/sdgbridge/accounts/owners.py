"""Which organisation owns a record, for the rules of :mod:`.roles`: a project is its
reporting organisation's (by the registry's ref)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from sdgbridge.db import tables as t


def org_by_ref(engine: Engine, ref: str | None) -> int | None:
    """The id of the registered organisation with ``ref`` (None when there is none)."""
    if not ref:
        return None
    with engine.connect() as conn:
        found = conn.execute(select(t.organisation.c.id)
                             .where(t.organisation.c.ref == ref)).scalar()
    return None if found is None else int(found)


def project_owner(engine: Engine, identifier: str) -> int | None:
    """The organisation that reports the project ``identifier`` (None when the project or
    its reporting organisation is not in the store)."""
    a = t.iati_activity.c
    with engine.connect() as conn:
        ref = conn.execute(select(a.reporting_org_ref).where(a.iati_identifier == identifier)
                           ).scalar()
    return org_by_ref(engine, ref)


def document_owner(engine: Engine, doc_id: int) -> int | None:
    """The organisation a document of the knowledge base belongs to (None: the Centre's,
    or no such document)."""
    with engine.connect() as conn:
        found = conn.execute(select(t.document.c.organisation_id)
                             .where(t.document.c.id == doc_id)).scalar()
    return None if found is None else int(found)


def document_iso3(engine: Engine, doc_id: int) -> list[str]:
    """The ISO alpha-3 codes of a document's countries (a focal point's rule compares its
    country with them)."""
    dc, a = t.document_country.c, t.area.c
    with engine.connect() as conn:
        return [str(c) for c in conn.execute(select(a.iso3).join(
            t.document_country, dc.area_code == a.code).where(dc.document_id == doc_id)
            ).scalars() if c]

"""The knowledge base in plain records (JSON-ready dicts), and search filters from the
values a form or a query string gives: what the API and the pages show, from one place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from sdgbridge.errors import SdgBridgeError
from sdgbridge.files import public_name
from sdgbridge.knowledge.search import SearchHit, show_document
from sdgbridge.knowledge.service import area_codes
from sdgbridge.knowledge.store import SearchFilters, document_tags

_TARGET = re.compile(r"^(1[0-7]|[1-9])\.(\d{1,2}|[a-z])$")
TAG_FIELDS = ("goal", "target", "score", "source", "passages")


def search_filters(engine: Engine, countries: Sequence[str] = (), goals: Sequence[str] = (),
                   targets: Sequence[str] = (), organisation: str | None = None,
                   year: int | None = None, language: str | None = None,
                   kind: str | None = None) -> SearchFilters:
    """Filters from codes as given: countries as M49, ISO3, ISO2 or group codes, goals 1-17,
    targets like 6.1 or 6.a (bad goal or target codes are refused); empty values do not
    filter."""
    bad = [g for g in goals if not (g.isascii() and g.isdigit() and 1 <= int(g) <= 17)] + [
        t for t in targets if not _TARGET.match(t.lower())]
    if bad:
        raise SdgBridgeError(f"{', '.join(bad)}: not an SDG goal (1-17) or target (6.1, 6.a); "
                             "give goal=1..17 and target like 6.1.")
    areas = list(countries)
    if areas:
        with engine.connect() as conn:
            areas = area_codes(conn, areas)
    return SearchFilters(countries=tuple(areas), goals=tuple(int(g) for g in goals),
                         targets=tuple(t.lower() for t in targets),
                         organisation=organisation or None, year=year,
                         language=language or None, kind=kind or None)


def hit_records(engine: Engine, hits: list[SearchHit]) -> list[dict[str, Any]]:
    """Hits as records, each with the goals its document is tagged with."""
    with engine.connect() as conn:
        goals = {h.document_id: sorted({t["goal"] for t in document_tags(
            conn, h.document_id)}) for h in hits}
    return [{**{k: v for k, v in h.__dict__.items() if k != "extra"},
             "goals": goals[h.document_id]} for h in hits]


def document_record(engine: Engine, doc_id: int) -> dict[str, Any]:
    """A document's metadata, countries, chunk count, tags and corrections, dates as ISO
    text."""
    doc = {str(k): v for k, v in show_document(engine, doc_id).items() if k != "sha256"}
    doc["source"] = public_name(doc.get("source"))  # the file's name, not the server's path
    for key in ("added_at", "tagged_at"):
        doc[key] = doc[key].isoformat() if doc[key] is not None else None
    doc["tags"] = tag_records(doc["tags"])
    doc["corrections"] = [{"goal": c["goal"], "target": c["target"], "action": c["action"],
                           "created_at": c["created_at"].isoformat()}
                          for c in doc["corrections"]]
    return doc


def tag_records(tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tags with their goal, target, score, source and passages only."""
    return [{k: t[k] for k in TAG_FIELDS} for t in tags]

"""The audit trail over the API: ``GET /api/v1/audit``, the events matching the filters
(as ``sdgbridge audit list``), newest first, as JSON or, with ``format=csv``, as CSV a
spreadsheet opens as text. Not public: it needs the bearer token (for now the write token of
:mod:`sdgbridge.web.auth`; administrators only once scopes exist)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

import sdgbridge.web.api.models as m
from sdgbridge import audit
from sdgbridge.web.auth import TokenDep
from sdgbridge.web.deps import CLEAN, EngineDep
from sdgbridge.web.render import csv_response, table_response

router = APIRouter(tags=["audit"], dependencies=[TokenDep, CLEAN],
                   responses=m.WRITE_ERRORS)  # the errors of a request with the token


class AuditEvent(BaseModel):
    """One write (or refused write): who, through which path, when, what, before and after
    (JSON text)."""

    id: int
    at: str
    actor: str
    via: str
    account_id: int | None
    organisation_id: int | None
    action: str
    record_type: str
    record_key: str
    outcome: str
    before: str | None
    after: str | None
    message: str | None


@router.get("/audit", response_model=None, summary="The audit trail",
            responses={200: {"model": m.Page[AuditEvent], "content": {
                "text/csv": {"schema": {"type": "string"}}}}},
            description="Every write and every refused write that reached a rule, newest "
            "first, filtered by record type, key, actor, dates and outcome. Needs the bearer "
            "token. `format=csv`: CSV (formula-safe).")
def audit_events(
        engine: EngineDep,
        record_type: Annotated[str | None, Query(description="organisation, activity, "
                                                 "document, group, release …")] = None,
        key: Annotated[str | None, Query(description="The record's key.")] = None,
        actor: Annotated[str | None, Query(description="Who acted, as the trail shows it "
                                           "(cli:amina).")] = None,
        since: Annotated[str | None, Query(description="From this date (yyyy-mm-dd).")]
        = None,
        until: Annotated[str | None, Query(description="Up to this date, included.")] = None,
        outcome: Annotated[Literal["done", "refused"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
        format: Annotated[Literal["json", "csv"], Query()] = "json") -> Response:
    filters = {"record_type": record_type, "record_key": key, "actor": actor,
               "since": since, "until": until, "outcome": outcome}
    found = audit.events(engine, limit=limit, offset=offset, **filters)
    total = audit.count(engine, **filters)
    return csv_response(found, total) if format == "csv" else table_response(found, total)

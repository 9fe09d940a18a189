"""The audit trail over the API: ``GET /api/v1/audit``, the events matching the filters
(as ``sdgbridge audit list``), newest first, as JSON or, with ``format=csv``, as CSV a
spreadsheet opens as text. Not public: a key with the ``read`` scope of someone the rules
let read it (:data:`sdgbridge.accounts.roles.RULES`: administrators and the Centre's
analysts read all of it, a partner editor what was done for its organisation); anyone else
is refused (403, recorded)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

import sdgbridge.web.api.models as m
from sdgbridge import audit
from sdgbridge.accounts.roles import can, need_scope
from sdgbridge.web.auth import Credentials, Unauthorized, caller, permit
from sdgbridge.web.deps import CLEAN, EngineDep
from sdgbridge.web.render import csv_response, table_response

router = APIRouter(tags=["audit"], dependencies=[CLEAN],
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
        request: Request, engine: EngineDep, _key: Credentials,
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
    who = caller(request)
    if who is None:
        raise Unauthorized("The audit trail is not public: send an API key with the read "
                           "scope as `Authorization: Bearer <token>`.")
    need_scope(who, "read")
    permit(engine, who, "read", "audit", who.organisation_id, "the audit trail")
    # A partner editor reads what was done for its organisation only.
    own = None if can(who, "read", "audit") else who.organisation_id
    filters: dict[str, Any] = {"record_type": record_type, "record_key": key, "actor": actor,
               "since": since, "until": until, "outcome": outcome, "organisation_id": own}
    found = audit.events(engine, limit=limit, offset=offset, **filters)
    total = audit.count(engine, **filters)
    return csv_response(found, total) if format == "csv" else table_response(found, total)

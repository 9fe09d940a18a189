"""Organisations, the partner registry: listings, one organisation with its history; and the
writes (register, change, archive: :data:`writes`), through the same library functions as
``sdgbridge orgs …``, recorded with origin ``api``. Every write needs an API key with the
write scope (:mod:`sdgbridge.web.auth`) whose role may make it
(:mod:`sdgbridge.accounts.roles`: a partner editor changes its own organisation only);
writes go one at a time (``WRITER``: SQLite has one writer).

An organisation is named by its ref or ``org:<id>``; the key takes the rest of the path
(the ``key`` convertor of :mod:`sdgbridge.web.deps`).

Reads are public, but personal data is not: without the token, contacts show their role
only (in the history too) and archived organisations are not found; with the token
(:data:`~sdgbridge.web.auth.Trusted`) all is shown. The rule is
:mod:`sdgbridge.projects.privacy`'s (issue 13, finding 8).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

import sdgbridge.web.api.models as m
from sdgbridge.accounts.users import org_id
from sdgbridge.projects.orgs import (
    archive_org,
    create_org,
    list_orgs,
    one_org,
    org_history,
    org_key,
    update_org,
)
from sdgbridge.projects.periods import asked_period
from sdgbridge.projects.portfolio import organisation_portfolio
from sdgbridge.projects.privacy import public_history, public_org, public_orgs
from sdgbridge.web.auth import TokenDep, Trusted, Writer, permit
from sdgbridge.web.deps import CLEAN, WRITE_ORIGIN, WRITER, CodelistsDep, EngineDep, KeptDep
from sdgbridge.web.render import json_response, rows, table_response, written

router = APIRouter(tags=["projects"], dependencies=[CLEAN], responses=m.READ_ERRORS)
writes = APIRouter(tags=["writes"], dependencies=[TokenDep, CLEAN], responses=m.WRITE_ERRORS)


PUBLIC_NOTE = ("Without the bearer token, contacts show their role only (no name, e-mail "
               "or phone: personal data), in the history too, and archived organisations "
               "are left out; with the token (`Authorization: Bearer <token>`) everything "
               "is shown.")


@router.get("/organisations", responses=m.page_of(m.Organisation), summary="Organisations",
            description="The partner registry: organisations with their IATI ref, names, "
            "type, UN entity, countries and contacts (JSON text). " + PUBLIC_NOTE)
def list_organisations(
        engine: EngineDep, trusted: Trusted,
        type: Annotated[str | None, Query(description="IATI OrganisationType code.")] = None,
        country: Annotated[str | None, Query(description="ISO alpha-2: those working "
                                             "there.")] = None,
        archived: Annotated[bool, Query(description="Also the archived ones (with the "
                                        "token only; without it they stay out).")] = False
        ) -> Response:
    found = list_orgs(engine, type, country, archived and trusted)
    return _private(table_response(found)) if trusted else table_response(public_orgs(found))


@router.get("/organisations/{key:key}/history", responses=m.page_of(m.Change),
            summary="An organisation's history",
            description="Every change of an organisation (named by its ref or ``org:<id>``), "
            "oldest first, each with its details (field -> [old, new]). " + PUBLIC_NOTE)
def organisation_changes(engine: EngineDep, trusted: Trusted, key: str) -> Response:
    if trusted:
        return _private(table_response(org_history(engine, key)))
    public_org(one_org(engine, key), key)  # NotFound for an archived one
    return table_response(public_history(org_history(engine, key)))


@router.get("/organisations/{key:key}/portfolio", responses={200: {"model": m.Row}},
            summary="An organisation's portfolio")
def organisation_portfolio_api(engine: EngineDep, kept: KeptDep, key: str,
                               start: Annotated[int | None, Query(
                                   alias="from", ge=1990, le=2100)] = None,
                               end: Annotated[int | None, Query(alias="to", ge=1990,
                                                                le=2100)] = None) -> Response:
    """The projects an organisation (its IATI ref, or ``org:<id>``) reports or takes part
    in, with its roles; its money per year, countries and SDG targets (over the period when
    given); the organisations it works with; its documents in the knowledge base."""
    period = asked_period(start, end)
    return json_response({"ok": True, **organisation_portfolio(engine, key, period, kept)})


@router.get("/organisations/{key:key}", responses={200: {"model": m.OrganisationDetail}},
            summary="One organisation",
            description="One organisation (by its ref or ``org:<id>``) with its history. "
            + PUBLIC_NOTE)
def show_organisation(engine: EngineDep, trusted: Trusted, key: str) -> Response:
    org, history = one_org(engine, key), org_history(engine, key)  # NotFound: no such one
    if not trusted:
        org, history = public_org(org, key), public_history(history)
    answer = json_response({"ok": True, "organisation": rows(org)[0],
                            "history": rows(history)})
    return _private(answer) if trusted else answer


def _private(response: Response) -> Response:
    """An answer with personal data: kept by no cache on the way."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- writes -----------------------------------------------------------------------------

@writes.post("/organisations", status_code=201, responses=m.CREATED,
             summary="Register an organisation")
def add_organisation(engine: EngineDep, codelists: CodelistsDep, actor: Writer,
                     body: Annotated[m.OrganisationCreate, Body()]) -> Response:
    """Register an organisation; its codes are checked against the IATI code lists."""
    permit(engine, actor, "create", "organisation", None, body.ref or body.name_en)
    with WRITER:
        org_id = create_org(engine, codelists=codelists, origin=WRITE_ORIGIN,
                            **body.model_dump())
    return written(org_key({"ref": (body.ref or "").strip() or None, "id": org_id}), 201)


@writes.patch("/organisations/{key:key}", responses=m.WRITTEN,
              summary="Change an organisation")
def change_organisation(engine: EngineDep, codelists: CodelistsDep, key: str, actor: Writer,
                        body: Annotated[m.OrganisationUpdate, Body()]) -> Response:
    """Change the fields given (``null`` empties one); answers what changed as
    field -> [old, new] (nothing when the values are the stored ones). An administrator
    or analyst changes any organisation, a partner editor its own."""
    permit(engine, actor, "update", "organisation", org_id(engine, key), key)
    changes = body.model_dump(exclude_unset=True)
    with WRITER:
        diff = update_org(engine, key, codelists, WRITE_ORIGIN, **changes)
    new_ref = diff.get("ref", [None, None])[1] if "ref" in diff else None
    return written(new_ref or key, changes=diff)


@writes.post("/organisations/{key:key}/archive", responses=m.WRITTEN,
             summary="Archive an organisation")
def archive_organisation(engine: EngineDep, key: str, actor: Writer) -> Response:
    """Archive an organisation (kept with its history, left out of lists); ``archived`` is
    false when it already was."""
    permit(engine, actor, "archive", "organisation", org_id(engine, key), key)
    with WRITER:
        archived = archive_org(engine, key, WRITE_ORIGIN)
    return written(key, archived=archived)

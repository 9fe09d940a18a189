"""Writes: organisations and projects made by hand (create, update, archive), through the
same library functions as ``sdgbridge orgs …`` and ``sdgbridge projects create|update|
archive``, recorded with origin ``api``. Every route needs the bearer token
(:mod:`sdgbridge.web.auth`); writes go one at a time through one lock (SQLite has one
writer)."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import Response

from sdgbridge.projects.editing import archive_project, create_project, update_project
from sdgbridge.projects.orgs import archive_org, create_org, org_key, update_org
from sdgbridge.web import api_models as m
from sdgbridge.web import api_projects  # noqa: F401  (registers the key convertor)
from sdgbridge.web.auth import TokenDep
from sdgbridge.web.deps import CLEAN, CodelistsDep, EngineDep
from sdgbridge.web.render import json_response

ORIGIN = "api"
writes = APIRouter(tags=["writes"], dependencies=[TokenDep, CLEAN],
                   responses=m.WRITE_ERRORS)
WRITER = threading.Lock()
WRITTEN: dict[int | str, dict[str, Any]] = {200: {"model": m.Written}}
CREATED: dict[int | str, dict[str, Any]] = {201: {"model": m.Written}}


def _done(key: str, status: int = 200, **more: Any) -> Response:
    return json_response({"ok": True, "key": key, **more}, status)


@writes.post("/organisations", status_code=201, responses=CREATED,
             summary="Register an organisation")
def add_organisation(engine: EngineDep, codelists: CodelistsDep,
                     body: Annotated[m.OrganisationCreate, Body()]) -> Response:
    """Register an organisation; its codes are checked against the IATI code lists."""
    with WRITER:
        org_id = create_org(engine, codelists=codelists, origin=ORIGIN, **body.model_dump())
    return _done(org_key({"ref": (body.ref or "").strip() or None, "id": org_id}), 201)


@writes.patch("/organisations/{key:key}", responses=WRITTEN,
              summary="Change an organisation")
def change_organisation(engine: EngineDep, codelists: CodelistsDep, key: str,
                        body: Annotated[m.OrganisationUpdate, Body()]) -> Response:
    """Change the fields given (``null`` empties one); answers what changed as
    field -> [old, new] (nothing when the values are the stored ones)."""
    changes = body.model_dump(exclude_unset=True)
    with WRITER:
        diff = update_org(engine, key, codelists, ORIGIN, **changes)
    new_ref = diff.get("ref", [None, None])[1] if "ref" in diff else None
    return _done(new_ref or key, changes=diff)


@writes.post("/organisations/{key:key}/archive", responses=WRITTEN,
             summary="Archive an organisation")
def archive_organisation(engine: EngineDep, key: str) -> Response:
    """Archive an organisation (kept with its history, left out of lists); ``archived`` is
    false when it already was."""
    with WRITER:
        done = archive_org(engine, key, ORIGIN)
    return _done(key, archived=done)


@writes.post("/projects", status_code=201, responses=CREATED, summary="Create a project")
def add_project(engine: EngineDep, codelists: CodelistsDep,
                body: Annotated[m.ProjectCreate, Body()]) -> Response:
    """Create a project by hand (not from an IATI file); the reporting and participating
    organisations must be registered."""
    values = body.model_dump()
    values["participants"] = [(p["role"], p["ref"]) for p in values["participants"]]
    with WRITER:
        ident = create_project(engine, codelists=codelists, origin=ORIGIN, **values)
    return _done(ident, 201)


@writes.patch("/projects/{identifier:key}", responses=WRITTEN, summary="Change a project")
def change_project(engine: EngineDep, codelists: CodelistsDep, identifier: str,
                   body: Annotated[m.ProjectUpdate, Body()]) -> Response:
    """Change fields of a project made by hand (``null`` empties one); answers what
    changed as field -> [old, new]."""
    changes = body.model_dump(exclude_unset=True)
    with WRITER:
        diff = update_project(engine, identifier, codelists, ORIGIN, **changes)
    return _done(identifier, changes=diff)


@writes.post("/projects/{identifier:key}/archive", responses=WRITTEN,
             summary="Archive a project")
def archive_one_project(engine: EngineDep, identifier: str) -> Response:
    """Archive a project made by hand (kept with its history)."""
    with WRITER:
        done = archive_project(engine, identifier, ORIGIN)
    return _done(identifier, archived=done)

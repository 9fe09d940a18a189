"""Projects (IATI activities), organisations and coordination: listings, one project or
organisation with its history, 3W, money against progress, overlaps, the partner network.

Identifiers may hold ``/`` (``US-GOV-2-FFE-116-2012/027``): the routes with an identifier
take the rest of the path (any characters, line breaks too: the ``key`` convertor), so their
sub-resources (``/history``) are declared first.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import Engine, select
from starlette.convertors import PathConvertor, register_url_convertor

from sdgbridge.assessment.run import assess as run_assess
from sdgbridge.assessment.run import roll_up, series_indicators
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound
from sdgbridge.projects.coordination import money_by_target, money_vs_progress
from sdgbridge.projects.orgs import list_orgs, org_history
from sdgbridge.projects.overlaps import DEFAULT_SIMILARITY, overlaps, partner_network
from sdgbridge.projects.queries import project_history, project_table, three_w
from sdgbridge.projects.sdg import flat_export
from sdgbridge.projects.store import CHILDREN
from sdgbridge.reference.catalog import area_table
from sdgbridge.web import api_models as m
from sdgbridge.web.deps import (
    CLEAN,
    Areas,
    EngineDep,
    FramesDep,
    MethodName,
    SettingsDep,
    area_codes,
)
from sdgbridge.web.render import json_response, rows, table_response


class KeyConvertor(PathConvertor):
    """Like ``path`` but matching every character: a key with a line break still reaches
    the route (and gets its 404) instead of falling through to no route."""

    regex = "(?s:.*)"


register_url_convertor("key", KeyConvertor())
projects = APIRouter(tags=["projects"], dependencies=[CLEAN], responses=m.READ_ERRORS)
Method = MethodName


_page = m.page_of


@projects.get("/projects", responses=_page(m.Project), summary="Projects")
def list_projects(engine: EngineDep, country: Annotated[str | None, Query(
        description="ISO 3166 alpha-2 recipient country, e.g. KZ.", max_length=2)] = None
                  ) -> Response:
    """IATI projects in the store (imported and made by hand), by recipient country on the
    activity or its transactions."""
    return table_response(project_table(engine, country))


@projects.get("/projects/3w", responses=_page(m.Row), summary="3W: who does what where")
def projects_3w(engine: EngineDep, frames: FramesDep) -> Response:
    """Organisation × country × DAC sector × year: commitments, disbursements, projects."""
    return table_response(frames.get(engine, "three_w", three_w))


@projects.get("/projects/vs-progress", responses=_page(m.Row),
              summary="Money against progress per country and target")
def projects_vs_progress(engine: EngineDep, settings: SettingsDep, frames: FramesDep,
                         method: Method = "unsd", areas: Areas = None,
                         only_flagged: bool = False) -> Response:
    """Disbursements and commitments (USD) per country and SDG target beside the target's
    status by ``method`` (assessed now), flagged: off track with little support, on track
    with much."""
    run = run_assess(engine, method, area_codes(areas, settings))
    rolled = roll_up(run.results, series_indicators(engine), "target")
    iso = dict(area_table(engine).drop_nulls("iso2").select("iso2", "code").iter_rows())
    flat = frames.get(engine, "flat_export", flat_export)
    df = money_vs_progress(rolled, money_by_target(flat, iso))
    return table_response(df.filter(pl.col("flag").is_not_null()) if only_flagged else df)


@projects.get("/projects/overlaps", responses=_page(m.Row), summary="Overlapping projects")
def projects_overlaps(engine: EngineDep, frames: FramesDep,
                      min_similarity: Annotated[float, Query(
                          ge=0, le=1, description="TF-IDF cosine of titles and "
                          "descriptions.")] = DEFAULT_SIMILARITY) -> Response:
    """Pairs of projects in the same country and SDG target, overlapping in time, with
    similar texts; most similar first."""
    if min_similarity < DEFAULT_SIMILARITY:  # more pairs than are kept: computed for this
        return table_response(overlaps(engine, min_similarity=min_similarity))
    kept = frames.get(engine, "overlaps", overlaps)  # at the default, the pages' too
    return table_response(kept.filter(pl.col("similarity") >= min_similarity))


@projects.get("/projects/network", responses=_page(m.Row), summary="Partner network")
def projects_network(engine: EngineDep, frames: FramesDep) -> Response:
    """Who co-funds, co-implements or funds whom (USD disbursements); UN joint work."""
    return table_response(frames.get(engine, "network", partner_network))


@projects.get("/projects/{identifier:key}/history", responses=_page(m.Change),
              summary="A project's history")
def project_changes(engine: EngineDep, identifier: str) -> Response:
    """What changed in a project, import by import or edit by edit, oldest first."""
    return table_response(project_history(engine, identifier))


@projects.get("/projects/{identifier:key}", responses={200: {"model": m.ProjectDetail}},
              summary="One project")
def show_project(engine: EngineDep, identifier: str) -> Response:
    """One project: its row, its countries, regions, sectors, SDG tags, participating
    organisations, transactions, budgets and documents, and its history."""
    return json_response({"ok": True, **project_detail(engine, identifier),
                          "history": rows(project_history(engine, identifier))})


def project_detail(engine: Engine, identifier: str) -> dict[str, Any]:
    """The activity row and its child rows (a candidate for ``projects.queries``)."""
    a = t.iati_activity
    with engine.connect() as conn:
        row = conn.execute(select(a).where(a.c.iati_identifier == identifier)).mappings().first()
        if row is None:
            raise NotFound(f"No project {identifier!r}. GET /api/v1/projects lists them.")
        children = {kind: [_plain(r) for r in conn.execute(
            select(table).where(table.c.iati_identifier == identifier)).mappings()]
            for kind, table in CHILDREN.items()}
    return {"project": _plain(row), "children": children}


def _plain(row: Any) -> dict[str, Any]:
    """A row as a dict with plain ``str`` keys, without the repeated identifier."""
    return {str(k): v for k, v in row.items() if k != "iati_identifier"} | (
        {"iati_identifier": row["iati_identifier"]} if "content_sha256" in row else {})


# ---- organisations ------------------------------------------------------------------------

@projects.get("/organisations", responses=_page(m.Organisation), summary="Organisations")
def list_organisations(
        engine: EngineDep,
        type: Annotated[str | None, Query(description="IATI OrganisationType code.")] = None,
        country: Annotated[str | None, Query(description="ISO alpha-2: those working "
                                             "there.")] = None,
        archived: Annotated[bool, Query(description="Also the archived ones.")] = False
        ) -> Response:
    """The partner registry: organisations with their IATI ref, names, type, UN entity,
    countries and contacts (JSON text)."""
    return table_response(list_orgs(engine, type, country, archived))


@projects.get("/organisations/{key:key}/history", responses=_page(m.Change),
              summary="An organisation's history")
def organisation_changes(engine: EngineDep, key: str) -> Response:
    """Every change of an organisation (named by its ref or ``org:<id>``), oldest first."""
    return table_response(org_history(engine, key))


@projects.get("/organisations/{key:key}", responses={200: {"model": m.OrganisationDetail}},
              summary="One organisation")
def show_organisation(engine: EngineDep, key: str) -> Response:
    """One organisation (by its ref or ``org:<id>``) with its history."""
    history = org_history(engine, key)  # NotFound with the library's message
    by_id = re.fullmatch(r"org:(\d+)", key)
    orgs = list_orgs(engine, include_archived=True)
    match = orgs.filter(pl.col("id") == int(by_id.group(1)) if by_id else pl.col("ref") == key)
    return json_response({"ok": True, "organisation": rows(match)[0],
                          "history": rows(history)})

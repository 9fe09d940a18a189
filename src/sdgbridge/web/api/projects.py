"""Projects (IATI activities) and coordination: listings, one project with its history, 3W,
money against progress, overlaps, the partner network; and the projects made by hand
(create, update, archive: :data:`writes`, behind the bearer token, recorded with origin
``api``, one at a time).

Identifiers may hold ``/`` and take the rest of the path (the ``key`` convertor of
:mod:`sdgbridge.web.deps`), so their sub-resources (``/history``) are declared first.
"""

from __future__ import annotations

from typing import Annotated

import polars as pl
from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response

import sdgbridge.web.api.models as m
from sdgbridge.accounts.owners import org_by_ref, project_owner
from sdgbridge.errors import NotFound
from sdgbridge.files import public_name
from sdgbridge.projects.coordination import money_against_progress, projects_frame
from sdgbridge.projects.editing import archive_project, create_project, update_project
from sdgbridge.projects.imports import import_detail, list_imports
from sdgbridge.projects.overlap_review import overlaps_to_review
from sdgbridge.projects.overlaps import DEFAULT_SIMILARITY, overlaps, partner_network
from sdgbridge.projects.periods import (
    asked_period,
    budgets_by_year,
    money_by_year,
    money_flows,
)
from sdgbridge.projects.queries import project_detail, project_history, project_table, three_w
from sdgbridge.projects.sdg import flat_export
from sdgbridge.projects.un_entities import un_entities_by_target
from sdgbridge.web.auth import TokenDep, Writer, permit
from sdgbridge.web.deps import (
    CLEAN,
    WRITE_ORIGIN,
    WRITER,
    Areas,
    CodelistsDep,
    EmbedderDep,
    EngineDep,
    KeptDep,
    MethodName,
    SettingsDep,
    area_codes,
)
from sdgbridge.web.render import json_response, rows, table_response, written

router = APIRouter(tags=["projects"], dependencies=[CLEAN], responses=m.READ_ERRORS)
writes = APIRouter(tags=["writes"], dependencies=[TokenDep, CLEAN], responses=m.WRITE_ERRORS)


@router.get("/projects", responses=m.page_of(m.Project), summary="Projects")
def list_projects(engine: EngineDep, country: Annotated[str | None, Query(
        description="ISO 3166 alpha-2 recipient country, e.g. KZ.", max_length=2)] = None
                  ) -> Response:
    """IATI projects in the store (imported and made by hand), by recipient country on the
    activity or its transactions."""
    return table_response(project_table(engine, country))


@router.get("/projects/3w", responses=m.page_of(m.Row), summary="3W: who does what where")
def projects_3w(engine: EngineDep, kept: KeptDep, start: FromQ = None, end: ToQ = None
                ) -> Response:
    """Organisation × country × DAC sector × year: commitments, disbursements,
    expenditure and projects, in their currency and in US dollars."""
    found = projects_frame(engine, three_w, kept)
    period = asked_period(start, end)
    return table_response(found.filter(period.years()) if period else found)


@router.get("/projects/vs-progress", responses=m.page_of(m.Row),
            summary="Money against progress per country and target")
def projects_vs_progress(engine: EngineDep, settings: SettingsDep, kept: KeptDep,
                         method: MethodName = "unsd", areas: Areas = None,
                         only_flagged: bool = False, start: FromQ = None,
                         end: ToQ = None) -> Response:
    """Disbursements and commitments (USD) per country and SDG target over the period
    beside the target's status by ``method`` (its current assessment: the current stored
    run, else assessed now), with the support ratio (the target's share of the country's
    money over its share of the region's) and the flags: off track with little support
    (nothing, or a ratio of 0.5 or less), on track with much (2 or more and USD 1 million)."""
    return table_response(money_against_progress(
        engine, method, area_codes(areas, settings), only_flagged=only_flagged, kept=kept,
        period=asked_period(start, end)))


@router.get("/projects/overlaps", responses=m.page_of(m.Row), summary="Overlapping projects")
def projects_overlaps(engine: EngineDep, kept: KeptDep,
                      min_similarity: Annotated[float, Query(
                          ge=0, le=1, description="TF-IDF cosine of titles and "
                          "descriptions.")] = DEFAULT_SIMILARITY) -> Response:
    """Pairs of projects in the same country and SDG target, overlapping in time, with
    similar texts; most similar first."""
    if min_similarity < DEFAULT_SIMILARITY:  # more pairs than are kept: computed for this
        return table_response(overlaps(engine, min_similarity=min_similarity))
    found = projects_frame(engine, overlaps, kept)  # the pages' too
    return table_response(found.filter(pl.col("similarity") >= min_similarity))


@router.get("/projects/overlaps/review", responses=m.page_of(m.Row),
            summary="Overlaps worth a look")
def projects_overlaps_review(engine: EngineDep, kept: KeptDep, emb: EmbedderDep) -> Response:
    """Pairs of projects of different organisations in the same country and SDG target at
    the same time whose texts are alike (multilingual sentence embeddings, or shared words),
    most similar first; ``kind`` "versions" for one grant published by two organisations."""
    return table_response(overlaps_to_review(engine, emb, kept)[0])


@router.get("/projects/network", responses=m.page_of(m.Row), summary="Partner network")
def projects_network(engine: EngineDep, kept: KeptDep) -> Response:
    """Who co-funds, co-implements or funds whom (USD disbursements); UN joint work."""
    return table_response(projects_frame(engine, partner_network, kept,
                                         on=("projects", "organisations")))


YearQ = Annotated[int | None, Query(ge=1990, le=2100, description="First or last year.")]
FromQ = Annotated[YearQ, Query(alias="from", description="First year (by transaction date).")]
ToQ = Annotated[YearQ, Query(alias="to", description="Last year.")]



@router.get("/projects/money", responses=m.page_of(m.Row),
            summary="Money per country and year")
def projects_money(engine: EngineDep, kept: KeptDep, start: FromQ = None, end: ToQ = None,
                   country: Annotated[str | None, Query(
                       description="ISO 3166 alpha-2 country, e.g. KZ.", max_length=2)] = None
                   ) -> Response:
    """Commitments, disbursements and expenditure per country and year in US dollars (each
    transaction split over its countries; net of reversals), with the negative transactions
    counted and the amounts without an exchange rate."""
    flows = projects_frame(engine, money_flows, kept)
    return table_response(money_by_year(flows, [country] if country else None,
                                        asked_period(start, end)))


@router.get("/projects/budgets", responses=m.page_of(m.Row), summary="Budgets per country and year")
def projects_budgets(engine: EngineDep, start: FromQ = None, end: ToQ = None) -> Response:
    """The projects' budgets per country and year (the budget period's start) in US
    dollars; a revised budget replaces the original of its period."""
    return table_response(budgets_by_year(engine, None, asked_period(start, end)))


@router.get("/projects/un", responses=m.page_of(m.Row),
            summary="UN entities by country and SDG target")
def projects_un(engine: EngineDep, kept: KeptDep, start: FromQ = None, end: ToQ = None
                ) -> Response:
    """Which UN entities work on which SDG targets in each country (reporting or taking part
    in projects there), with their projects and those projects' money on the target."""
    return table_response(un_entities_by_target(
        engine, projects_frame(engine, flat_export, kept), None, asked_period(start, end)))


@router.get("/projects/imports", responses=m.page_of(m.Row), summary="IATI imports")
def projects_imports(engine: EngineDep) -> Response:
    """Every IATI import, newest first, with its counts and the optional parts it left out."""
    return table_response(list_imports(engine))


@router.get("/projects/imports/{import_id}", responses=m.page_of(m.Row),
            summary="The parts one IATI import left out")
def projects_import(engine: EngineDep,
                    import_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    """The optional parts an import left out of the publishers' files (schema errors), one by
    one: publisher, activity, file, line, where in the activity, the rule broken."""
    return table_response(import_detail(engine, import_id)["parts"])


@router.get("/projects/{identifier:key}/history", responses=m.page_of(m.Change),
            summary="A project's history")
def project_changes(engine: EngineDep, identifier: str) -> Response:
    """What changed in a project, import by import or edit by edit, oldest first."""
    return table_response(project_history(engine, identifier))


@router.get("/projects/{identifier:key}", responses={200: {"model": m.ProjectDetail}},
            summary="One project")
def show_project(engine: EngineDep, identifier: str) -> Response:
    """One project: its row, its countries, regions, sectors, SDG tags, participating
    organisations, transactions, budgets and documents, and its history."""
    detail = project_detail(engine, identifier)
    if detail is None:
        raise NotFound(f"No project {identifier!r}. GET /api/v1/projects lists them.")
    project = detail["project"]
    project["source_file"] = public_name(project["source_file"])  # not the server's folders
    return json_response({"ok": True, **detail,
                          "history": rows(project_history(engine, identifier))})


# ---- writes -----------------------------------------------------------------------------

@writes.post("/projects", status_code=201, responses=m.CREATED, summary="Create a project")
def add_project(engine: EngineDep, codelists: CodelistsDep, actor: Writer,
                body: Annotated[m.ProjectCreate, Body()]) -> Response:
    """Create a project by hand (not from an IATI file); the reporting and participating
    organisations must be registered. A partner editor creates its own organisation's."""
    permit(engine, actor, "create", "project", org_by_ref(engine, body.reporting_org_ref),
           body.identifier)
    values = body.model_dump()
    values["participants"] = [(p["role"], p["ref"]) for p in values["participants"]]
    with WRITER:
        ident = create_project(engine, codelists=codelists, origin=WRITE_ORIGIN,
                               **values)
    return written(ident, 201)


@writes.patch("/projects/{identifier:key}", responses=m.WRITTEN, summary="Change a project")
def change_project(engine: EngineDep, codelists: CodelistsDep, identifier: str,
                   actor: Writer, body: Annotated[m.ProjectUpdate, Body()]) -> Response:
    """Change fields of a project made by hand (``null`` empties one); answers what
    changed as field -> [old, new]. A partner editor changes its own organisation's."""
    permit(engine, actor, "update", "project", project_owner(engine, identifier), identifier)
    changes = body.model_dump(exclude_unset=True)
    with WRITER:
        diff = update_project(engine, identifier, codelists, WRITE_ORIGIN, **changes)
    return written(identifier, changes=diff)


@writes.post("/projects/{identifier:key}/archive", responses=m.WRITTEN,
             summary="Archive a project")
def archive_one_project(engine: EngineDep, identifier: str, actor: Writer) -> Response:
    """Archive a project made by hand (kept with its history)."""
    permit(engine, actor, "archive", "project", project_owner(engine, identifier), identifier)
    with WRITER:
        archived = archive_project(engine, identifier, WRITE_ORIGIN)
    return written(identifier, archived=archived)

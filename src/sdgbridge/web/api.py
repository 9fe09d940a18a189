"""The JSON API (``/api/v1``): one router per capability, each route a call to the library.

Listings answer ``{"ok": true, "total": n, "rows": [...]}``; errors have the shape made in
:mod:`sdgbridge.web.app`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from sdgbridge.assessment.store import results, runs
from sdgbridge.errors import NotFound
from sdgbridge.projects.queries import project_table, three_w
from sdgbridge.query.observations import ObservationQuery, query_observations, release_table
from sdgbridge.reference.catalog import area_table, group_table, series_table
from sdgbridge.web.deps import EngineDep, SettingsDep
from sdgbridge.web.render import csv_response, table

reference = APIRouter(tags=["reference"])
observations = APIRouter(tags=["observations"])
assessments = APIRouter(tags=["assessments"])
projects = APIRouter(tags=["projects"])

Json = dict[str, Any]
Codes = Annotated[list[str] | None, Query(description="Repeat or separate with commas.")]


def codes(values: list[str] | None) -> list[str]:
    """``["1,2", "3"]`` -> ``["1", "2", "3"]``: repeated and comma-separated values."""
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


# ---- reference ----------------------------------------------------------------------------

@reference.get("/areas")
def list_areas(engine: EngineDep, group: Annotated[str | None, Query(
        description="Only the members of this group (or area).")] = None) -> Json:
    """Areas (M49 code, ISO codes, names, kind)."""
    return table(area_table(engine, group))


@reference.get("/groups")
def list_groups(engine: EngineDep) -> Json:
    """Groups of areas with their sizes."""
    return table(group_table(engine))


@reference.get("/series")
def list_series(engine: EngineDep, goal: Annotated[str | None, Query(
        description="Only series of this goal.")] = None) -> Json:
    """Series in the store with their indicators and counts of current observations."""
    return table(series_table(engine, goal))


# ---- observations -------------------------------------------------------------------------

@observations.get("/observations", response_model=None)
def list_observations(
        engine: EngineDep, settings: SettingsDep, goal: Codes = None, target: Codes = None,
        indicator: Codes = None, series: Codes = None, publisher: Codes = None,
        areas: Annotated[str | None, Query(description="M49, ISO3 or group codes, comma-"
                                           "separated (default: the default group).")] = None,
        year_from: Annotated[int | None, Query(alias="from", ge=1900, le=2100)] = None,
        year_to: Annotated[int | None, Query(alias="to", ge=1900, le=2100)] = None,
        latest: Annotated[bool, Query(description="Latest period per area.")] = False,
        as_of: Annotated[int | None, Query(description="State as of this release.")] = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
        offset: Annotated[int, Query(ge=0)] = 0,
        format: Annotated[Literal["json", "csv"], Query()] = "json") -> Json | Response:
    """Observations, one row per observation with every dimension; paged by limit/offset."""
    q = ObservationQuery(goals=codes(goal), targets=codes(target), indicators=codes(indicator),
                         series=codes(series), publishers=codes(publisher),
                         areas=codes([areas or settings.default_group]), year_from=year_from,
                         year_to=year_to, latest=latest, as_of=as_of)
    df = query_observations(engine, q)
    page = df.slice(offset, limit)
    return csv_response(page, df.height) if format == "csv" else table(page, df.height)


@observations.get("/releases")
def list_releases(engine: EngineDep) -> Json:
    """Releases (loads) with their counts, newest first."""
    return table(release_table(engine))


# ---- assessments --------------------------------------------------------------------------

@assessments.get("/assessments")
def list_runs(engine: EngineDep) -> Json:
    """Stored assessment runs, newest first."""
    return table(runs(engine))


@assessments.get("/assessments/{run_id}")
def run_results(engine: EngineDep, run_id: int) -> Json:
    """The stored results of one run: status per series and area."""
    if run_id not in runs(engine)["id"].to_list():
        raise NotFound(f"No assessment run {run_id}. GET /api/v1/assessments lists them.")
    return table(results(engine, run_id))


# ---- projects -----------------------------------------------------------------------------

@projects.get("/projects")
def list_projects(engine: EngineDep, country: Annotated[str | None, Query(
        description="ISO 3166 alpha-2 recipient country, e.g. KZ.")] = None) -> Json:
    """IATI projects in the store."""
    return table(project_table(engine, country))


@projects.get("/projects/3w")
def projects_3w(engine: EngineDep) -> Json:
    """Who does what where: organisation × country × DAC sector × year."""
    return table(three_w(engine))


ROUTERS = (reference, observations, assessments, projects)

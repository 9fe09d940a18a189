"""The JSON API (``/api/v1``): one router per capability, each route a call to the library.

Listings answer ``{"ok": true, "total": n, "rows": [...]}`` (:class:`.api_models.Page`);
errors have the shape made in :mod:`sdgbridge.web.app` (:class:`.api_models.ErrorBody`).
The observations and the summary are ``async`` routes: their few small indexed queries
(the areas, the store's stamp, a few series) run on the event loop, and whatever builds a
frame runs in the thread pool. This module has the reference data, observations, releases
and the dashboard summary;
:mod:`.api_progress` the assessments and data gaps, :mod:`.api_projects` projects,
organisations and coordination, :mod:`.api_write` the token-protected writes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from sdgbridge import summary as summ
from sdgbridge.query.observations import ObservationQuery, query_observations, release_table
from sdgbridge.query.series_area import series_area_rows
from sdgbridge.reference.catalog import area_table, group_table, indicator_table, series_table
from sdgbridge.reference.geography import resolve_areas
from sdgbridge.web import api_models as m
from sdgbridge.web.api_knowledge import knowledge
from sdgbridge.web.api_progress import progress
from sdgbridge.web.api_projects import projects
from sdgbridge.web.api_reference import Lang, framework_titles
from sdgbridge.web.api_write import writes
from sdgbridge.web.deps import (
    CLEAN,
    Areas,
    CacheDep,
    Codes,
    EngineDep,
    SettingsDep,
    area_codes,
    codes,
    request_key,
    store_stamp,
)
from sdgbridge.web.render import csv_response, json_response, table_response

reference = APIRouter(tags=["reference"], dependencies=[CLEAN], responses=m.READ_ERRORS)
observations = APIRouter(tags=["observations"], dependencies=[CLEAN],
                         responses=m.READ_ERRORS)

Goal = Annotated[str | None, Query(description="Only this goal (1-17).",
                                   pattern="^[0-9]{1,2}$")]


def _page(model: type) -> dict[int | str, dict[str, object]]:
    return {200: {"model": m.Page[model]}}  # type: ignore[valid-type]


# ---- reference ----------------------------------------------------------------------------

@reference.get("/areas", responses=_page(m.Area), summary="Areas")
def list_areas(engine: EngineDep, group: Annotated[str | None, Query(
        description="Only the members of this group (or area).")] = None) -> Response:
    """Areas: M49 code, ISO 3166 alpha-3 and alpha-2, names (en, ru), kind, parent."""
    return table_response(area_table(engine, group))


@reference.get("/groups", responses=_page(m.Group), summary="Groups of areas")
def list_groups(engine: EngineDep) -> Response:
    """Groups of areas (M49 and SDG regions, LDC/LLDC/SIDS, the Centre's region, your own)
    with their sizes."""
    return table_response(group_table(engine))


@reference.get("/series", responses=_page(m.Series), summary="Series")
def list_series(engine: EngineDep, goal: Goal = None) -> Response:
    """Series in the store with their indicators and counts of current observations."""
    return table_response(series_table(engine, goal))


@reference.get("/goals", responses=_page(m.FrameworkItem), summary="SDG goals")
def list_goals(engine: EngineDep, lang: Lang = "en") -> Response:
    """The 17 goals with their official titles in ``lang``."""
    return table_response(framework_titles(engine, "goal", None, lang))


@reference.get("/targets", responses=_page(m.FrameworkItem), summary="SDG targets")
def list_targets(engine: EngineDep, goal: Goal = None, lang: Lang = "en") -> Response:
    """The 169 targets (or a goal's) with their official titles in ``lang``."""
    return table_response(framework_titles(engine, "target", goal, lang))


@reference.get("/indicators", responses=_page(m.Indicator), summary="SDG indicators")
def list_indicators(engine: EngineDep, goal: Goal = None, lang: Lang = "en") -> Response:
    """The indicators with their targets and official titles in ``lang``; an indicator
    listed under several targets points at its first code in ``same_as``."""
    framework_titles(engine, "goal", goal, lang)  # checks the goal and the language
    return table_response(indicator_table(engine, goal, lang))


# ---- observations -------------------------------------------------------------------------

MAX_ID = 2**31 - 1  # the largest integer the stores' id columns hold


@observations.get("/observations", response_model=None, summary="Observations",
                  responses={200: {"model": m.Page[m.Observation], "content": {
                      "text/csv": {"schema": {"type": "string"}}}}})
async def list_observations(
        request: Request, engine: EngineDep, settings: SettingsDep, cache: CacheDep,
        goal: Codes = None, target: Codes = None, indicator: Codes = None,
        series: Codes = None, publisher: Codes = None,
        areas: Areas = None,
        year_from: Annotated[int | None, Query(alias="from", ge=1900, le=2100)] = None,
        year_to: Annotated[int | None, Query(alias="to", ge=1900, le=2100)] = None,
        latest: Annotated[bool, Query(description="Latest period per area.")] = False,
        as_of: Annotated[int | None, Query(description="State as of this release.", ge=1,
                                           le=MAX_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
        format: Annotated[Literal["json", "csv"], Query()] = "json") -> Response:
    """Observations, one row per observation with every dimension as a member, paged by
    ``limit``/``offset`` (``total`` counts them all); ``format=csv`` for a CSV file
    (the total in ``X-Total-Count``)."""
    q = ObservationQuery(goals=codes(goal), targets=codes(target), indicators=codes(indicator),
                         series=codes(series), publishers=codes(publisher),
                         areas=resolve_areas(engine, area_codes(areas, settings)),
                         year_from=year_from, year_to=year_to, latest=latest, as_of=as_of)
    if format == "json" and few_series(q):
        # Small, indexed and quick: answered on the event loop (a trip through the thread
        # pool, or keeping the answer, would cost more than the query).
        return _series_area(engine, q, limit, offset)
    key = (*request_key(request), tuple(q.areas), store_stamp(engine))

    def answer() -> Response:
        df = query_observations(engine, q)
        page = df.slice(offset, limit)
        return csv_response(page, df.height) if format == "csv" else \
            table_response(page, df.height)

    return await cache.answer_in_thread(key, answer)


# Answered without a frame: up to 2 series in up to 12 areas (at most a few thousand rows in
# the UN database, a few milliseconds on the event loop).
LEAN_SERIES, LEAN_AREAS = 2, 12


def few_series(q: ObservationQuery) -> bool:
    """``q`` asks for a few series in a few areas, current values, by years only."""
    return 0 < len(q.series) <= LEAN_SERIES and 0 < len(q.areas) <= LEAN_AREAS and not (
        q.goals or q.targets or q.indicators or q.publishers or q.latest or q.as_of)


def _series_area(engine: Engine, q: ObservationQuery, limit: int, offset: int) -> Response:
    with engine.connect() as conn:
        found = series_area_rows(conn, q.series, q.areas, q.year_from, q.year_to)
    return json_response({"ok": True, "total": len(found),
                          "rows": found[offset:offset + limit]})


@observations.get("/releases", responses=_page(m.Release), summary="Releases")
def list_releases(engine: EngineDep) -> Response:
    """Releases (every ingest) with their counts, newest first."""
    return table_response(release_table(engine))


@observations.get("/summary", responses={200: {"model": m.Summary}},
                  summary="Dashboard summary of a group")
async def group_summary(
        request: Request, engine: EngineDep, settings: SettingsDep, cache: CacheDep,
        group: Annotated[str | None, Query(
            description="Group or area (default: default_group).")] = None) -> Response:
    """What the store holds for a group (by default the Centre's region): counts, years,
    per publisher, and the latest headline values per country. Kept in memory until the
    next release or a change of the group."""
    group = group or settings.default_group
    key = (*request_key(request), group, tuple(resolve_areas(engine, [group])),
           store_stamp(engine))
    return await cache.answer_in_thread(key, lambda: _summary(engine, group))


def _summary(engine: Engine, group: str) -> Response:
    areas = resolve_areas(engine, [group])
    s = summ.store_summary(engine, areas)
    return json_response({
        "ok": True, "group": group, "areas": areas, "observations": s.observations,
        "series": s.series, "area_count": s.areas, "releases": s.releases,
        "first_year": s.first_year, "last_year": s.last_year,
        "publishers": summ.publisher_table(engine, areas).to_dicts(),
        "headline": summ.headline_latest(engine, group).to_dicts()})


ROUTERS = (reference, observations, progress, projects, writes, knowledge)

"""Data: observations, releases and the dashboard summary of a group.

Listings answer ``{"ok": true, "total": n, "rows": [...]}`` (:class:`.models.Page`);
errors have the shape made in :mod:`sdgbridge.web.app` (:class:`.models.ErrorBody`).
The observations and the summary are ``async`` routes: their few small indexed queries
(the areas, the store's stamp, a few series) run on the event loop, and whatever builds a
frame runs in the thread pool; their encoded answers are kept (:mod:`sdgbridge.web.answers`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

import sdgbridge.web.api.models as m
from sdgbridge import summary as summ
from sdgbridge.files import public_names
from sdgbridge.kept import releases_stamp
from sdgbridge.query.observations import ObservationQuery, query_observations, release_table
from sdgbridge.query.series_area import is_lean, series_area_rows
from sdgbridge.reference.geography import resolve_areas
from sdgbridge.web.deps import (
    CLEAN,
    MAX_ID,
    Areas,
    CacheDep,
    Codes,
    EngineDep,
    SettingsDep,
    area_codes,
    codes,
    request_key,
)
from sdgbridge.web.render import csv_response, json_response, table_response

router = APIRouter(tags=["observations"], dependencies=[CLEAN], responses=m.READ_ERRORS)


@router.get("/observations", response_model=None, summary="Observations",
            responses={200: {"model": m.Page[m.Observation], "content": {
                "text/csv": {"schema": {"type": "string"}}}}, **m.THROTTLED})
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
    (the total in ``X-Total-Count``). Pages over 1,000 rows and CSV exports are expensive:
    without the token a client may ask a few a minute (429 with ``Retry-After``), and a few
    are answered at once per server process (503 with ``Retry-After``)."""
    q = ObservationQuery(goals=codes(goal), targets=codes(target), indicators=codes(indicator),
                         series=codes(series), publishers=codes(publisher),
                         areas=resolve_areas(engine, area_codes(areas, settings)),
                         year_from=year_from, year_to=year_to, latest=latest, as_of=as_of)
    if format == "json" and is_lean(q):
        # Small, indexed and quick: answered on the event loop (a trip through the thread
        # pool, or keeping the answer, would cost more than the query).
        return _series_area(engine, q, limit, offset)
    key = (*request_key(request), tuple(q.areas), releases_stamp(engine))

    def answer() -> Response:
        df = query_observations(engine, q)
        page = df.slice(offset, limit)
        return csv_response(page, df.height) if format == "csv" else \
            table_response(page, df.height)

    return await cache.answer_in_thread(key, answer)


def _series_area(engine: Engine, q: ObservationQuery, limit: int, offset: int) -> Response:
    with engine.connect() as conn:
        found = series_area_rows(conn, q.series, q.areas, q.year_from, q.year_to)
    return json_response({"ok": True, "total": len(found),
                          "rows": found[offset:offset + limit]})


@router.get("/releases", responses=m.page_of(m.Release), summary="Releases")
def list_releases(engine: EngineDep) -> Response:
    """Releases (every ingest) with their counts, newest first."""
    return table_response(release_table(engine).with_columns(public_names("location")))


@router.get("/summary", responses={200: {"model": m.Summary}},
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
           releases_stamp(engine))
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


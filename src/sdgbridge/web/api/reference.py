"""Reference data: areas, groups of areas, series, and the SDG framework (goals, targets,
indicators) with its official titles in one language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

import sdgbridge.web.api.models as m
from sdgbridge.reference.catalog import (
    area_table,
    framework_table,
    group_table,
    indicator_table,
    series_table,
)
from sdgbridge.web.deps import CLEAN, EngineDep
from sdgbridge.web.render import table_response

router = APIRouter(tags=["reference"], dependencies=[CLEAN], responses=m.READ_ERRORS)
Goal = Annotated[str | None, Query(description="Only this goal (1-17).",
                                   pattern="^[0-9]{1,2}$")]
Lang = Annotated[str, Query(description="Language of the titles: en, ru, de, kk, ky, tg, tk, "
                            "uk (those loaded with the framework).", pattern="^[a-z]{2}$")]


@router.get("/areas", responses=m.page_of(m.Area), summary="Areas")
def list_areas(engine: EngineDep, group: Annotated[str | None, Query(
        description="Only the members of this group (or area).")] = None) -> Response:
    """Areas: M49 code, ISO 3166 alpha-3 and alpha-2, names (en, ru), kind, parent."""
    return table_response(area_table(engine, group))


@router.get("/groups", responses=m.page_of(m.Group), summary="Groups of areas")
def list_groups(engine: EngineDep) -> Response:
    """Groups of areas (M49 and SDG regions, LDC/LLDC/SIDS, the Centre's region, your own)
    with their sizes."""
    return table_response(group_table(engine))


@router.get("/series", responses=m.page_of(m.Series), summary="Series")
def list_series(engine: EngineDep, goal: Goal = None) -> Response:
    """Series in the store with their indicators and counts of current observations."""
    return table_response(series_table(engine, goal))


@router.get("/goals", responses=m.page_of(m.FrameworkItem), summary="SDG goals")
def list_goals(engine: EngineDep, lang: Lang = "en") -> Response:
    """The 17 goals with their official titles in ``lang``."""
    return table_response(framework_table(engine, "goal", None, lang))


@router.get("/targets", responses=m.page_of(m.FrameworkItem), summary="SDG targets")
def list_targets(engine: EngineDep, goal: Goal = None, lang: Lang = "en") -> Response:
    """The 169 targets (or a goal's) with their official titles in ``lang``."""
    return table_response(framework_table(engine, "target", goal, lang))


@router.get("/indicators", responses=m.page_of(m.Indicator), summary="SDG indicators")
def list_indicators(engine: EngineDep, goal: Goal = None, lang: Lang = "en") -> Response:
    """The indicators with their targets and official titles in ``lang``; an indicator
    listed under several targets points at its first code in ``same_as``."""
    framework_table(engine, "goal", goal, lang)  # checks the goal and the language
    return table_response(indicator_table(engine, goal, lang))

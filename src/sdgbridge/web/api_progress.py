"""Progress: stored assessment runs and their results (per method, level and area), and the
data gaps. Runs are made with ``sdgbridge assess``; the API reads them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from sqlalchemy import Engine

from sdgbridge.assessment.gaps import data_gaps, gap_summary
from sdgbridge.assessment.inputs import assessment_input, load_targets
from sdgbridge.assessment.run import roll_up, series_indicators
from sdgbridge.assessment.store import results, runs
from sdgbridge.errors import NotFound
from sdgbridge.reference.geography import resolve_areas
from sdgbridge.web import api_models as m
from sdgbridge.web.deps import (
    CLEAN,
    Areas,
    EngineDep,
    MethodName,
    SettingsDep,
    area_codes,
    codes,
)
from sdgbridge.web.render import table_response

progress = APIRouter(tags=["progress"], dependencies=[CLEAN], responses=m.READ_ERRORS)
# The series level's rows | the other levels'.
RESULTS: dict[int | str, dict[str, Any]] = {200: {"model": m.Page[m.Result | m.RolledUp]}}

Method = MethodName
Level = Annotated[Literal["series", "indicator", "target", "goal"], Query(
    description="series: one row per series × area; otherwise status counts per code × "
    "area with the coverage (series behind each row).")]
AreaFilter = Annotated[str | None, Query(description="Only these areas (M49, ISO3 or group "
                                         "codes, comma-separated).")]


@progress.get("/assessments", responses=m.page_of(m.Run),
              summary="Assessment runs")
def list_runs(engine: EngineDep, method: Annotated[Method | None, Query(
        description="Only the runs of this method.")] = None) -> Response:
    """Stored assessment runs (method, parameter version, data releases, digest), newest
    first."""
    df = runs(engine)
    return table_response(df.filter(pl.col("method") == method) if method else df)


@progress.get("/assessments/latest", responses=RESULTS,
              summary="Results of a method's latest run")
def latest_results(engine: EngineDep, method: Annotated[Method, Query()] = "unsd",
                   level: Level = "series", areas: AreaFilter = None) -> Response:
    """The results of the newest stored run of ``method``, at ``level``, for ``areas``."""
    return table_response(_results(engine, None, method, level, areas))


@progress.get("/assessments/{run_id}", responses=RESULTS,
              summary="Results of one run")
def run_results(engine: EngineDep, run_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                level: Level = "series", areas: AreaFilter = None) -> Response:
    """The stored results of one run at ``level`` (status per series and area, or counts
    per indicator, target or goal), for ``areas``."""
    if run_id not in runs(engine)["id"].to_list():
        raise NotFound(f"No assessment run {run_id}. GET /api/v1/assessments lists them.")
    return table_response(_results(engine, run_id, None, level, areas))


def _results(engine: Engine, run_id: int | None, method: str | None, level: str,
             areas: str | None) -> pl.DataFrame:
    df = results(engine, run_id, method)
    wanted = codes(areas)
    if wanted:  # members of the groups named, and the groups themselves (group-level runs)
        df = df.filter(pl.col("area").is_in(resolve_areas(engine, wanted) + wanted))
    return roll_up(df, series_indicators(engine), level)


@progress.get("/gaps", responses={200: {"model": m.Page[m.Gap]}}, summary="Data gaps")
def list_gaps(engine: EngineDep, settings: SettingsDep, areas: Areas = None,
              level: Level = "goal") -> Response:
    """Where data are missing or old, for the series of the target table: per area and
    series (``level=series``), or the shares with data and with recent data per indicator,
    target or goal."""
    area_list = resolve_areas(engine, area_codes(areas, settings))
    wanted = load_targets()["series"].to_list()
    found = data_gaps(assessment_input(engine, area_list, wanted).drop("release"), wanted,
                      area_list)
    if level == "series":
        return table_response(found)
    return table_response(gap_summary(found, series_indicators(engine), level))

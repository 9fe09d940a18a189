"""Progress: stored assessment runs and their results (per method, level and area), and the
data gaps. Runs are made with ``sdgbridge assess``; the API reads them. Which run is a
method's current one is decided by :mod:`sdgbridge.assessment.current`, for the pages too."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

import sdgbridge.web.api.models as m
from sdgbridge.assessment.current import current_run_id, run_results, target_gaps
from sdgbridge.assessment.gaps import gap_summary
from sdgbridge.assessment.run import series_indicators
from sdgbridge.assessment.store import runs
from sdgbridge.errors import NotFound
from sdgbridge.reference.geography import resolve_areas
from sdgbridge.web.deps import (
    CLEAN,
    MAX_ID,
    Areas,
    EngineDep,
    KeptDep,
    MethodName,
    SettingsDep,
    area_codes,
    codes,
)
from sdgbridge.web.render import table_response

router = APIRouter(tags=["progress"], dependencies=[CLEAN], responses=m.READ_ERRORS)
# The series level's rows | the other levels'.
RESULTS: dict[int | str, dict[str, Any]] = {200: {"model": m.Page[m.Result | m.RolledUp]}}

Method = MethodName
Level = Annotated[Literal["series", "indicator", "target", "goal"], Query(
    description="series: one row per series × area; otherwise status counts per code × "
    "area with the coverage (series behind each row).")]
AreaFilter = Annotated[str | None, Query(description="Only these areas (M49, ISO3 or group "
                                         "codes, comma-separated).")]


@router.get("/assessments", responses=m.page_of(m.Run), summary="Assessment runs")
def list_runs(engine: EngineDep, method: Annotated[Method | None, Query(
        description="Only the runs of this method.")] = None) -> Response:
    """Stored assessment runs (method, parameter version, data releases, digest), newest
    first."""
    df = runs(engine)
    return table_response(df.filter(pl.col("method") == method) if method else df)


@router.get("/assessments/latest", responses=RESULTS,
            summary="Results of a method's current run")
def latest_results(engine: EngineDep, kept: KeptDep,
                   method: Annotated[Method, Query()] = "unsd", level: Level = "series",
                   areas: AreaFilter = None) -> Response:
    """The results of the current stored run of ``method``, at ``level``, for ``areas``:
    the newest run made after the latest data release, not as of an earlier release, with
    the method's parameters, covering ``areas`` (the pages show the same run)."""
    run_id = current_run_id(engine, method, codes(areas))
    if areas:  # a group may be redefined between two releases: resolved afresh
        return table_response(run_results(engine, run_id, level, codes(areas)))
    # A stored run never changes: its results at a level are kept until the runs or the
    # releases (the series' indicators) change.
    return table_response(kept.get(engine, "run results", run_results, run_id, level,
                                   on=("runs", "releases")))


@router.get("/assessments/{run_id}", responses=RESULTS, summary="Results of one run")
def one_run(engine: EngineDep, run_id: Annotated[int, Path(ge=1, le=MAX_ID)],
            level: Level = "series", areas: AreaFilter = None) -> Response:
    """The stored results of one run at ``level`` (status per series and area, or counts
    per indicator, target or goal), for ``areas``."""
    if run_id not in runs(engine)["id"].to_list():
        raise NotFound(f"No assessment run {run_id}. GET /api/v1/assessments lists them.")
    return table_response(run_results(engine, run_id, level, codes(areas)))


@router.get("/gaps", responses={200: {"model": m.Page[m.Gap]}}, summary="Data gaps")
def list_gaps(engine: EngineDep, settings: SettingsDep, areas: Areas = None,
              level: Level = "goal") -> Response:
    """Where data are missing or old, for the series of the target table: per area and
    series (``level=series``), or the shares with data and with recent data per indicator,
    target or goal."""
    found = target_gaps(engine, resolve_areas(engine, area_codes(areas, settings)))
    if level == "series":
        return table_response(found)
    return table_response(gap_summary(found, series_indicators(engine), level))

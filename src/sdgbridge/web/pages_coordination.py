"""The coordination page: who does what where (3W), money against progress per SDG target,
and projects that may overlap."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sdgbridge.projects.coordination import money_by_target, money_vs_progress
from sdgbridge.projects.overlaps import overlaps
from sdgbridge.projects.queries import three_w
from sdgbridge.projects.sdg import flat_export
from sdgbridge.reference.catalog import area_table
from sdgbridge.web.deps import EngineDep, FramesDep, KeptFrames, SettingsDep
from sdgbridge.web.pages_base import LangDep, areas, render, titles
from sdgbridge.web.pages_home import MethodQ, page_cache
from sdgbridge.web.pages_progress import Progress, progress

router = APIRouter()
TOP_ORGS = 20
TOP_OVERLAPS = 25


def matrix(engine: Engine, frames: KeptFrames, countries: list[dict[str, Any]]
           ) -> dict[str, Any]:
    """Organisations × the region's countries: USD disbursed and projects, largest first."""
    iso2 = [c["iso2"] for c in countries if c["iso2"]]
    df = frames.get(engine, "three_w", three_w).filter(
        pl.col("country").is_in(iso2) & (pl.col("currency") == "USD"))
    cells = df.group_by("reporting_org_name", "country").agg(
        pl.col("disbursement").sum(), pl.col("projects").sum())
    totals = (cells.group_by("reporting_org_name").agg(pl.col("disbursement").sum())
              .sort("disbursement", "reporting_org_name", descending=[True, False])
              .head(TOP_ORGS))
    lookup = {(r["reporting_org_name"], r["country"]): r for r in cells.to_dicts()}
    return {"orgs": totals.to_dicts(), "cells": lookup, "iso2": iso2}


def money_rows(engine: Engine, frames: KeptFrames, prog: Progress, lang: str,
               only_flagged: bool) -> list[dict[str, Any]]:
    iso = dict(area_table(engine).drop_nulls("iso2").select("iso2", "code").iter_rows())
    flat = frames.get(engine, "flat_export", flat_export)
    df = money_vs_progress(prog.rolled("target"), money_by_target(flat, iso))
    if only_flagged:
        df = df.filter(pl.col("flag").is_not_null())
    names = titles(engine, "target", lang)
    return [{**r, "title": names.get(r["target"], "")} for r in df.to_dicts()]


def overlap_rows(engine: Engine, frames: KeptFrames) -> list[dict[str, Any]]:
    """The most similar pairs of projects in the same country and target at the same time."""
    found = frames.get(engine, "overlaps", overlaps)
    return found.sort("similarity", descending=True).head(TOP_OVERLAPS).to_dicts()


@router.get("/coordination", response_class=HTMLResponse)
def coordination(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                 frames: FramesDep,
                 method: MethodQ = "unsd", all: Annotated[bool, Query(
                     description="Every assessed target, not only the flagged ones.")] = False
                 ) -> HTMLResponse:
    countries = areas(engine, settings.default_group, lang)
    prog = progress(engine, page_cache(request), method, settings.default_group)
    return render(request, "coordination.html", method=prog.method, progress=prog,
                  countries=countries, names={c["code"]: c["name"] for c in countries},
                  by_iso2={c["iso2"]: c for c in countries},
                  matrix=matrix(engine, frames, countries),
                  money=money_rows(engine, frames, prog, lang, not all), show_all=all,
                  overlaps=overlap_rows(engine, frames))

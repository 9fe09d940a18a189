"""The coordination page: who does what where (3W), money against progress per SDG target,
and projects that may overlap."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sdgbridge.kept import Keeper
from sdgbridge.projects.coordination import (
    funders_by_country,
    money_against_progress,
    projects_frame,
)
from sdgbridge.projects.overlaps import overlaps
from sdgbridge.projects.queries import three_w
from sdgbridge.reference.catalog import group_areas
from sdgbridge.web.deps import EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.base import LangDep, MethodQ, render
from sdgbridge.web.pages.progress import progress, titled_targets

router = APIRouter()
TOP_ORGS = 20
TOP_OVERLAPS = 25


@router.get("/coordination", response_class=HTMLResponse)
def coordination(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                 kept: KeptDep, method: MethodQ = "unsd", all: Annotated[bool, Query(
                     description="Every assessed target, not only the flagged ones.")] = False
                 ) -> HTMLResponse:
    group = settings.default_group
    countries = group_areas(engine, group, lang)
    prog = progress(engine, kept, method, group)
    money = money_against_progress(engine, method, [group], only_flagged=not all, kept=kept)
    return render(request, "coordination.html", method=prog.method, progress=prog,
                  countries=countries, names={c["code"]: c["name"] for c in countries},
                  by_iso2={c["iso2"]: c for c in countries},
                  matrix=_matrix(engine, kept, countries),
                  money=titled_targets(engine, money, lang), show_all=all,
                  overlaps=_overlap_rows(engine, kept))


def _matrix(engine: Engine, kept: Keeper, countries: list[dict[str, Any]]) -> dict[str, Any]:
    """Organisations × the region's countries: USD disbursed and projects, largest first."""
    iso2 = [c["iso2"] for c in countries if c["iso2"]]
    totals, cells = funders_by_country(projects_frame(engine, three_w, kept), iso2, TOP_ORGS)
    lookup = {(r["reporting_org_name"], r["country"]): r for r in cells.to_dicts()}
    return {"orgs": totals.to_dicts(), "cells": lookup, "iso2": iso2}


def _overlap_rows(engine: Engine, kept: Keeper) -> list[dict[str, Any]]:
    """The most similar pairs of projects in the same country and target at the same time."""
    found = projects_frame(engine, overlaps, kept)
    return found.sort("similarity", descending=True).head(TOP_OVERLAPS).to_dicts()

"""The coordination page: which publishers and years the projects data cover, who does what
where (3W) over a period, money per country and year (with reversals explained), money
against progress per SDG target; and links to the overlaps and the UN entities' pages."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sdgbridge.kept import Keeper
from sdgbridge.projects.coordination import (
    LITTLE,
    MUCH,
    MUCH_MINIMUM,
    funders_by_country,
    money_against_progress,
    projects_frame,
)
from sdgbridge.projects.imports import coverage
from sdgbridge.projects.periods import (
    Period,
    money_by_year,
    money_flows,
    negative_transactions,
    period_of,
)
from sdgbridge.projects.queries import three_w
from sdgbridge.reference.catalog import group_areas
from sdgbridge.web.deps import EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.base import LangDep, MethodQ, render
from sdgbridge.web.pages.progress import progress, titled_targets

router = APIRouter()
TOP_ORGS = 20
YearQ = Annotated[int | None, Query(ge=1990, le=2100, description="First or last year.")]


@router.get("/coordination", response_class=HTMLResponse)
def coordination(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                 kept: KeptDep, method: MethodQ = "unsd", all: Annotated[bool, Query(
                     description="Every assessed target, not only the flagged ones.")] = False,
                 start: Annotated[YearQ, Query(alias="from")] = None,
                 end: Annotated[YearQ, Query(alias="to")] = None) -> HTMLResponse:
    group = settings.default_group
    countries = group_areas(engine, group, lang)
    iso2 = [c["iso2"] for c in countries if c["iso2"]]
    flows = projects_frame(engine, money_flows, kept)
    years = flows["year"].unique().to_list() if flows.height else []
    period = period_of(start, end, years)
    prog = progress(engine, kept, method, group)
    money = money_against_progress(engine, method, [group], only_flagged=not all, kept=kept,
                                   period=period)
    return render(request, "coordination.html", method=prog.method, progress=prog,
                  countries=countries, names={c["code"]: c["name"] for c in countries},
                  by_iso2={c["iso2"]: c for c in countries}, period=period,
                  years=sorted(y for y in years if y is not None),
                  coverage=kept.get(engine, "projects coverage", coverage, on=("projects",)),
                  matrix=_matrix(engine, kept, iso2, period),
                  by_year=_by_year(flows, iso2, period),
                  negative=negative_transactions(flows, period, iso2).to_dicts(),
                  money=titled_targets(engine, money, lang), show_all=all,
                  rule={"little": LITTLE, "much": MUCH, "minimum": MUCH_MINIMUM})


def _matrix(engine: Engine, kept: Keeper, iso2: list[str], period: Period) -> dict[str, Any]:
    """Organisations × the region's countries: USD disbursed and projects over the period,
    largest first."""
    w = projects_frame(engine, three_w, kept).filter(period.years())
    totals, cells = funders_by_country(w, iso2, TOP_ORGS)
    refs = dict(w.select("reporting_org_name", "reporting_org_ref").unique(
        "reporting_org_name", keep="first").iter_rows())
    lookup = {(r["reporting_org_name"], r["country"]): r for r in cells.to_dicts()}
    return {"orgs": [{**o, "ref": refs.get(o["reporting_org_name"])} for o in totals.to_dicts()],
            "cells": lookup, "iso2": iso2,
            "publishers": w.filter(pl.col("country").is_in(iso2))["reporting_org_ref"]
            .n_unique()}


def _by_year(flows: pl.DataFrame, iso2: list[str], period: Period) -> dict[str, Any]:
    """Per country and year of the period: disbursements (USD) and the year's totals."""
    table = money_by_year(flows, iso2, period)
    cells = {(r["country"], r["year"]): r for r in table.to_dicts()}
    totals = table.group_by("year").agg(pl.col("commitment_usd", "disbursement_usd",
                                               "expenditure_usd").sum()).sort("year")
    return {"years": list(range(period.start, period.end + 1)), "cells": cells,
            "totals": {r["year"]: r for r in totals.to_dicts()},
            "unconverted": int(table["unconverted"].sum()) if table.height else 0}

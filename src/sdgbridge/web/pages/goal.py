"""A goal cell explained: the series behind one goal × country figure of a method, each with
its values and years, target or bounds, 2030 projection, whether it counts in the goal figure
(and why), and the rule of the method that decided its status."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sdgbridge.assessment.explain import decided_by, rule_numbers
from sdgbridge.assessment.figures import goal_profile
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.model import code_key
from sdgbridge.assessment.profiles import load_profile
from sdgbridge.assessment.world import load_world
from sdgbridge.errors import NotFound
from sdgbridge.query.published import sdr_published
from sdgbridge.reference.catalog import area_entry, titles
from sdgbridge.web.deps import EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.base import LangDep, MethodQ, render
from sdgbridge.web.pages.progress import progress

router = APIRouter()


@router.get("/country/{code}/goal/{goal}", response_class=HTMLResponse)
def goal_cell(request: Request, code: str, goal: int, engine: EngineDep,
              settings: SettingsDep, lang: LangDep, kept: KeptDep,
              method: MethodQ = "unsd") -> HTMLResponse:
    if not 1 <= goal <= 17:
        raise NotFound(f"No goal {goal}: the SDGs are numbered 1 to 17.")
    area = area_entry(engine, code, lang)
    prog = progress(engine, kept, method, settings.default_group)
    return render(request, "goal.html", method=prog.method, progress=prog, area=area,
                  goal=goal, goal_title=titles(engine, "goal", lang).get(str(goal), ""),
                  rows=_rows(prog.results, prog.links, area["code"], goal, method,
                             titles(engine, "indicator", lang)),
                  edges=rule_numbers(method, METHODS[method].params()),
                  published=_published(engine, method, area["code"], goal))


def _published(engine: Engine, method: str, area: str, goal: int) -> dict[str, Any] | None:
    """SDSN's published score for this goal and country (SDR), where loaded; SDSN only."""
    if method != "sdsn":
        return None
    df = sdr_published(engine, [area]).filter((pl.col("goal") == goal) & (pl.col("area") == area))
    return df.row(0, named=True) if df.height else None


def _rows(results: pl.DataFrame, links: pl.DataFrame, area: str, goal: int, method: str,
          names: dict[str, str]) -> list[dict[str, Any]]:
    """The series of ``goal`` for ``area``, counted ones first, each with its ``rule``."""
    mine = links.filter(pl.col("indicator").str.split(".").list.first() == str(goal))
    first = mine.sort("indicator").unique("series", keep="first")
    res = results.filter(pl.col("area") == area).join(first, on="series")
    if res.is_empty():
        return []
    res = decided_by(res.drop("indicator"), load_world()).join(first, on="series")
    res = _with_counts(res, method)
    rows = [{**r, "indicator_title": names.get(r["indicator"], "")} for r in res.to_dicts()]
    return sorted(rows, key=lambda r: (not r["counts"], code_key(r["indicator"]), r["series"]))


def _with_counts(res: pl.DataFrame, method: str) -> pl.DataFrame:
    """``counts`` and ``reason`` of each series: SDSN's from its own profile (its results
    say whether a series counts), the others' from the goal profile (a series the profile
    does not name counts)."""
    if method == "sdsn" and "counts" in res.columns:
        reasons = load_profile("sdr-2025").series.select("series", "reason")
        return res.join(reasons, on="series", how="left").with_columns(
            pl.col("counts").fill_null(False),
            pl.col("reason").fill_null("not one of the SDR 2025 profile's series"))
    profile = goal_profile().series.select("series", "counts", "reason")
    return res.join(profile, on="series", how="left").with_columns(
        pl.col("counts").fill_null(True))

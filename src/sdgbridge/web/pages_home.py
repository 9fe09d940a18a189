"""The region's home page and the country pages."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sdgbridge.assessment.gaps import data_gaps, gap_summary
from sdgbridge.assessment.inputs import assessment_input, load_targets
from sdgbridge.assessment.model import code_key
from sdgbridge.assessment.run import series_indicators
from sdgbridge.projects.coordination import money_by_target, money_vs_progress
from sdgbridge.projects.queries import three_w
from sdgbridge.projects.sdg import flat_export, load_mapping
from sdgbridge.query.observations import ObservationQuery, diff_releases, release_table
from sdgbridge.reference.catalog import area_table
from sdgbridge.summary import headline_latest
from sdgbridge.web.deps import EngineDep, FramesDep, KeptFrames, SettingsDep, store_stamp
from sdgbridge.web.pages_base import LangDep, area_lookup, areas, render, titles
from sdgbridge.web.pages_progress import BEHIND, Progress, cells, goal_codes, progress

router = APIRouter()
MethodQ = Annotated[str, Query(description="unsd, escap, sdsn or opensdg.")]
CHANGES_SHOWN = 12


def page_cache(request: Request) -> dict[Any, Any]:
    return request.app.state.page_cache


@router.get("/", response_class=HTMLResponse)
def home(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
         method: MethodQ = "unsd") -> HTMLResponse:
    group = settings.default_group
    prog = progress(engine, page_cache(request), method, group)
    return render(request, "home.html", method=prog.method, progress=prog,
                  countries=areas(engine, group, lang), goals=goal_codes(engine),
                  goal_titles=titles(engine, "goal", lang),
                  heat=cells(prog.rolled("goal"), "goal"),
                  headline=_headline(engine, group, prog, lang),
                  release=_latest_release(engine, group, page_cache(request)),
                  area_names=_area_names(engine, lang))


@router.get("/country/{code}", response_class=HTMLResponse)
def country(request: Request, code: str, engine: EngineDep, settings: SettingsDep,
            lang: LangDep, frames: FramesDep, method: MethodQ = "unsd") -> HTMLResponse:
    area = area_lookup(engine, code, lang)
    prog = progress(engine, page_cache(request), method, settings.default_group)
    targets = _target_rows(engine, prog, area["code"], lang)
    return render(request, "country.html", method=prog.method, progress=prog, area=area,
                  goal_titles=titles(engine, "goal", lang),
                  goals=_goal_rows(prog, area["code"]), targets=targets,
                  off_track=[t for t in targets if t["status"] in BEHIND],
                  trends=_trend_rows(prog, area["code"]),
                  gaps=frames.get(engine, f"gaps {area['code']}",
                                  lambda e: _gap_rows(e, area["code"]), stamp_of=store_stamp),
                  partners=_partner_rows(engine, frames, area["iso2"]),
                  flagged=_flagged(engine, frames, prog, area["code"], lang))


# ---- home ---------------------------------------------------------------------------------

def _headline(engine: Engine, group: str, prog: Progress, lang: str) -> dict[str, Any]:
    df = headline_latest(engine, group)
    names = titles(engine, "indicator", lang)
    first = dict(prog.links.sort("indicator").unique("series", keep="first").iter_rows())
    iso = [c for c in df.columns if c not in ("series", "units", "years")]
    rows = [{**r, "indicator": first.get(r["series"]),
             "title": names.get(first.get(r["series"], ""), "")} for r in df.iter_rows(named=True)]
    return {"iso3": iso, "rows": rows}


def _area_names(engine: Engine, lang: str) -> dict[str, str]:
    df = area_table(engine)
    names = df["name_ru"] if lang == "ru" else df["name_en"]
    return dict(zip(df["code"], names.fill_null(df["name_en"]), strict=True))


def _latest_release(engine: Engine, group: str, cache: dict[Any, Any]) -> dict[str, Any] | None:
    releases = release_table(engine)
    if releases.height == 0:
        return None
    latest = releases.row(0, named=True)
    key = ("changes", group, latest["id"])
    if key not in cache:
        cache[key] = _changes(engine, group, latest["id"], releases)
    return {**latest, **cache[key]}


def _changes(engine: Engine, group: str, latest: int, releases: pl.DataFrame
             ) -> dict[str, Any]:
    earlier = [r for r in releases["id"].to_list() if r < latest]
    if not earlier:
        return {"previous": None, "counts": {}, "changes": []}
    diff = diff_releases(engine, max(earlier), latest, ObservationQuery(areas=[group]))
    counts = dict(diff.group_by("change").len().iter_rows())
    shown = diff.head(CHANGES_SHOWN).rename({f"value_{max(earlier)}": "before",
                                             f"value_{latest}": "after"})
    return {"previous": max(earlier), "counts": counts, "changes": shown.to_dicts()}


# ---- country ------------------------------------------------------------------------------

def _goal_rows(prog: Progress, code: str) -> list[dict[str, Any]]:
    found = cells(prog.rolled("goal", code), "goal")
    return [{"goal": g, **c} for (g, _), c in found.items()]


def _target_rows(engine: Engine, prog: Progress, code: str, lang: str) -> list[dict[str, Any]]:
    names = titles(engine, "target", lang)
    found = cells(prog.rolled("target", code), "target")
    return [{"target": tg, "title": names.get(tg, ""), **c} for (tg, _), c in found.items()]


def _trend_rows(prog: Progress, code: str) -> list[dict[str, Any]]:
    res = prog.results.filter(pl.col("area") == code).join(
        prog.links.group_by("series").agg(pl.col("indicator").sort().str.join(", ")),
        on="series", how="left")
    rows = res.select("series", "indicator", "status", "scale", "base_year", "latest_year",
                      "latest_value", "projected_2030", "target").to_dicts()
    return sorted(rows, key=lambda r: (code_key((r["indicator"] or "99").split(",")[0]),
                                       r["series"]))


def _gap_rows(engine: Engine, code: str) -> list[dict[str, Any]]:
    wanted = load_targets()["series"].to_list()
    gaps = data_gaps(assessment_input(engine, [code], wanted).drop("release"), wanted, [code])
    summary = gap_summary(gaps, series_indicators(engine), "goal")
    rows = summary.to_dicts()
    return sorted(rows, key=lambda r: int(r["goal"]))


def _partner_rows(engine: Engine, frames: KeptFrames, iso2: str | None, limit: int = 25
                  ) -> list[dict[str, Any]]:
    if not iso2:
        return []
    sectors = dict(load_mapping().unique("dac_code", keep="first")
                   .select("dac_code", "dac_name").iter_rows())
    df = frames.get(engine, "three_w", three_w).filter(
        (pl.col("country") == iso2) & (pl.col("currency") == "USD"))
    agg = (df.group_by("reporting_org_name", "sector_dac")
           .agg(pl.col("commitment").sum(), pl.col("disbursement").sum(),
                pl.col("projects").sum(), pl.col("year").min().alias("from"),
                pl.col("year").max().alias("to"))
           .sort("disbursement", "commitment", descending=True).head(limit))
    return [{**r, "sector": sectors.get(r["sector_dac"] or "", "")} for r in agg.to_dicts()]


def _flagged(engine: Engine, frames: KeptFrames, prog: Progress, code: str, lang: str
             ) -> list[dict[str, Any]]:
    iso = dict(area_table(engine).drop_nulls("iso2").select("iso2", "code").iter_rows())
    flat = frames.get(engine, "flat_export", flat_export)
    df = money_vs_progress(prog.rolled("target", code), money_by_target(flat, iso))
    names = titles(engine, "target", lang)
    rows = df.filter(pl.col("flag").is_not_null()).to_dicts()
    return [{**r, "title": names.get(r["target"], "")} for r in rows]

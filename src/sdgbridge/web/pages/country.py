"""A country's page: goal and target status by a method, the off-track targets, the trends
of its series, its data gaps, who works there on what with how much, and the targets where
money and progress disagree."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sdgbridge.assessment.current import CurrentAssessment, target_gaps
from sdgbridge.assessment.gaps import gap_summary
from sdgbridge.assessment.model import code_key
from sdgbridge.assessment.run import series_indicators
from sdgbridge.kept import Keeper
from sdgbridge.projects.coordination import (
    BEHIND,
    money_against_progress,
    partners_in,
    projects_frame,
)
from sdgbridge.projects.queries import three_w
from sdgbridge.reference.catalog import area_entry, titles
from sdgbridge.web.deps import EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.base import LangDep, MethodQ, render
from sdgbridge.web.pages.progress import cells, progress, titled_targets

router = APIRouter()


@router.get("/country/{code}", response_class=HTMLResponse)
def country(request: Request, code: str, engine: EngineDep, settings: SettingsDep,
            lang: LangDep, kept: KeptDep, method: MethodQ = "unsd") -> HTMLResponse:
    area = area_entry(engine, code, lang)
    prog = progress(engine, kept, method, settings.default_group)
    targets = _target_rows(engine, prog, area["code"], lang)
    flagged = money_against_progress(engine, method, [settings.default_group],
                                     only_flagged=True, kept=kept)
    return render(request, "country.html", method=prog.method, progress=prog, area=area,
                  goal_titles=titles(engine, "goal", lang),
                  goals=_goal_rows(prog, area["code"]), targets=targets,
                  off_track=[t for t in targets if t["status"] in BEHIND],
                  trends=_trend_rows(prog, area["code"]),
                  gaps=kept.get(engine, "country gaps", _gap_rows, area["code"],
                                on=("releases",)),
                  partners=_partner_rows(engine, kept, area["iso2"]),
                  flagged=titled_targets(engine, flagged.filter(
                      pl.col("area") == area["code"]), lang))


def _goal_rows(prog: CurrentAssessment, code: str) -> list[dict[str, Any]]:
    found = cells(prog.rolled("goal", code), "goal")
    return [{"goal": g, **c} for (g, _), c in found.items()]


def _target_rows(engine: Engine, prog: CurrentAssessment, code: str, lang: str
                 ) -> list[dict[str, Any]]:
    names = titles(engine, "target", lang)
    found = cells(prog.rolled("target", code), "target")
    return [{"target": tg, "title": names.get(tg, ""), **c} for (tg, _), c in found.items()]


def _trend_rows(prog: CurrentAssessment, code: str) -> list[dict[str, Any]]:
    res = prog.results.filter(pl.col("area") == code).join(
        prog.links.group_by("series").agg(pl.col("indicator").sort().str.join(", ")),
        on="series", how="left")
    rows = res.select("series", "indicator", "status", "scale", "base_year", "latest_year",
                      "latest_value", "projected_2030", "target").to_dicts()
    return sorted(rows, key=lambda r: (code_key((r["indicator"] or "99").split(",")[0]),
                                       r["series"]))


def _gap_rows(engine: Engine, code: str) -> list[dict[str, Any]]:
    summary = gap_summary(target_gaps(engine, [code]), series_indicators(engine), "goal")
    return sorted(summary.to_dicts(), key=lambda r: int(r["goal"]))


def _partner_rows(engine: Engine, kept: Keeper, iso2: str | None) -> list[dict[str, Any]]:
    if not iso2:
        return []
    return partners_in(projects_frame(engine, three_w, kept), iso2).to_dicts()


"""Countries side by side (issue 18): ``/compare?area=KAZ&area=KGZ&goal=6`` (or ``target=``,
``indicator=``; ``other=RUS,MNG`` adds countries outside the region): each series' latest
value with its year and unit and its status by each method, the statuses counted per method,
the indicators with no data, and small-multiple charts (one country, one colour)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from sdgbridge.assessment.methods import METHODS
from sdgbridge.errors import InputError
from sdgbridge.reference.catalog import area_entry, goal_codes, group_areas, titles
from sdgbridge.reports.compare import compare
from sdgbridge.web.deps import EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.base import LangDep, render
from sdgbridge.web.pages.charts import area_style, line_chart

router = APIRouter()
CodesQ = Annotated[list[str] | None, Query(max_length=30)]


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                 kept: KeptDep, area: CodesQ = None, other: Annotated[str, Query(
                     max_length=200, description="More countries, ISO3, comma-separated.")]
                 = "", goal: CodesQ = None, target: CodesQ = None,
                 indicator: CodesQ = None) -> HTMLResponse:
    """The comparison form, and the comparison when countries and a scope are chosen."""
    region = group_areas(engine, settings.default_group, lang)
    picked = [c for c in region if c["iso3"] in (area or []) or c["code"] in (area or [])]
    extra = [area_entry(engine, x.strip(), lang) for x in other.split(",") if x.strip()]
    chosen = list({c["code"]: c for c in picked + extra}.values())
    result, problem = None, None
    if chosen and (goal or target or indicator):
        try:
            result = compare(engine, [c["code"] for c in chosen], goals=goal or (),
                             targets=target or (), indicators=indicator or (), lang=lang,
                             kept=kept)
        except InputError as exc:
            problem = str(exc)
    names = {c["code"]: c for c in chosen}
    return render(request, "compare.html", region=region, chosen=chosen, names=names,
                  other=other, goals=goal_codes(engine), goal_titles=titles(engine, "goal",
                                                                             lang),
                  picked_goals=goal or [], target=",".join(target or []),
                  indicator=",".join(indicator or []), result=result, problem=problem,
                  methods=METHODS, charts=_charts(result, [c["code"] for c in chosen], names)
                  if result else [])


def _charts(result: Any, codes: list[str], names: dict[str, Any]) -> list[dict[str, Any]]:
    charts = []
    for c in result.charts:
        lines = []
        for ln in c["lines"]:
            colour, marker = area_style(ln["area"], codes)
            lines.append({"code": names[ln["area"]]["iso3"] or ln["area"],
                          "name": names[ln["area"]]["name"], "points": ln["points"],
                          "colour": colour, "marker": marker})
        if lines:
            charts.append({**c, "chart": line_chart(lines, None, project=False, y_count=4,
                                                    x_count=4, size=(380, 230))})
    return charts

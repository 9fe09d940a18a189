"""The region's home page: the goals × countries heatmap of a method, the headline values,
and the latest data release with what it changed; on a store without data, what to load."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sdgbridge.assessment.current import CurrentAssessment
from sdgbridge.query.observations import has_releases, latest_release_changes
from sdgbridge.reference.catalog import area_names, goal_codes, group_areas, titles
from sdgbridge.summary import headline_latest
from sdgbridge.web.deps import EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.base import LangDep, MethodQ, render
from sdgbridge.web.pages.progress import (
    cells,
    index_cells,
    progress,
    published_cells,
    score_cells,
)

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
         kept: KeptDep, method: MethodQ = "unsd") -> HTMLResponse:
    group = settings.default_group
    if not has_releases(engine):
        return render(request, "empty.html", group=group)  # a new store: what to load
    prog = progress(engine, kept, method, group)
    return render(request, "home.html", method=prog.method, progress=prog,
                  countries=group_areas(engine, group, lang), goals=goal_codes(engine),
                  goal_titles=titles(engine, "goal", lang),
                  heat=cells(prog.rolled("goal"), "goal"), scores=score_cells(prog),
                  index=index_cells(prog), published=published_cells(engine, prog, group),
                  headline=_headline(engine, group, prog, lang),
                  old_before=date.today().year - settings.old_after_years,
                  release=kept.get(engine, "latest release", latest_release_changes,
                                   (group,), on=("releases",)),
                  area_names=area_names(engine, lang))


def _headline(engine: Engine, group: str, prog: CurrentAssessment, lang: str
              ) -> dict[str, Any]:
    """The latest headline values per country, each series with its first indicator and
    that indicator's title."""
    df = headline_latest(engine, group, with_years=True)
    names = titles(engine, "indicator", lang)
    first = dict(prog.links.sort("indicator").unique("series", keep="first").iter_rows())
    iso = [c for c in df.columns if c not in ("series", "units", "years")
           and not c.startswith("year_")]
    rows = [{**r, "indicator": first.get(r["series"]),
             "title": names.get(first.get(r["series"], ""), "")} for r in df.iter_rows(named=True)]
    return {"iso3": iso, "rows": rows}

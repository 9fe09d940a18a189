"""An organisation's portfolio, a project's page, and the IATI imports with what they left
out of real publishers' files (:mod:`sdgbridge.projects.portfolio`,
:mod:`sdgbridge.projects.imports`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from sdgbridge.projects.coordination import projects_frame
from sdgbridge.projects.imports import coverage, import_detail, list_imports
from sdgbridge.projects.overlap_review import MIN_EMBEDDING, MIN_TFIDF, overlaps_to_review
from sdgbridge.projects.periods import asked_period, money_flows, period_of
from sdgbridge.projects.portfolio import organisation_portfolio, project_page
from sdgbridge.projects.sdg import flat_export
from sdgbridge.projects.un_entities import un_entities_by_country
from sdgbridge.reference.catalog import group_areas
from sdgbridge.web.deps import EmbedderDep, EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.base import LangDep, render

router = APIRouter()
YearQ = Annotated[int | None, Query(ge=1990, le=2100, description="First or last year.")]


def country_names(engine: Any, group: str, lang: str) -> dict[str, str]:
    """ISO alpha-2 → the country's name in ``lang``, for the region's countries."""
    return {c["iso2"]: c["name"] for c in group_areas(engine, group, lang) if c["iso2"]}


@router.get("/organisations/{key:key}", response_class=HTMLResponse)
def organisation(request: Request, key: str, engine: EngineDep, settings: SettingsDep,
                 lang: LangDep, kept: KeptDep, start: Annotated[YearQ, Query(alias="from")] = None,
                 end: Annotated[YearQ, Query(alias="to")] = None) -> HTMLResponse:
    period = asked_period(start, end)
    found = organisation_portfolio(engine, key, period, kept)
    return render(request, "organisation.html", key=key, period=period, **found,
                  names=country_names(engine, settings.default_group, lang))


@router.get("/projects/{identifier:key}", response_class=HTMLResponse)
def project(request: Request, identifier: str, engine: EngineDep, settings: SettingsDep,
            lang: LangDep, kept: KeptDep) -> HTMLResponse:
    found = project_page(engine, identifier, kept)
    return render(request, "project.html", **found,
                  names=country_names(engine, settings.default_group, lang))


@router.get("/coordination/imports", response_class=HTMLResponse)
def imports(request: Request, engine: EngineDep, lang: LangDep) -> HTMLResponse:
    covered = coverage(engine)
    return render(request, "imports.html", imports=list_imports(engine).to_dicts(),
                  coverage=covered, publishers=covered["publishers"].to_dicts())


@router.get("/coordination/imports/{import_id}", response_class=HTMLResponse)
def one_import(request: Request, engine: EngineDep, lang: LangDep,
               import_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> HTMLResponse:
    found = import_detail(engine, import_id)
    return render(request, "import.html", info=found["import"], files=found["files"],
                  by_rule=found["by_rule"].to_dicts(), parts=found["parts"].to_dicts())


@router.get("/coordination/un", response_class=HTMLResponse)
def un_entities(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                kept: KeptDep, start: Annotated[YearQ, Query(alias="from")] = None,
                end: Annotated[YearQ, Query(alias="to")] = None) -> HTMLResponse:
    """Which UN entities work on which SDG targets in each of the region's countries."""
    names = country_names(engine, settings.default_group, lang)
    flows = projects_frame(engine, money_flows, kept)
    years = flows["year"].unique().to_list() if flows.height else []
    period = period_of(start, end, years)
    table = un_entities_by_country(engine, projects_frame(engine, flat_export, kept),
                                   list(names), period)
    return render(request, "un_entities.html", period=period, names=names,
                  years=sorted(y for y in years if y is not None),
                  rows=table.to_dicts())


@router.get("/coordination/overlaps", response_class=HTMLResponse)
def overlaps_page(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                  kept: KeptDep, emb: EmbedderDep) -> HTMLResponse:
    """Overlaps worth a look, and one publisher's versions of the same activity."""
    review, versions = overlaps_to_review(engine, emb, kept)
    groups = versions.unique("group", keep="first", maintain_order=True)
    return render(request, "overlaps.html", pairs=review.to_dicts(),
                  names=country_names(engine, settings.default_group, lang),
                  groups=groups.head(30).to_dicts(), group_count=groups.height,
                  records=versions.height, rule={"embedding": MIN_EMBEDDING, "tfidf": MIN_TFIDF},
                  embedder=emb.name)

"""Roadmaps in the browser (issue 17), public like the API's reads: ``/roadmaps`` (the list),
``/roadmaps/{key}`` (the report page: each area's commitments with their KPI lights per
country from the data, each commitment's report light, the reviews) and
``/roadmaps/reviews/{id}`` (a review with its frozen KPI evidence, and what changed since
the review before it); and ``/roadmaps/{key}/review``, the Centre's form to record a review
(signed in, a role that may update roadmaps; a refusal comes back on the form, nothing
written)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sdgbridge.accounts.roles import can
from sdgbridge.errors import SdgBridgeError
from sdgbridge.reference.catalog import group_areas, titles
from sdgbridge.roadmaps.exchange import XLSX, roadmap_bytes
from sdgbridge.roadmaps.kpis import roadmap_kpis
from sdgbridge.roadmaps.queries import (
    commitment_detail,
    list_roadmaps,
    release_labels,
    roadmap_detail,
)
from sdgbridge.roadmaps.reviews import (
    STATUSES,
    ReviewRow,
    commitment_history,
    compare_reviews,
    record_review,
    report_lights,
    review_detail,
    reviews,
)
from sdgbridge.web.auth import permit
from sdgbridge.web.deps import WRITER, EngineDep, SettingsDep
from sdgbridge.web.pages.account import to_sign_in
from sdgbridge.web.pages.base import LangDep, MethodQ, error_text, render
from sdgbridge.web.session import check_form, request_session

router = APIRouter()
KeyPath = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]


def _names(engine: Any, settings: Any, lang: str) -> dict[str, str]:
    return {c["iso3"]: c["name"] for c in group_areas(engine, settings.default_group, lang)}


@router.get("/roadmaps", response_class=HTMLResponse)
def roadmaps_page(request: Request, engine: EngineDep, lang: LangDep) -> HTMLResponse:
    """The roadmaps."""
    return render(request, "roadmaps.html", rows=list_roadmaps(engine).to_dicts())


@router.get("/roadmaps/{key}", response_class=HTMLResponse)
def roadmap_page(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                 key: KeyPath, method: MethodQ = "unsd") -> HTMLResponse:
    """A roadmap's report: commitments, KPI lights by country, report lights, reviews."""
    detail = roadmap_detail(engine, key)
    kpis = roadmap_kpis(engine, key, method, changes=True)
    by_kpi: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for row in kpis.iter_rows(named=True):
        by_kpi.setdefault((row["commitment"], row["kpi"]), {})[row["country"]] = row
    countries = sorted(set(kpis["country"].drop_nulls()))
    reports = {r["commitment"]: r for r in report_lights(engine, key).iter_rows(named=True)}
    used = {int(r) for x in kpis["releases"].drop_nulls() for r in x.split(",") if r}
    releases = release_labels(engine, sorted(used))
    return render(request, "roadmap.html", roadmap=detail, by_kpi=by_kpi,
                  countries=countries, names=_names(engine, settings, lang), reports=reports,
                  reviews=reviews(engine, key).to_dicts(), method=method,
                  releases=releases, targets=titles(engine, "target", lang),
                  changes=_changes(detail, kpis), counts=_light_counts(kpis),
                  can_review=_can_review(request))


def _changes(detail: dict[str, Any], kpis: pl.DataFrame) -> list[dict[str, Any]]:
    """The KPI × country cells the latest release of their data moved, with their
    commitment and KPI definition, in the roadmap's order."""
    moved = {(r["commitment"], r["kpi"], r["country"]): r
             for r in kpis.filter(pl.col("changed_with").is_not_null()).iter_rows(named=True)}
    return [{**moved[(c["key"], k["key"], iso)], "commitment": c, "kpi": k}
            for a in detail["areas"] for c in a["commitments"] for k in c["kpis"]
            for iso in sorted({x[2] for x in moved}) if (c["key"], k["key"], iso) in moved]


@router.get("/roadmaps/{key}/commitments/{commitment}", response_class=HTMLResponse)
def commitment_page(request: Request, engine: EngineDep, settings: SettingsDep,
                    lang: LangDep, key: KeyPath, commitment: KeyPath,
                    method: MethodQ = "unsd") -> HTMLResponse:
    """A commitment: what is promised, by whom, where, by when, its milestones, its KPI
    lights by country with what the latest release changed, its report light and every
    review's line for it."""
    detail = commitment_detail(engine, key, commitment)
    kpis = roadmap_kpis(engine, key, method, changes=True).filter(
        pl.col("commitment") == commitment)
    by_kpi: dict[str, dict[str, dict[str, Any]]] = {}
    for row in kpis.iter_rows(named=True):
        by_kpi.setdefault(row["kpi"], {})[row["country"]] = row
    used = {int(r) for x in kpis["releases"].drop_nulls() for r in x.split(",") if r}
    reports = {r["commitment"]: r for r in report_lights(engine, key).iter_rows(named=True)}
    return render(request, "roadmap_commitment.html", c=detail, by_kpi=by_kpi,
                  countries=sorted(set(kpis["country"].drop_nulls())),
                  names=_names(engine, settings, lang), method=method,
                  releases=release_labels(engine, sorted(used)),
                  targets=titles(engine, "target", lang), report=reports.get(commitment, {}),
                  history=commitment_history(engine, key, commitment),
                  today=date.today())


@router.get("/roadmaps/{key}/export")
def roadmap_download(engine: EngineDep, key: KeyPath,
                     format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> Response:
    """The roadmap with its latest review as CSV or Excel (the API's export)."""
    body = roadmap_bytes(engine, key, format)
    media = "text/csv; charset=utf-8" if format == "csv" else XLSX
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{key}.{format}"'})


def _can_review(request: Request) -> bool:
    session = request_session(request)
    return session is not None and can(session.actor, "update", "roadmap")


def _light_counts(kpis: pl.DataFrame) -> dict[str, int]:
    return {light: int((kpis["light"] == light).sum()) for light in
            ("green", "amber", "red", "grey")}


@router.get("/roadmaps/reviews/{review_id}", response_class=HTMLResponse)
def review_page(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                review_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> HTMLResponse:
    """A review: each commitment's status, comment, evidence and frozen KPI values, and
    what changed since the review before it."""
    review = review_detail(engine, review_id)
    ids = reviews(engine, review["roadmap"])["id"].to_list()  # newest first
    at = ids.index(review_id)
    previous = int(ids[at + 1]) if at + 1 < len(ids) else None
    changes = compare_reviews(engine, previous, review_id).to_dicts() if previous else []
    titles_ = {c["key"]: (c["title_ru"] if lang == "ru" and c["title_ru"] else c["title_en"])
               for area in roadmap_detail(engine, review["roadmap"])["areas"]
               for c in area["commitments"]}
    return render(request, "roadmap_review.html", review=review, previous=previous,
                  changes=changes, names=_names(engine, settings, lang), titles=titles_)


def _review_form(request: Request, engine: Any, key: str, csrf: str,
                 values: dict[str, Any] | None = None, error: str | None = None,
                 status: int = 200) -> HTMLResponse:
    detail = roadmap_detail(engine, key)
    latest = {r["commitment"]: r for r in report_lights(engine, key).iter_rows(named=True)}
    return render(request, "roadmap_review_form.html", status=status, roadmap=detail,
                  csrf=csrf, statuses=STATUSES, latest=latest, values=values or {},
                  error=error)


@router.get("/roadmaps/{key}/review", response_class=HTMLResponse)
def review_form(request: Request, engine: EngineDep, lang: LangDep, key: KeyPath) -> Response:
    """The form to record a review of the roadmap (the Centre)."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    permit(engine, session.actor, "update", "roadmap", session.actor.organisation_id, key)
    return _review_form(request, engine, key, session.csrf)


@router.post("/roadmaps/{key}/review", response_class=HTMLResponse)
async def review_record(request: Request, engine: EngineDep, lang: LangDep,
                        key: KeyPath) -> Response:
    """Record the review: a status per commitment (those left empty are not reviewed),
    with a comment, document numbers and links; the KPI values are frozen with it."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    form = await request.form(max_fields=3000)
    check_form(request, str(form.get("csrf", "")))
    permit(engine, session.actor, "update", "roadmap", session.actor.organisation_id, key)
    values = {k: str(v)[:5000] for k, v in form.items() if isinstance(v, str)}
    rows = []
    for c in roadmap_detail(engine, key)["areas"]:
        for cm in c["commitments"]:
            status = values.get(f"status-{cm['key']}", "")
            if not status:
                continue
            docs = values.get(f"documents-{cm['key']}", "").split()
            rows.append(ReviewRow(
                cm["key"], status, values.get(f"comment-{cm['key']}", "").strip(),
                tuple(int(d) for d in docs if d.isdigit()),
                tuple(values.get(f"links-{cm['key']}", "").split())))
    def record() -> int:
        with WRITER:  # in the worker thread: the event loop never waits on the writer
            return record_review(engine, key, values.get("cycle", ""), rows, source="web")

    try:
        review_id = await run_in_threadpool(record)
    except SdgBridgeError as exc:
        return _review_form(request, engine, key, session.csrf, values,
                            error_text(request, exc), exc.status)
    return RedirectResponse(f"/roadmaps/reviews/{review_id}", status_code=303)

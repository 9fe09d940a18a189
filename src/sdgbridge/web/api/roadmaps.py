"""Roadmaps over the API (issue 17), calling :mod:`sdgbridge.roadmaps`: the roadmaps, one
with its areas, commitments and KPIs, the KPIs' lights from the data by a progress method,
the reviews with each commitment's report light, one review with its frozen KPI evidence,
and what changed between two reviews. Reads are public; recording a review needs an API
key with the write scope whose role may update roadmaps (the Centre's analysts)."""

from __future__ import annotations

from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response
from pydantic import Field

import sdgbridge.web.api.models as m
from sdgbridge.roadmaps.exchange import XLSX, roadmap_bytes
from sdgbridge.roadmaps.kpis import roadmap_kpis
from sdgbridge.roadmaps.queries import commitment_detail, list_roadmaps, roadmap_detail
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
from sdgbridge.web.auth import TokenDep, Writer, permit
from sdgbridge.web.deps import CLEAN, WRITER, EngineDep, MethodName
from sdgbridge.web.render import json_response, table_response, written

router = APIRouter(tags=["roadmaps"], dependencies=[CLEAN], responses=m.READ_ERRORS)
writes = APIRouter(tags=["writes"], dependencies=[TokenDep, CLEAN], responses=m.WRITE_ERRORS)
KeyPath = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$",
                              description="The roadmap's key, e.g. ca-eu-example.")]
CommitmentPath = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$",
                                     description="The commitment's key, e.g. renewables.")]
ReviewPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="The review's number.")]


class ReviewLine(m.Body):
    commitment: str = Field(max_length=100, description="The commitment's key.")
    status: Literal[STATUSES]  # type: ignore[valid-type]
    comment: str = Field("", max_length=5000)
    documents: list[int] = Field(default_factory=list, max_length=50,
                                 description="Numbers of knowledge-base documents.")
    links: list[str] = Field(default_factory=list, max_length=50)


class ReviewCreate(m.Body):
    cycle: str = Field(min_length=1, max_length=32, description="The review cycle, e.g. 2026.")
    method: MethodName = "unsd"
    items: list[ReviewLine] = Field(min_length=1, max_length=500)


@router.get("/roadmaps", responses=m.page_of(m.Row), summary="Roadmaps")
def roadmaps_list(engine: EngineDep) -> Response:
    """The roadmaps: key, titles, kind, whether an example, how many commitments and KPIs."""
    return table_response(list_roadmaps(engine))


@router.get("/roadmaps/{key}", responses={200: {"model": m.Row}}, summary="One roadmap")
def roadmap_show(engine: EngineDep, key: KeyPath) -> Response:
    """A roadmap with its areas, each with its commitments (responsible organisations,
    countries, deadline, SDG targets, projects, milestones, KPIs)."""
    return json_response({"ok": True, "roadmap": roadmap_detail(engine, key)})


@router.get("/roadmaps/{key}/kpis", responses=m.page_of(m.Row),
            summary="A roadmap's KPI lights, from the data")
def roadmap_kpi_lights(engine: EngineDep, key: KeyPath, method: MethodName = "unsd",
                       changes: Annotated[bool, Query(description=(
                           "Add what the latest release of each KPI's data changed: the "
                           "light and status before it, and that release's number where "
                           "they moved."))] = False) -> Response:
    """Each KPI in each of its countries: the method's status and light (green, amber,
    red, grey), baseline, latest value, target value, 2030 projection and the data releases
    read."""
    return table_response(roadmap_kpis(engine, key, method, changes=changes))


@router.get("/roadmaps/{key}/commitments/{commitment}", responses={200: {"model": m.Row}},
            summary="One commitment, its KPI lights and its reviews")
def commitment_show(engine: EngineDep, key: KeyPath, commitment: CommitmentPath,
                    method: MethodName = "unsd") -> Response:
    """A commitment (parties, countries, deadline, SDG targets, projects, milestones, KPIs),
    each KPI's light in each country with what the latest release changed, and every
    review's line for it, newest first, with the KPI values frozen with each."""
    detail = commitment_detail(engine, key, commitment)
    kpis = roadmap_kpis(engine, key, method, changes=True).filter(
        pl.col("commitment") == commitment)
    return json_response({"ok": True, "commitment": detail, "kpis": kpis.to_dicts(),
                          "reviews": commitment_history(engine, key, commitment)})


@router.get("/roadmaps/{key}/export", response_model=None,
            summary="A roadmap as CSV or Excel, with its latest review",
            responses={200: {"content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
def roadmap_export(engine: EngineDep, key: KeyPath,
                   format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> Response:
    """One row per KPI with the roadmap's, the area's and the commitment's fields and the
    commitment's latest review; the CSV imports again (`sdgbridge roadmaps import`)."""
    body = roadmap_bytes(engine, key, format)
    return Response(body, media_type="text/csv; charset=utf-8" if format == "csv" else XLSX,
                    headers={"Content-Disposition":
                             f'attachment; filename="{key}.{format}"'})


@router.get("/roadmaps/{key}/reviews", responses=m.page_of(m.Row),
            summary="A roadmap's reviews and report lights")
def roadmap_reviews(engine: EngineDep, key: KeyPath) -> Response:
    """The reviews, newest first, and each commitment's latest report with its light
    (amber: a report overdue, red: two cycles overdue)."""
    found = reviews(engine, key)
    return table_response(found, reports=report_lights(engine, key).to_dicts())


@router.get("/roadmaps/reviews/{review_id}", responses={200: {"model": m.Row}},
            summary="One review, with its frozen KPI evidence")
def review_show(engine: EngineDep, review_id: ReviewPath) -> Response:
    """A review: each commitment's status, comment, evidence and the KPI values as they
    were when it was recorded."""
    return json_response({"ok": True, "review": review_detail(engine, review_id)})


@router.get("/roadmaps/reviews/{review_id}/compare/{later_id}", responses=m.page_of(m.Row),
            summary="What changed between two reviews")
def review_compare(engine: EngineDep, review_id: ReviewPath, later_id: ReviewPath) -> Response:
    """Per commitment: the status before and after, whether it changed, and the KPI lights
    that changed."""
    return table_response(compare_reviews(engine, review_id, later_id))


@writes.post("/roadmaps/{key}/reviews", status_code=201, responses=m.CREATED,
             summary="Record a review")
def review_record(engine: EngineDep, actor: Writer, key: KeyPath,
                  body: Annotated[ReviewCreate, Body()]) -> Response:
    """Record a review of the roadmap: each commitment's status with its evidence; the KPI
    values of this moment are frozen with it."""
    permit(engine, actor, "update", "roadmap", actor.organisation_id, key)
    rows = [ReviewRow(i.commitment, i.status, i.comment, tuple(i.documents), tuple(i.links))
            for i in body.items]
    with WRITER:
        review_id = record_review(engine, key, body.cycle, rows, method=body.method,
                                  source="api")
    return written(str(review_id), 201)

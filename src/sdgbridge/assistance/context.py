"""What the Centre knows around a technical-assistance request (issue 16), shown on its page:

* **status**: where the request's country stands on the requested targets, by a progress
  method's current assessment (the published run when there is one,
  :func:`sdgbridge.assessment.current.current_assessment`), with the series behind each
  target: latest value and year, the 2030 projection, the status;
* **projects**: the partners' projects in the country on those targets or their goals
  (the same reading as matching, :func:`.matching.relevant_projects`), with the money
  disbursed or spent on the targets, largest first;
* **practices**: documents of the knowledge base from the region's *other* countries on the
  requested goals, closest to the request's words first (across languages);
* **followed**: after delivery, the indicators the requester said the help was meant to
  move, their series' values for the country from the year before delivery on, each marked
  when it arrived with a data release loaded after the delivery.

Every part reads only what the current actor may read (projects and documents by their
visibility; the request itself by :func:`.queries.readable`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.assessment.charts import dominant
from sdgbridge.assessment.current import current_assessment
from sdgbridge.assessment.figures import shares
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.model import SCALE
from sdgbridge.assistance.lifecycle import aware
from sdgbridge.assistance.match import need_of, partner_projects
from sdgbridge.assistance.matching import relevant_projects
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound, SdgBridgeError
from sdgbridge.kept import NOTHING_KEPT, Keeper
from sdgbridge.projects.visibility import readable as readable_projects

PROJECTS = 10
PRACTICES = 5


def _request_row(engine: Engine, request_id: int) -> dict[str, Any]:
    from sdgbridge.assistance.queries import readable_request

    with engine.connect() as conn:
        return dict(readable_request(conn, request_id))


def _area(engine: Engine, iso3: str) -> tuple[str, str]:
    a = t.area.c
    with engine.connect() as conn:
        found = conn.execute(select(a.code, a.iso2).where(a.iso3 == iso3)).first()
    if found is None:
        raise NotFound(N_("Country {country} is not in the store's areas."), country=iso3)
    return str(found[0]), str(found[1] or "")


def target_status(engine: Engine, request_id: int, method: str = "unsd",
                  kept: Keeper = NOTHING_KEPT) -> dict[str, Any]:
    """The request country's status on each requested target by ``method``'s current
    assessment: ``targets`` (target, status, counts per step, series assessed, and the
    series rows), with the run it comes from (``run_id`` and ``published_at``, None when
    assessed now) and the ``method``."""
    if method not in METHODS:
        raise SdgBridgeError(N_("No progress method {method}: choose one of {methods}."),
                             method=method, methods=", ".join(METHODS))
    request = _request_row(engine, request_id)
    code, _ = _area(engine, request["country"])
    targets = request["targets"].split(",")
    prog = current_assessment(engine, method, [code], kept=kept)
    links = prog.links.with_columns(
        target_code=pl.col("indicator").str.extract(r"^(\d+\.[0-9a-z]+)\.", 1))
    series = prog.results.filter(pl.col("area") == code).join(
        links.filter(pl.col("target_code").is_in(targets)), on="series", how="inner")
    rolled = shares(prog.rolled("target", code)).filter(pl.col("target").is_in(targets))
    by_target = {r["target"]: r for r in rolled.iter_rows(named=True)}
    rows = []
    for target in targets:
        r = by_target.get(target)
        found = series.filter(pl.col("target_code") == target).sort("indicator", "series")
        rows.append({
            "target": target,
            "status": dominant(r) if r and r["assessed"] else None,
            "assessed": int(r["assessed"]) if r else 0,
            "counts": {s: int(r[s]) for s in SCALE if r and r[s]},
            "series": found.select("series", "indicator", "status", "scale", "base_year",
                                   "latest_year", "latest_value", "projected_2030",
                                   pl.col("target").alias("target_value")).to_dicts()})
    return {"method": prog.method, "run_id": prog.run_id,
            "published_at": prog.published_at, "targets": rows}


def related_projects(engine: Engine, request_id: int, kept: Keeper = NOTHING_KEPT,
                     limit: int = PROJECTS) -> pl.DataFrame:
    """The partners' projects in the request's country on its targets (``level`` 2) or
    their goals (1) that the current actor may read, with their titles, ``usd`` (disbursed
    or spent on the targets there) and ``usd_goals`` (on the targets or their goals), the
    projects on the targets and the largest first."""
    _request_row(engine, request_id)  # refused when not readable
    need = need_of(engine, request_id)
    found = relevant_projects(need, partner_projects(engine, kept))
    ids = found["iati_identifier"].to_list()
    p = t.iati_activity.c
    stmt = select(p.iati_identifier, p.title_en, p.title_ru, p.status).where(
        p.iati_identifier.in_(ids))
    if (cond := readable_projects()) is not None:
        stmt = stmt.where(cond)
    with engine.connect() as conn:
        titles = pl.DataFrame([dict(r._mapping) for r in conn.execute(stmt)] if ids else [],
                              schema={"iati_identifier": pl.Utf8, "title_en": pl.Utf8,
                                      "title_ru": pl.Utf8, "status": pl.Utf8})
    return (found.join(titles, on="iati_identifier", how="inner")
            .with_columns(pl.col("usd", "usd_goals").fill_null(0.0))
            .sort(["level", "usd", "usd_goals", "iati_identifier"],
                  descending=[True, True, True, False])
            .head(limit)
            .select("iati_identifier", "title_en", "title_ru", "status", "reporting_org_ref",
                    "reporting_org", "level", "since", "usd", "usd_goals"))


def related_practices(engine: Engine, request_id: int, embedder: Any = None,
                      region: str = "CARSDG", limit: int = PRACTICES) -> list[dict[str, Any]]:
    """Documents from the other countries of ``region`` tagged with the request's goals,
    the closest to its words first (hybrid search, across languages); each with its
    ``countries`` (ISO alpha-3)."""
    from sdgbridge.knowledge import search
    from sdgbridge.knowledge.records import hit_records
    from sdgbridge.knowledge.store import SearchFilters
    from sdgbridge.reference.geography import resolve_areas

    request = _request_row(engine, request_id)
    own, _ = _area(engine, request["country"])
    others = tuple(c for c in resolve_areas(engine, [region]) if c != own)
    goals = tuple(sorted({int(x.split(".")[0]) for x in request["targets"].split(",")}))
    filters = SearchFilters(countries=others, goals=goals)
    hits = hit_records(engine, search(engine, f"{request['title']}\n{request['description']}",
                                      embedder=embedder, filters=filters, limit=limit))
    ids = [h["document_id"] for h in hits]
    dc, a = t.document_country.c, t.area.c
    with engine.connect() as conn:
        places = conn.execute(select(dc.document_id, a.iso3).join(
            t.area, a.code == dc.area_code).where(dc.document_id.in_(ids))).all()
    where: dict[int, list[str]] = {}
    for doc_id, iso3 in places:
        if iso3:
            where.setdefault(doc_id, []).append(iso3)
    return [{**h, "countries": sorted(where.get(h["document_id"], []))} for h in hits]


def followed_indicators(engine: Engine, request_id: int) -> pl.DataFrame:
    """After delivery, the indicators named in the requester's feedback, followed for the
    request's country: one row per series of those indicators, read as the progress methods
    read them (the headline values, :func:`sdgbridge.assessment.inputs.assessment_input`),
    with its latest value and year as the store stood at delivery (``at_delivery_*``, from
    the data releases loaded by then) and now (``latest_*``), and how many values came with
    releases loaded since (``new_values``). Empty before delivery or without indicators."""
    from sdgbridge.assessment.inputs import assessment_input
    from sdgbridge.assessment.run import series_indicators

    request = _request_row(engine, request_id)
    columns: dict[str, pl.DataType] = {
        "indicator": pl.Utf8(), "series": pl.Utf8(), "units": pl.Utf8(),
        "at_delivery_year": pl.Int64(), "at_delivery_value": pl.Float64(),
        "latest_year": pl.Int64(), "latest_value": pl.Float64(), "new_values": pl.UInt32()}
    tr, fb, rel = t.ta_transition.c, t.ta_feedback.c, t.release.c
    with engine.connect() as conn:
        delivered = conn.execute(select(tr.at).where(
            tr.request_id == request_id, tr.to_state == "delivered").order_by(tr.id.desc())
        ).scalar()
        codes = conn.execute(select(fb.indicators).where(fb.request_id == request_id)
                             ).scalar()
        releases = conn.execute(select(rel.id, rel.created_at)).all()
    indicators = [c for c in (codes or "").split(",") if c]
    if delivered is None or not indicators:
        return pl.DataFrame(schema=columns)
    since: datetime = aware(delivered)
    before = [rid for rid, at in releases if aware(at) <= since]
    later = [rid for rid, at in releases if aware(at) > since]
    links = series_indicators(engine).filter(pl.col("indicator").is_in(indicators))
    code, _ = _area(engine, request["country"])
    series = links["series"].unique().sort().to_list()
    if not series:
        return pl.DataFrame(schema=columns)

    def latest(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
        return frame.sort("year").group_by("series").agg(
            pl.col("year").last().alias(f"{prefix}_year"),
            pl.col("value").last().alias(f"{prefix}_value"))

    now = assessment_input(engine, [code], series)
    then = latest(assessment_input(engine, [code], series, as_of=max(before)), "at_delivery") \
        if before else pl.DataFrame(schema={"series": pl.Utf8, "at_delivery_year": pl.Int64,
                                            "at_delivery_value": pl.Float64})
    fresh = now.group_by("series").agg(pl.col("release").is_in(later).sum()
                                       .alias("new_values"))
    return (links.join(latest(now, "latest"), on="series", how="inner")
            .join(then, on="series", how="left").join(fresh, on="series", how="left")
            .join(_units(engine, series, code), on="series", how="left")
            .with_columns(pl.col("new_values").fill_null(0))
            .select(list(columns)).cast(pl.Schema(columns)).sort("indicator", "series"))


def _units(engine: Engine, series: list[str], area: str) -> pl.DataFrame:
    """The units each series is published in for ``area`` (its latest observation's)."""
    o, s = t.observation.c, t.series.c
    with engine.connect() as conn:
        rows = conn.execute(select(s.code, o.units).join(t.series, s.id == o.series_id).where(
            s.code.in_(series), o.area_code == area, o.superseded_by.is_(None)
        ).order_by(o.year)).all()
    return pl.DataFrame({"series": [r[0] for r in rows], "units": [r[1] for r in rows]},
                        schema={"series": pl.Utf8, "units": pl.Utf8}
                        ).group_by("series").agg(pl.col("units").last())

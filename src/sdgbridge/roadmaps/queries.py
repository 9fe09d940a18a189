"""Reading roadmaps back: the list, and one roadmap with its areas, commitments (their
responsible organisations, milestones, KPIs)."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, func, select

from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound


def plain_row(row: Any) -> dict[str, Any]:
    """A row as a dict with plain text keys (what JSON answers need)."""
    return {str(k): v for k, v in row.items()}


def roadmap_id(conn: Connection, key: str) -> int:
    """The stored id of the roadmap ``key``; NotFound names the command that lists them."""
    found = conn.execute(select(t.roadmap.c.id).where(t.roadmap.c.key == key)).scalar()
    if found is None:
        raise NotFound(N_("No roadmap {key}; `sdgbridge roadmaps list` lists them."), key=key)
    return int(found)


def own_series(engine: Engine, key: str) -> list[dict[str, Any]]:
    """The roadmap's own series, in its file's order: code, publisher, names, units, the
    indicators they serve, and how many current values the store holds."""
    rs, s, o = t.roadmap_series.c, t.series.c, t.observation.c
    with engine.connect() as conn:
        rid = roadmap_id(conn, key)
        rows = [dict(x._mapping) for x in conn.execute(
            select(s.id, s.code, s.publisher, s.description, s.description_ru, rs.units)
            .join(t.roadmap_series, rs.series_id == s.id).where(rs.roadmap_id == rid)
            .order_by(rs.position))]
        links = conn.execute(select(t.series_indicator.c.series_id,
                                    t.series_indicator.c.indicator).where(
            t.series_indicator.c.series_id.in_([x["id"] for x in rows]))).all()
        ids = [x["id"] for x in rows]
        count: dict[int, int] = dict(conn.execute(select(o.series_id, func.count()).where(
            o.series_id.in_(ids), o.superseded_by.is_(None)).group_by(o.series_id)).all())
    for x in rows:
        x["indicators"] = sorted(i for sid, i in links if sid == x["id"])
        x["values"] = count.get(x.pop("id"), 0)
    return rows


def release_labels(engine: Engine, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The data releases ``ids``: each one's source and when it was loaded."""
    r = t.release.c
    with engine.connect() as conn:
        return {x.id: {"id": x.id, "source": x.source, "created_at": x.created_at}
                for x in conn.execute(select(r.id, r.source, r.created_at).where(
                    r.id.in_(ids)).order_by(r.id))} if ids else {}


def list_roadmaps(engine: Engine) -> pl.DataFrame:
    """Every roadmap: key, titles, kind, whether an example, its commitments and KPIs."""
    r, c, k = t.roadmap.c, t.commitment.c, t.kpi.c
    commitments = select(func.count()).where(c.roadmap_id == r.id).scalar_subquery()
    kpis = select(func.count()).select_from(t.kpi.join(t.commitment, c.id == k.commitment_id)
                                            ).where(c.roadmap_id == r.id).scalar_subquery()
    with engine.connect() as conn:
        rows = [dict(x._mapping) for x in conn.execute(select(
            r.key, r.title_en, r.title_ru, r.kind, r.example,
            commitments.label("commitments"), kpis.label("kpis")).order_by(r.key))]
    return pl.DataFrame(rows, schema={"key": pl.Utf8, "title_en": pl.Utf8,
                                      "title_ru": pl.Utf8, "kind": pl.Utf8,
                                      "example": pl.Boolean, "commitments": pl.Int64,
                                      "kpis": pl.Int64})


def roadmap_detail(engine: Engine, key: str) -> dict[str, Any]:
    """The roadmap ``key``: its fields and its areas, each with its commitments, each with
    its responsible organisations (ref and name), milestones and KPIs, in the file's
    order; and the roadmap's own series (:func:`own_series`)."""
    r, a, c = t.roadmap.c, t.roadmap_area.c, t.commitment.c
    with engine.connect() as conn:
        row = conn.execute(select(t.roadmap).where(r.key == key)).mappings().first()
        if row is None:
            raise NotFound(N_("No roadmap {key}; `sdgbridge roadmaps list` lists them."),
                           key=key)
        roadmap = plain_row(row)
        areas = [plain_row(x) for x in conn.execute(select(t.roadmap_area).where(
            a.roadmap_id == roadmap["id"]).order_by(a.position)).mappings()]
        commitments = [plain_row(x) for x in conn.execute(select(t.commitment).where(
            c.roadmap_id == roadmap["id"]).order_by(c.position)).mappings()]
        ids = [x["id"] for x in commitments]
        parties = conn.execute(select(t.commitment_party.c.commitment_id,
                                      t.organisation.c.ref, t.organisation.c.name_en)
                               .join(t.organisation, t.organisation.c.id
                                     == t.commitment_party.c.organisation_id)
                               .where(t.commitment_party.c.commitment_id.in_(ids))).all()
        milestones = [plain_row(x) for x in conn.execute(select(t.milestone).where(
            t.milestone.c.commitment_id.in_(ids)).order_by(t.milestone.c.position)
        ).mappings()]
        kpis = [plain_row(x) for x in conn.execute(select(t.kpi).where(
            t.kpi.c.commitment_id.in_(ids)).order_by(t.kpi.c.position)).mappings()]
    for cm in commitments:
        cm["responsible"] = [{"ref": ref, "name": name} for cid, ref, name in parties
                             if cid == cm["id"]]
        cm["milestones"] = [m for m in milestones if m["commitment_id"] == cm["id"]]
        cm["kpis"] = [k for k in kpis if k["commitment_id"] == cm["id"]]
    for area in areas:
        area["commitments"] = [cm for cm in commitments if cm["area_id"] == area["id"]]
    return {**roadmap, "areas": areas, "series": own_series(engine, key)}


def commitment_detail(engine: Engine, key: str, commitment: str) -> dict[str, Any]:
    """One commitment of the roadmap ``key`` as :func:`roadmap_detail` gives it, with its
    ``area`` (key and titles) and ``roadmap`` (key, titles, whether an example)."""
    d = roadmap_detail(engine, key)
    for area in d["areas"]:
        for c in area["commitments"]:
            if c["key"] == commitment:
                head = {k: d[k] for k in ("key", "title_en", "title_ru", "example")}
                return {**c, "area": {k: area[k] for k in ("key", "title_en", "title_ru")},
                        "roadmap": head}
    raise NotFound(N_("The roadmap {key} has no commitment {commitment}; `sdgbridge roadmaps "
                      "show {key}` lists them."), key=key, commitment=commitment)

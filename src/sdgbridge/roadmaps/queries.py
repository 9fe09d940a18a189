"""Reading roadmaps back: the list, and one roadmap with its areas, commitments (their
responsible organisations, milestones, KPIs)."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select

from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound


def plain_row(row: Any) -> dict[str, Any]:
    """A row as a dict with plain text keys (what JSON answers need)."""
    return {str(k): v for k, v in row.items()}


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
    order."""
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
    return {**roadmap, "areas": areas}

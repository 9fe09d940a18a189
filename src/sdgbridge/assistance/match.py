"""Reading what matching needs from the store, and matching a stored request
(:mod:`.matching` does the ranking): the request as a :class:`~.matching.Need`, the
projects (the flat export, kept until the projects change), the knowledge base's documents
with their embeddings, and the experts."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.assistance.matching import COLUMNS, Need, rank_experts, rank_organisations
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound
from sdgbridge.kept import NOTHING_KEPT, Keeper
from sdgbridge.projects.coordination import projects_frame
from sdgbridge.projects.sdg import flat_export, load_mapping


def need_of(engine: Engine, request_id: int, embedder: Any = None) -> Need:
    """The request ``request_id`` as matching reads it; its topic embedded with
    ``embedder`` when one is given."""
    r, a = t.ta_request.c, t.area.c
    with engine.connect() as conn:
        row = conn.execute(select(t.ta_request).where(r.id == request_id)).mappings().first()
        if row is None:
            raise NotFound(N_("No request {id}. `sdgbridge requests list` lists them."),
                           id=request_id)
        iso2, name = conn.execute(select(a.iso2, a.name_en).where(a.iso3 == row["country"])
                                  ).one()
    topic = None
    if embedder is not None:
        topic = embedder.embed([f"{row['title']}\n{row['description']}"])[0]
    targets = tuple(row["targets"].split(","))
    goals = {x.split(".")[0] for x in targets}
    mapping = load_mapping()
    by_target = mapping.filter(pl.col("target").is_in(targets))["dac_code"]
    by_goal = mapping.filter(pl.col("goal").is_in(goals))["dac_code"]
    return Need(country=iso2, country_iso3=row["country"], country_name=name,
                targets=targets, languages=tuple(row["languages"].split(",")),
                wanted_by=row["wanted_by"], topic=topic,
                target_sectors=tuple(sorted(set(by_target))),
                goal_sectors=tuple(sorted(set(by_goal) - set(by_target))))


def documents_with_vectors(engine: Engine, embedder_name: str
                           ) -> tuple[pl.DataFrame, np.ndarray]:
    """The knowledge base's documents that belong to an organisation (its IATI ref, or
    ``org:<id>``, else the organisation's name as written) with the mean of their passages'
    embeddings by ``embedder_name`` (unit vectors), row by row."""
    d, o, c, ce = t.document.c, t.organisation.c, t.chunk.c, t.chunk_embedding.c
    with engine.connect() as conn:
        docs = conn.execute(select(d.id, d.title, d.kind, d.organisation, o.id, o.ref)
                            .outerjoin(t.organisation, o.id == d.organisation_id)
                            .where((d.organisation_id.is_not(None))
                                   | (d.organisation.is_not(None)))).all()
        ids = [row[0] for row in docs]
        vectors = conn.execute(select(c.document_id, ce.vector).join(
            t.chunk_embedding, ce.chunk_id == c.id).where(
            ce.embedder == embedder_name, c.document_id.in_(ids))).all() if ids else []
    sums: dict[int, np.ndarray] = {}
    for doc_id, blob in vectors:
        v = np.frombuffer(blob, dtype="<f4")
        sums[doc_id] = sums[doc_id] + v if doc_id in sums else v.copy()
    rows, mats = [], []
    for doc_id, title, kind, org_name, org_id, ref in docs:
        if doc_id not in sums:
            continue
        v = sums[doc_id]
        mats.append(v / (np.linalg.norm(v) or 1.0))
        key = ref or (f"org:{org_id}" if org_id else None) or org_name
        rows.append({"document_id": doc_id, "title": title, "kind": kind,
                     "organisation_key": key})
    frame = pl.DataFrame(rows, schema={"document_id": pl.Int64, "title": pl.Utf8,
                                       "kind": pl.Utf8, "organisation_key": pl.Utf8})
    return frame, (np.stack(mats) if mats else np.zeros((0, 1), dtype=np.float32))


def projects_without_money(engine: Engine) -> pl.DataFrame:
    """The projects with no transaction yet (a project made by hand, an IATI activity in
    its pipeline), one row per country × DAC sector in the flat export's columns, with no
    money: matching and the request's context count them by place and sector. Archived
    projects and those the current actor may not read are left out."""
    from sdgbridge.projects.visibility import shown

    a, c, s, tr = (t.iati_activity.c, t.iati_country.c, t.iati_sector.c,
                   t.iati_transaction.c)
    stmt = (select(a.iati_identifier, a.reporting_org_ref,
                   a.reporting_org_name.label("reporting_org"), c.code.label("country"),
                   s.code.label("sector_dac"))
            .join(t.iati_country, c.iati_identifier == a.iati_identifier)
            .outerjoin(t.iati_sector, (s.iati_identifier == a.iati_identifier)
                       & (s.vocabulary == "1"))
            .where(shown(), a.iati_identifier.not_in(select(tr.iati_identifier).distinct())))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    return pl.DataFrame(rows, schema={
        "iati_identifier": pl.Utf8, "reporting_org_ref": pl.Utf8, "reporting_org": pl.Utf8,
        "country": pl.Utf8, "sector_dac": pl.Utf8}).with_columns(
        goal=pl.lit(None, pl.Utf8), target=pl.lit(None, pl.Utf8), year=pl.lit(None, pl.Int64),
        transaction_type=pl.lit(None, pl.Utf8), value_share_usd=pl.lit(0.0))


def partner_projects(engine: Engine, kept: Keeper = NOTHING_KEPT) -> pl.DataFrame:
    """What matching reads of the projects: the flat export's rows (projects with money)
    and the projects without money (:func:`projects_without_money`)."""
    flat = projects_frame(engine, flat_export, kept)
    bare = projects_without_money(engine)
    return pl.concat([flat.select(bare.columns), bare], how="vertical_relaxed")


def experts_frame(engine: Engine) -> pl.DataFrame:
    e = t.expert.c
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(
            e.id, e.name, e.languages, e.targets, e.sectors, e.countries, e.available_from,
            e.available_to))]
    return pl.DataFrame(rows, schema={"id": pl.Int64, "name": pl.Utf8, "languages": pl.Utf8,
                                      "targets": pl.Utf8, "sectors": pl.Utf8,
                                      "countries": pl.Utf8,
                                      "available_from": pl.Date, "available_to": pl.Date})


def match_request(engine: Engine, request_id: int, embedder: Any = None,
                  kept: Keeper = NOTHING_KEPT, limit: int = 20) -> pl.DataFrame:
    """The best ``limit`` partner organisations and experts for the request, each with its
    score and reasons (:data:`~.matching.COLUMNS`), best first."""
    need = need_of(engine, request_id, embedder)
    documents, vectors = (documents_with_vectors(engine, embedder.name) if embedder
                          else (None, None))
    found = pl.concat([
        rank_organisations(need, partner_projects(engine, kept), documents, vectors),
        rank_experts(need, experts_frame(engine))])
    return found.sort(["score", "name"], descending=[True, False]).head(limit).select(COLUMNS)

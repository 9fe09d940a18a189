"""The IATI imports made, and what each left out of real publishers' files: the history the
coordination pages cite ("which publishers and dates the data cover") and the list of dropped
parts by publisher and rule (:mod:`sdgbridge.projects.iati.severity`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select

from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound
from sdgbridge.projects.iati.severity import Dropped

DROPPED_SCHEMA = {"publisher": pl.Utf8, "rule": pl.Utf8, "parts": pl.Int64,
                  "activities": pl.Int64, "example": pl.Utf8}


def dropped_by_rule(dropped: Sequence[Dropped] | pl.DataFrame) -> pl.DataFrame:
    """Dropped parts counted by publisher and rule (most first), with the activities they
    touched and one example (file name and line)."""
    if isinstance(dropped, pl.DataFrame):
        df = dropped
    else:
        df = pl.DataFrame([{"reporting_org": d.reporting_org, "rule": d.rule,
                            "iati_identifier": d.iati_identifier, "file": d.file,
                            "line": d.line if isinstance(d.line, int) else None}
                           for d in dropped],
                          schema={"reporting_org": pl.Utf8, "rule": pl.Utf8,
                                  "iati_identifier": pl.Utf8, "file": pl.Utf8,
                                  "line": pl.Int64})
    if df.is_empty():
        return pl.DataFrame(schema=DROPPED_SCHEMA)
    example = pl.concat_str([pl.col("file").map_elements(lambda f: Path(f).name,
                                                         return_dtype=pl.Utf8),
                             pl.col("line").cast(pl.Utf8).fill_null("?")], separator=":")
    return (df.with_columns(example=example)
            .group_by(publisher=pl.col("reporting_org").fill_null("(none)"), rule="rule")
            .agg(parts=pl.len(), activities=pl.col("iati_identifier").n_unique(),
                 example=pl.col("example").first())
            .sort(["parts", "publisher", "rule"], descending=[True, False, False])
            .select(list(DROPPED_SCHEMA)))


def list_imports(engine: Engine) -> pl.DataFrame:
    """Every IATI import, newest first: when, files, counts, parts dropped."""
    i, d = t.iati_import.c, t.iati_import_dropped.c
    dropped = select(d.import_id, func.count().label("n")).group_by(d.import_id).subquery()
    with engine.connect() as conn:
        rows = conn.execute(
            select(i.id, i.created_at, i.files, i.activities_read, i.activities_new,
                   i.activities_changed, i.activities_unchanged, i.activities_rejected,
                   i.transactions, i.partial, func.coalesce(dropped.c.n, 0).label("dropped"))
            .outerjoin(dropped, dropped.c.import_id == i.id).order_by(i.id.desc())).mappings()
        out = [{**{k: v for k, v in r.items() if k != "files"},
                "files": len(json.loads(r["files"] or "[]"))} for r in rows]
    return pl.DataFrame(out, schema={
        "id": pl.Int64, "created_at": pl.Datetime("us", "UTC"), "activities_read": pl.Int64,
        "activities_new": pl.Int64, "activities_changed": pl.Int64,
        "activities_unchanged": pl.Int64, "activities_rejected": pl.Int64,
        "transactions": pl.Int64, "partial": pl.Boolean, "dropped": pl.Int64,
        "files": pl.Int64})


def import_detail(engine: Engine, import_id: int) -> dict[str, Any]:
    """One import: its counts, its files (names, checksums) and the parts it dropped, by
    publisher and rule and one by one."""
    i, d = t.iati_import.c, t.iati_import_dropped.c
    with engine.connect() as conn:
        row = conn.execute(select(t.iati_import).where(i.id == import_id)).mappings().first()
        if row is None:
            raise NotFound(f"No IATI import {import_id}. `sdgbridge projects imports` lists "
                           "them.")
        parts = pl.DataFrame(
            [dict(r) for r in conn.execute(
                select(d.reporting_org, d.iati_identifier, d.file, d.line, d.field, d.rule,
                       d.message).where(d.import_id == import_id).order_by(d.id)).mappings()],
            schema={"reporting_org": pl.Utf8, "iati_identifier": pl.Utf8, "file": pl.Utf8,
                    "line": pl.Int64, "field": pl.Utf8, "rule": pl.Utf8, "message": pl.Utf8})
    files = [{"name": Path(str(f["path"])).name, "sha256": f.get("sha256"),
              "size": f.get("size")} for f in json.loads(row["files"] or "[]")]
    return {"import": {k: v for k, v in row.items() if k != "files"}, "files": files,
            "by_rule": dropped_by_rule(parts),
            "parts": parts.with_columns(file=pl.col("file").map_elements(
                lambda f: Path(f).name, return_dtype=pl.Utf8))}


def coverage(engine: Engine, include_archived: bool = False) -> dict[str, Any]:
    """What the projects data cover: publishers (reporting organisations) with their
    activities, the span of the transaction dates and of the publishers' last updates."""
    a, tr = t.iati_activity.c, t.iati_transaction.c
    live = [] if include_archived else [a.archived.is_(False)]
    with engine.connect() as conn:
        per = conn.execute(
            select(a.reporting_org_ref, func.max(a.reporting_org_name),
                   func.count().label("activities"), func.max(a.last_updated))
            .where(*live).group_by(a.reporting_org_ref)
            .order_by(func.count().desc(), a.reporting_org_ref)).all()
        span = conn.execute(
            select(func.min(tr.date), func.max(tr.date)).join(
                t.iati_activity, a.iati_identifier == tr.iati_identifier).where(
                *live, tr.date.is_not(None))).one()
    publishers = pl.DataFrame(
        [{"publisher": r[0], "name": r[1], "activities": r[2],
          "last_updated": (r[3] or "")[:10] or None} for r in per],
        schema={"publisher": pl.Utf8, "name": pl.Utf8, "activities": pl.Int64,
                "last_updated": pl.Utf8})
    updated = publishers["last_updated"].drop_nulls()
    return {"publishers": publishers, "activities": int(publishers["activities"].sum()),
            "first_transaction": (span[0] or "")[:10] or None,
            "last_transaction": (span[1] or "")[:10] or None,
            "updated_from": updated.min() if updated.len() else None,
            "updated_to": updated.max() if updated.len() else None}

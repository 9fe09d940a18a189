"""IATI activities into the store: one transaction per import, re-import by identifier.

An activity is compared with the stored one through a sha256 over its row and all its child
rows (participants, countries, regions, sectors, tags, transactions, budgets, documents,
results with their indicators, indicator references and periods):
new identifiers are inserted; a changed activity has its children replaced and the change
recorded in ``record_change`` (which fields changed, old and new values); an identical one
is left alone. By default an import with any rejected activity writes nothing; ``partial``
loads the others and writes the rejections with their reasons to a CSV. The optional parts
the parse dropped (:mod:`sdgbridge.projects.iati.severity`) are kept with the import, in
``iati_import_dropped``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Table, delete, insert, select, update

from sdgbridge import audit
from sdgbridge.actors import current_actor
from sdgbridge.csvsafe import write_csv
from sdgbridge.db import tables as t
from sdgbridge.db.bulk import insert_frame, insert_rows
from sdgbridge.errors import IngestRejected, Rejection
from sdgbridge.files import fingerprint
from sdgbridge.outputs import output_path
from sdgbridge.projects.iati.severity import Dropped
from sdgbridge.projects.model import FRAMES, IatiBatch

CHILDREN = {"participants": t.iati_participant, "countries": t.iati_country,
            "regions": t.iati_region, "sectors": t.iati_sector, "tags": t.iati_tag,
            "transactions": t.iati_transaction, "budgets": t.iati_budget,
            "documents": t.iati_document, "results": t.iati_result,
            "indicators": t.iati_result_indicator, "indicator_refs": t.iati_indicator_reference,
            "periods": t.iati_result_period}  # parents before their children (inserts)
# Where an activity was read from is not part of its content.
NOT_CONTENT = ("source_file", "line")


@dataclass
class ImportReport:
    import_id: int | None
    activities_read: int
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    transactions: int = 0
    rejects_file: Path | None = None
    dropped: list[Dropped] = dataclass_field(default_factory=list)  # optional parts left out


def _keys(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _dedupe(kind: str, df: pl.DataFrame) -> pl.DataFrame:
    """Child rows unique on the table's key (a code listed twice keeps its first row); rows
    keyed by their position (``seq``) are unique already."""
    if _by_seq(kind):
        return df
    return df.unique(subset=_keys(CHILDREN[kind]), keep="first", maintain_order=True)


def content_digests(batch: IatiBatch) -> dict[str, str]:
    """sha256 per activity over its content: its row and every child row, each row written
    as its kind and its values (Polars' string form, nulls as NUL, fields split by US), the
    lines sorted, so the order rows come in (file or store) does not matter."""
    acts = batch.frames["activities"].drop(*NOT_CONTENT)
    lines = [df.select("iati_identifier", pl.concat_str(
        [pl.lit(kind), *[pl.col(c).cast(pl.Utf8).fill_null("\x00")
                         for c in df.columns if c != "iati_identifier"]],
        separator="\x1f").alias("line"))
        for kind, df in [("activities", acts), *((k, batch.frames[k]) for k in CHILDREN)]]
    merged = pl.concat(lines).group_by("iati_identifier").agg(
        pl.col("line").sort().str.join("\n"))
    return {ident: hashlib.sha256(text.encode()).hexdigest()
            for ident, text in merged.iter_rows()}


def import_batch(engine: Engine, batch: IatiBatch, files: list[Path], partial: bool = False,
                 rejects_path: Path | None = None) -> ImportReport:
    """Store ``batch`` (see the module docstring); returns the counts."""
    acts = batch.frames["activities"]
    # One activity can have several rejections; repeats of an activity in another file are
    # read but not stored twice.
    rejected = getattr(batch, "activities_rejected", len(batch.rejections))
    repeats = getattr(batch, "duplicates_identical", 0)
    report = ImportReport(None, acts.height + rejected + repeats, rejected=rejected,
                          dropped=list(getattr(batch, "dropped", [])))
    if batch.rejections and not partial:
        raise IngestRejected(batch.rejections)
    if batch.rejections:
        report.rejects_file = _write_rejects(batch.rejections, rejects_path)
    # Child rows unique on their table's key before the digests: what is stored is what is
    # compared, so a re-import of the same content is recognised as unchanged.
    batch.frames = {k: _dedupe(k, v) if k in CHILDREN else v for k, v in batch.frames.items()}
    digests = content_digests(batch)
    with engine.begin() as conn:
        stored = dict(conn.execute(select(t.iati_activity.c.iati_identifier,
                                          t.iati_activity.c.content_sha256)).all())
        new = [i for i in digests if i not in stored]
        changed = [i for i in digests if i in stored and stored[i] != digests[i]]
        report.new, report.changed = len(new), len(changed)
        report.unchanged = len(digests) - len(new) - len(changed)
        if not new and not changed:
            return report  # identical to what is stored: nothing is written
        report.import_id = _import_row(conn, batch, files, report, partial)
        if report.dropped:
            conn.execute(insert(t.iati_import_dropped), [
                {"import_id": report.import_id, "iati_identifier": d.iati_identifier,
                 "reporting_org": d.reporting_org, "file": d.file,
                 "line": d.line if isinstance(d.line, int) else None, "field": d.field,
                 "rule": d.rule, "message": d.message} for d in report.dropped])
        diffs = _record_changes(conn, batch, changed, report.import_id)
        _replace(conn, batch, new + changed, set(changed), digests, report.import_id)
        report.transactions = batch.frames["transactions"].filter(
            pl.col("iati_identifier").is_in(new + changed)).height
        conn.execute(update(t.iati_import).where(t.iati_import.c.id == report.import_id)
                     .values(transactions=report.transactions))
        _audit(conn, report, new, diffs)
    return report


def _audit(conn: Connection, report: ImportReport, new: list[str],
           diffs: dict[str, dict[str, Any]]) -> None:
    """One event for the import (its counts, and who started it), then one per activity
    created or changed, all by the import (:func:`sdgbridge.audit.import_actor`)."""
    assert report.import_id is not None
    started_by = current_actor().label
    who = audit.import_actor(f"iati import {report.import_id}")
    counts: dict[str, Any] = {k: getattr(report, k) for k in (
        "activities_read", "new", "changed", "unchanged", "rejected", "transactions")}
    counts["parts_dropped"] = len(report.dropped)
    audit.record(conn, "imported", "iati_import", report.import_id,
                 after={**counts, "started_by": started_by}, actor=who)
    audit.record_many(conn, "created", "activity",
                      [(ident, None, {"import_id": report.import_id}) for ident in new],
                      actor=who)
    audit.record_many(conn, "updated", "activity", [
        (ident, *_sides(diff)) for ident, diff in diffs.items()], actor=who)


def _sides(diff: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A change's (before, after): field -> old and field -> new (``children``: the child
    rows' counts by kind)."""
    sides: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
    for field, change in diff.items():
        if field != "children":
            sides[0][field], sides[1][field] = change
    for kind, (old, new) in diff.get("children", {}).items():
        sides[0].setdefault("children", {})[kind] = old
        sides[1].setdefault("children", {})[kind] = new
    return sides


def _import_row(conn: Connection, batch: IatiBatch, files: list[Path], r: ImportReport,
                partial: bool) -> int:
    entries = _file_entries(batch, files)
    return conn.execute(insert(t.iati_import).values(
        created_at=datetime.now(UTC), files=json.dumps(entries), activities_read=r.activities_read,
        activities_new=r.new, activities_changed=r.changed, activities_unchanged=r.unchanged,
        activities_rejected=r.rejected, transactions=0, partial=partial,
    ).returning(t.iati_import.c.id)).scalar_one()


def _file_entries(batch: IatiBatch, files: list[Path]) -> list[dict[str, object]]:
    """Path, sha256 and size of each file, as :func:`fingerprint` gives them; the checksums
    taken while the files were read when the batch has them all."""
    known: dict[str, str] = getattr(batch, "file_sha256", {})
    if any(str(f) not in known for f in files):
        return fingerprint(files)[1]
    return [{"path": str(f), "sha256": known[str(f)], "size": f.stat().st_size}
            for f in sorted(files)]


def _replace(conn: Connection, batch: IatiBatch, ids: list[str], changed: set[str],
             digests: dict[str, str], import_id: int) -> None:
    """Insert the activities ``ids`` (replacing the changed ones and their children)."""
    if changed:
        for table in CHILDREN.values():
            conn.execute(delete(table).where(table.c.iati_identifier.in_(sorted(changed))))
        conn.execute(delete(t.iati_activity).where(
            t.iati_activity.c.iati_identifier.in_(sorted(changed))))
    every = len(ids) == batch.frames["activities"].height  # a first import: no filtering

    def chosen(df: pl.DataFrame) -> pl.DataFrame:
        return df if every else df.filter(pl.col("iati_identifier").is_in(ids))

    digest = pl.DataFrame({"iati_identifier": list(digests), "content_sha256": list(
        digests.values())}, schema={"iati_identifier": pl.Utf8, "content_sha256": pl.Utf8})
    insert_frame(conn, t.iati_activity,
                 chosen(batch.frames["activities"]).join(digest, on="iati_identifier",
                                                         how="left")
                 .with_columns(import_id=pl.lit(import_id, pl.Int64), archived=pl.lit(False)))
    for kind, table in CHILDREN.items():
        raw = _parsed_rows(conn, batch, kind) if every else None
        if raw is not None:  # the parser's own tuples: no round trip through Polars
            insert_rows(conn, table.name, list(FRAMES[kind]), raw)
        elif (rows := chosen(batch.frames[kind])).height:
            insert_frame(conn, table, rows)


def _parsed_rows(conn: Connection, batch: IatiBatch, kind: str) -> list[tuple] | None:
    """The parser's rows of ``kind`` when they are exactly the frame's (kinds keyed by
    ``seq``, never deduplicated) and the store is SQLite; else None."""
    rows: dict[str, list[tuple]] = getattr(batch, "rows", {})
    if conn.dialect.name != "sqlite" or kind not in rows or not _by_seq(kind):
        return None
    return rows[kind]


def _by_seq(kind: str) -> bool:
    """Whether the rows of ``kind`` are keyed by their position (``seq``), so unique."""
    return "seq" in _keys(CHILDREN[kind])


def _record_changes(conn: Connection, batch: IatiBatch, changed: list[str],
                    import_id: int) -> dict[str, dict[str, Any]]:
    """One ``record_change`` row per changed activity: the fields that differ, old → new
    (returned by identifier)."""
    if not changed:
        return {}
    a = t.iati_activity.c
    old = {r["iati_identifier"]: r for r in conn.execute(
        select(t.iati_activity).where(a.iati_identifier.in_(changed))).mappings()}
    now = datetime.now(UTC)
    rows, diffs = [], {}
    for new in batch.frames["activities"].filter(
            pl.col("iati_identifier").is_in(changed)).iter_rows(named=True):
        before = old[new["iati_identifier"]]
        diff: dict[str, Any] = {k: [before[k], v] for k, v in new.items()
                if k not in NOT_CONTENT and before.get(k) != v}
        diff["children"] = _child_counts(conn, batch, new["iati_identifier"])
        diffs[new["iati_identifier"]] = diff
        rows.append({"record_type": "activity", "record_key": new["iati_identifier"],
                     "changed_at": now, "origin": f"iati import {import_id}",
                     "change": "updated", "details": json.dumps(diff, default=str)})
    conn.execute(insert(t.record_change), rows)
    return diffs


def _child_counts(conn: Connection, batch: IatiBatch, ident: str) -> dict[str, list[int]]:
    out = {}
    for kind, table in CHILDREN.items():
        stored = conn.execute(select(table.c.iati_identifier).where(
            table.c.iati_identifier == ident)).all()
        now = batch.frames[kind].filter(pl.col("iati_identifier") == ident).height
        if len(stored) != now:
            out[kind] = [len(stored), now]
    return out


def _write_rejects(rejections: list[Rejection], target: Path | None) -> Path:
    out = output_path(target or Path("iati.rejected.csv"), "rejected activities' file")
    write_csv(pl.DataFrame([{"file": r.file, "line": str(r.line), "field": r.field,
                             "message": r.message} for r in rejections]), out)
    return out

"""Reviews of a roadmap: a review cycle (e.g. "2026") records each commitment's status (not
started, on track, delayed, at risk, done, dropped) with its evidence (documents of the
knowledge base, links), a comment and who reviewed, and **freezes** the KPI values with the
review (each KPI's status, values and the data releases they came from at that time). The
history is kept; two reviews are compared (:func:`compare_reviews`); a commitment whose
report is overdue turns amber after one cycle without a report and red after two, as the SDG
Partnerships Platform does (:func:`report_lights`).

A review is read from a CSV file (``commitment,status,comment,documents,links``, one row per
commitment) or given as rows; every refusal names the file, line and field, and nothing is
written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, insert, select

from sdgbridge import audit
from sdgbridge.accounts.roles import check
from sdgbridge.actors import current_actor
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, InputError, NotFound
from sdgbridge.roadmaps.kpis import kpi_status
from sdgbridge.roadmaps.queries import plain_row
from sdgbridge.roadmaps.queries import roadmap_id as find_roadmap
from sdgbridge.roadmaps.yamlfile import read_text

STATUSES = ("not_started", "on_track", "delayed", "at_risk", "done", "dropped")
CYCLE_DAYS = 365  # a report is due once a year
COLUMNS = ("commitment", "status", "comment", "documents", "links")
LOCAL_VIAS = ("cli", "system")


@dataclass(frozen=True)
class ReviewRow:
    """One commitment's line of a review."""

    commitment: str
    status: str
    comment: str = ""
    documents: tuple[int, ...] = ()
    links: tuple[str, ...] = ()
    line: int = 0


def read_review_csv(path: Path) -> list[ReviewRow]:
    """The rows of a review file (CSV with the header :data:`COLUMNS`; ``documents``: ids
    of knowledge-base documents, ``links``: addresses, each separated by spaces)."""
    reader = csv.DictReader(io.StringIO(read_text(path, "CSV")))
    missing = [c for c in ("commitment", "status") if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(N_("{file}, line 1: the header lacks {columns}; it is {header}."),
                         file=path.name, columns=", ".join(missing),
                         header=",".join(COLUMNS))
    rows = []
    for number, raw in enumerate(reader, start=2):
        docs = []
        for token in (raw.get("documents") or "").split():
            if not token.isdigit():
                raise InputError(N_("{file}, line {line}, documents: {value!r} is not a "
                                    "document number."), file=path.name, line=number,
                                 value=token)
            docs.append(int(token))
        rows.append(ReviewRow(commitment=(raw.get("commitment") or "").strip(),
                              status=(raw.get("status") or "").strip(),
                              comment=(raw.get("comment") or "").strip(),
                              documents=tuple(docs),
                              links=tuple((raw.get("links") or "").split()), line=number))
    return rows


def _where(source: str, row: ReviewRow) -> str:
    return f"{source}, line {row.line}" if row.line else source


def _checked(conn: Connection, roadmap_id: int, rows: Sequence[ReviewRow], source: str
             ) -> dict[str, int]:
    """The commitments' ids by key; every row checked (a known commitment once, a status
    of :data:`STATUSES`, documents of the knowledge base, links as addresses)."""
    c = t.commitment.c
    ids = dict(conn.execute(select(c.key, c.id).where(c.roadmap_id == roadmap_id)).all())
    seen: set[str] = set()
    docs = {d for row in rows for d in row.documents}
    known_docs = set(conn.execute(select(t.document.c.id).where(t.document.c.id.in_(docs))
                                  ).scalars()) if docs else set()
    for row in rows:
        where = _where(source, row)
        if row.commitment not in ids:
            raise InputError(N_("{where}, commitment: no commitment {key} in this roadmap "
                                "(it has {keys})."), where=where, key=row.commitment,
                             keys=", ".join(sorted(ids)))
        if row.commitment in seen:
            raise InputError(N_("{where}, commitment: {key} is reviewed twice; keep one "
                                "line."), where=where, key=row.commitment)
        seen.add(row.commitment)
        if row.status not in STATUSES:
            raise InputError(N_("{where}, status: {value!r} is not one of {allowed}."),
                             where=where, value=row.status, allowed=", ".join(STATUSES))
        unknown = [d for d in row.documents if d not in known_docs]
        if unknown:
            raise InputError(N_("{where}, documents: no document {ids} in the knowledge "
                                "base."), where=where, ids=", ".join(map(str, unknown)))
        bad = [x for x in row.links if not x.startswith(("https://", "http://"))]
        if bad:
            raise InputError(N_("{where}, links: {value} is not a web address (https://…)."),
                             where=where, value=bad[0])
    if not rows:
        raise InputError(N_("{file}: the review has no rows."), file=source)
    return ids


def record_review(engine: Engine, roadmap_key: str, cycle: str, rows: Sequence[ReviewRow],
                  *, method: str = "unsd", source: str = "review",
                  now: datetime | None = None) -> int:
    """Record a review of the roadmap for ``cycle``, each row a commitment's status with
    its evidence; the KPI values at this time are frozen with it. Its id."""
    actor = current_actor()
    if actor.via not in LOCAL_VIAS:
        check(actor, "update", "roadmap", what=roadmap_key)
    if not (cycle or "").strip():
        raise InputError(N_("Name the review cycle (e.g. 2026)."))
    moment = now or datetime.now(UTC)
    with engine.connect() as conn:
        roadmap_id = find_roadmap(conn, roadmap_key)
        ids = _checked(conn, roadmap_id, rows, source)
        kpis = [dict(x._mapping) for x in conn.execute(select(t.kpi).where(
            t.kpi.c.commitment_id.in_([ids[r.commitment] for r in rows])))]
    frozen: dict[int, list[dict[str, Any]]] = {}
    for kpi in kpis:  # computed before the transaction: the values of this moment
        found = kpi_status(engine, kpi, method)
        frozen.setdefault(kpi["commitment_id"], []).extend(
            {k: v for k, v in r.items() if k != "area"} for r in found.to_dicts())
    with engine.begin() as conn:
        review_id = int(conn.execute(insert(t.roadmap_review).values(
            roadmap_id=roadmap_id, cycle=cycle.strip(), method=method, reviewed_at=moment,
            reviewer=actor.label, source=source).returning(t.roadmap_review.c.id)
        ).scalar_one())
        for row in rows:
            cid = ids[row.commitment]
            conn.execute(insert(t.review_item).values(
                review_id=review_id, commitment_id=cid, status=row.status,
                comment=row.comment or None,
                evidence=json.dumps({"documents": list(row.documents),
                                     "links": list(row.links)}),
                kpis=json.dumps(frozen.get(cid, []), default=str)))
        audit.record(conn, "reviewed", "roadmap", roadmap_id,
                     after={"review": review_id, "cycle": cycle,
                            "statuses": {r.commitment: r.status for r in rows}})
    return review_id


def reviews(engine: Engine, roadmap_key: str) -> pl.DataFrame:
    """The roadmap's reviews, newest first: id, cycle, when, by whom, method, commitments."""
    rv = t.roadmap_review.c
    with engine.connect() as conn:
        roadmap_id = find_roadmap(conn, roadmap_key)
        rows = [dict(x._mapping) for x in conn.execute(
            select(rv.id, rv.cycle, rv.reviewed_at, rv.reviewer, rv.method)
            .where(rv.roadmap_id == roadmap_id).order_by(rv.reviewed_at.desc(), rv.id.desc()))]
    return pl.DataFrame(rows, schema={"id": pl.Int64, "cycle": pl.Utf8,
                                      "reviewed_at": pl.Datetime("us", "UTC"),
                                      "reviewer": pl.Utf8, "method": pl.Utf8})


def review_detail(engine: Engine, review_id: int) -> dict[str, Any]:
    """A review with its items: each commitment's key, status, comment, evidence and the
    KPI values frozen with it."""
    rv, it, c = t.roadmap_review.c, t.review_item.c, t.commitment.c
    with engine.connect() as conn:
        head = conn.execute(select(t.roadmap_review, t.roadmap.c.key.label("roadmap"))
                            .join(t.roadmap, t.roadmap.c.id == rv.roadmap_id)
                            .where(rv.id == review_id)).mappings().first()
        if head is None:
            raise NotFound(N_("No review {id}; `sdgbridge roadmaps reviews KEY` lists them."),
                           id=review_id)
        items = [plain_row(x) for x in conn.execute(
            select(t.review_item, c.key.label("commitment"), c.title_en, c.title_ru)
            .join(t.commitment, c.id == it.commitment_id).where(it.review_id == review_id)
            .order_by(c.position)).mappings()]
    for item in items:
        item["evidence"] = json.loads(item["evidence"])
        item["kpis"] = json.loads(item["kpis"])
    return {**plain_row(head), "items": items}


def commitment_history(engine: Engine, roadmap_key: str, commitment_key: str
                       ) -> list[dict[str, Any]]:
    """Every review's line for one commitment, newest first: the review (id, cycle, when,
    by whom, method), the status, comment, evidence and the KPI values frozen with it."""
    rv, it, c = t.roadmap_review.c, t.review_item.c, t.commitment.c
    with engine.connect() as conn:
        rid = find_roadmap(conn, roadmap_key)
        rows = [plain_row(x) for x in conn.execute(
            select(rv.id.label("review_id"), rv.cycle, rv.reviewed_at, rv.reviewer, rv.method,
                   it.status, it.comment, it.evidence, it.kpis)
            .join(t.review_item, it.review_id == rv.id)
            .join(t.commitment, c.id == it.commitment_id)
            .where(rv.roadmap_id == rid, c.key == commitment_key)
            .order_by(rv.reviewed_at.desc(), rv.id.desc())).mappings()]
    for row in rows:
        row["evidence"] = json.loads(row["evidence"])
        row["kpis"] = json.loads(row["kpis"])
    return rows


def compare_reviews(engine: Engine, earlier: int, later: int) -> pl.DataFrame:
    """What changed from review ``earlier`` to ``later`` of one roadmap, per commitment:
    the statuses, whether it changed, and the KPI lights that changed (kpi/country:
    before -> after)."""
    a, b = review_detail(engine, earlier), review_detail(engine, later)
    if a["roadmap_id"] != b["roadmap_id"]:
        raise InputError(N_("Reviews {a} and {b} are of different roadmaps."), a=earlier,
                         b=later)
    before = {i["commitment"]: i for i in a["items"]}
    after = {i["commitment"]: i for i in b["items"]}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        x, y = before.get(key), after.get(key)
        lights_x = {(k["kpi"], k["country"]): k["light"] for k in (x or {}).get("kpis", [])}
        lights_y = {(k["kpi"], k["country"]): k["light"] for k in (y or {}).get("kpis", [])}
        moved = [f"{kpi}/{country}: {lights_x.get((kpi, country))} -> {light}"
                 for (kpi, country), light in lights_y.items()
                 if lights_x.get((kpi, country)) != light]
        rows.append({"commitment": key, "before": x["status"] if x else None,
                     "after": y["status"] if y else None,
                     "changed": (x or {}).get("status") != (y or {}).get("status"),
                     "comment": (y or {}).get("comment"), "kpi_changes": moved})
    return pl.DataFrame(rows, schema={"commitment": pl.Utf8, "before": pl.Utf8,
                                      "after": pl.Utf8, "changed": pl.Boolean,
                                      "comment": pl.Utf8, "kpi_changes": pl.List(pl.Utf8)})


def report_lights(engine: Engine, roadmap_key: str, now: datetime | None = None
                  ) -> pl.DataFrame:
    """Each commitment's latest report and its light: green when reported within the last
    cycle (:data:`CYCLE_DAYS`), amber when a report is overdue, red when it is two cycles
    overdue or there was never one since the roadmap was stored two cycles ago."""
    moment = now or datetime.now(UTC)
    c, it, rv = t.commitment.c, t.review_item.c, t.roadmap_review.c
    with engine.connect() as conn:
        roadmap_id = find_roadmap(conn, roadmap_key)
        stored = conn.execute(select(t.roadmap.c.created_at).where(
            t.roadmap.c.id == roadmap_id)).scalar_one()
        commitments = conn.execute(select(c.id, c.key).where(c.roadmap_id == roadmap_id)
                                   .order_by(c.position)).all()
        latest = dict(conn.execute(select(it.commitment_id, rv.reviewed_at).join(
            t.roadmap_review, rv.id == it.review_id).where(rv.roadmap_id == roadmap_id)
            .order_by(rv.reviewed_at)).all())
        status = dict(conn.execute(select(it.commitment_id, it.status).join(
            t.roadmap_review, rv.id == it.review_id).where(rv.roadmap_id == roadmap_id)
            .order_by(rv.reviewed_at)).all())
    rows = []
    for cid, key in commitments:
        since = latest.get(cid) or stored
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        late = moment - since
        light = ("red" if late > timedelta(days=2 * CYCLE_DAYS) else
                 "amber" if late > timedelta(days=CYCLE_DAYS) else
                 "green" if cid in latest else "grey")
        rows.append({"commitment": key, "last_report": latest.get(cid),
                     "status": status.get(cid), "light": light})
    return pl.DataFrame(rows, schema={"commitment": pl.Utf8,
                                      "last_report": pl.Datetime("us", "UTC"),
                                      "status": pl.Utf8, "light": pl.Utf8})

"""Merging a release into the store, inside the database.

The incoming rows go to a staging table (SQLite: the attached staging file, written through
ADBC; PostgreSQL: a temporary table filled by COPY), indexed on the observation key. Then, in
the ingest's transaction:

1. every current observation of the (series, area) pairs the input covers that has no
   identical incoming row (same key, value and attributes) is marked ``superseded_by`` the
   release: changed and removed values alike;
2. every incoming row without an identical current observation is inserted;
3. the counts follow from the row counts of those two statements and one more count of the
   keys that were changed rather than removed.

Nothing is read back into Python, so a release of millions of rows merges in the memory of
the database engine, not of the process.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection

from sdgbridge.db.bulk import copy_frame, stage_frame
from sdgbridge.ingest.model import ATTRIBUTES

KEY = ("series_id", "area_code", "period", "dims_id", "units")
COMPARED = ("value", "value_text", *ATTRIBUTES)
COLUMNS = (*KEY, "year", *COMPARED)
PG_TYPES = {"series_id": "bigint", "dims_id": "bigint", "year": "integer",
            "value": "double precision", "lower_bound": "double precision",
            "upper_bound": "double precision"}


@dataclass(frozen=True)
class MergeCounts:
    loaded: int
    superseded: int
    removed: int
    unchanged: int


def _same(conn: Connection, a: str, b: str, columns: tuple[str, ...]) -> str:
    """SQL: the columns of rows ``a`` and ``b`` are equal, nulls equal to nulls."""
    op = "IS" if conn.dialect.name == "sqlite" else "IS NOT DISTINCT FROM"
    return " AND ".join(f"{a}.{c} {op} {b}.{c}" for c in columns)


def _stage(conn: Connection, incoming: pl.DataFrame) -> str:
    """Write the incoming rows to an indexed staging table; return its qualified name."""
    name = f"incoming_{uuid.uuid4().hex[:10]}"
    df = incoming.select(COLUMNS)
    if conn.dialect.name == "sqlite":
        return stage_frame(conn, name, df, index=KEY)
    types = {c: PG_TYPES.get(c, "text") for c in COLUMNS}
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} "
                         f"({', '.join(f'{c} {ty}' for c, ty in types.items())}) ON COMMIT DROP")
    copy_frame(conn, name, df)
    conn.exec_driver_sql(f"CREATE INDEX {name}_key ON {name} ({', '.join(KEY)})")
    conn.exec_driver_sql(f"ANALYZE {name}")
    return name


def merge_observations(conn: Connection, incoming: pl.DataFrame, release_id: int
                       ) -> MergeCounts:
    """Merge ``incoming`` (the observation table's columns, less ids) as ``release_id``."""
    inc = _stage(conn, incoming)
    scope = "i.series_id = o.series_id AND i.area_code = o.area_code"
    gone = conn.exec_driver_sql(
        f"UPDATE observation AS o SET superseded_by = {int(release_id)} "
        f"WHERE o.superseded_by IS NULL AND EXISTS (SELECT 1 FROM {inc} i WHERE {scope}) "
        f"AND NOT EXISTS (SELECT 1 FROM {inc} i WHERE {_same(conn, 'i', 'o', KEY + COMPARED)})"
    ).rowcount
    cols = ", ".join(COLUMNS)
    loaded = conn.exec_driver_sql(
        f"INSERT INTO observation (release_id, {cols}) "
        f"SELECT {int(release_id)}, {', '.join(f'i.{c}' for c in COLUMNS)} FROM {inc} i "
        f"WHERE NOT EXISTS (SELECT 1 FROM observation o WHERE o.superseded_by IS NULL "
        f"AND {_same(conn, 'i', 'o', KEY + COMPARED)})").rowcount
    changed = conn.exec_driver_sql(
        f"SELECT count(*) FROM observation o WHERE o.superseded_by = {int(release_id)} "
        f"AND EXISTS (SELECT 1 FROM {inc} i WHERE {_same(conn, 'i', 'o', KEY)})").scalar_one()
    return MergeCounts(loaded=loaded, superseded=changed, removed=gone - changed,
                       unchanged=incoming.height - loaded)

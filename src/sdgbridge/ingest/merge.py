"""Merging a release into the store, inside the database.

The incoming rows go to a staging table (SQLite: the attached staging file, written through
ADBC and indexed on the observation key; PostgreSQL: a temporary table filled by COPY). Then,
in the ingest's transaction:

1. every current observation of the (series, area) pairs the input covers that has no
   identical incoming row (same key, value and attributes) is marked ``superseded_by`` the
   release: changed and removed values alike;
2. every incoming row without an identical current observation is inserted;
3. the counts follow from the row counts of those two statements and one more count of the
   keys that were changed rather than removed.

Staging and observation are joined on the key columns with ``=`` (they are NOT NULL), the
value and attributes compared null-safely inside that join: PostgreSQL runs hash joins
(SQLite seeks the key index), never a nested loop over both tables. On PostgreSQL a release
larger than the store rebuilds the key index after its insert (an exclusive lock on
``observation`` until the commit, as a first load takes), and the insert skips the per-row
foreign-key checks where the role may (:func:`sdgbridge.db.bulk.unchecked_references`).

Nothing is read back into Python, so a release of millions of rows merges in the memory of
the database engine, not of the process.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection

from sdgbridge.db.bulk import copy_frame, stage_frame, unchecked_references
from sdgbridge.ingest.model import ATTRIBUTES
from sdgbridge.ingest.write import indexes_rebuilt_for

KEY = ("series_id", "area_code", "period", "dims_id", "units")
COMPARED = ("value", "value_text", *ATTRIBUTES)
COLUMNS = (*KEY, "year", *COMPARED)
NARROW_ROWS = 100_000  # a release of up to this many rows merges through the key index
PG_TYPES = {"series_id": "bigint", "dims_id": "bigint", "year": "integer",
            "value": "double precision", "lower_bound": "double precision",
            "upper_bound": "double precision"}


@dataclass(frozen=True)
class MergeCounts:
    loaded: int
    superseded: int
    removed: int
    unchanged: int


def _same(dialect: str, a: str, b: str, key: tuple[str, ...],
          compared: tuple[str, ...] = ()) -> str:
    """SQL: rows ``a`` and ``b`` have the same ``key`` and the same ``compared`` columns
    (there, nulls equal to nulls).

    The key columns are NOT NULL in ``observation`` (and so in every incoming row), so they
    are compared with plain ``=``: PostgreSQL can only hash, merge or index-join on ``=``;
    a join on ``IS NOT DISTINCT FROM`` alone is a nested loop over both tables (a release
    into a populated store of 2 million rows never finished). The compared columns (value,
    attributes) may be null: ``IS NOT DISTINCT FROM`` is then only a filter inside the
    equi-join. SQLite's ``IS`` uses its indexes either way and keeps its plan.
    """
    if dialect == "sqlite":
        return " AND ".join(f"{a}.{c} IS {b}.{c}" for c in (*key, *compared))
    return " AND ".join([*(f"{a}.{c} = {b}.{c}" for c in key),
                         *(f"{a}.{c} IS NOT DISTINCT FROM {b}.{c}" for c in compared)])


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
    # No index: the merge hash-joins the whole staging table (an index on a temporary
    # table is built in the session's small temp_buffers, and took 8 s for 2 million rows).
    conn.exec_driver_sql(f"ANALYZE {name}")
    return name


def merge_statements(dialect: str, inc: str, release_id: int, narrow: bool = False
                     ) -> dict[str, str]:
    """The merge's three statements for staging table ``inc``: ``supersede`` (an UPDATE),
    ``insert`` and ``changed`` (a count); each joins ``inc`` and ``observation`` on the key.

    ``narrow`` (for a small release) reads only the release's series' rows of ``observation``,
    through the key index, instead of scanning every current observation: an incremental
    release of one series of the global database then merges in milliseconds. A large
    release scans: a seek per series of the whole table is slower than one pass."""
    rel = int(release_id)
    scope = _same(dialect, "i", "o", ("series_id", "area_code"))
    same_row = _same(dialect, "i", "o", KEY, COMPARED)
    cols = ", ".join(COLUMNS)
    series = f"o.series_id IN (SELECT DISTINCT series_id FROM {inc})" if narrow else "TRUE"
    return {
        "supersede": f"UPDATE observation AS o SET superseded_by = {rel} "
                     f"WHERE {series} AND o.superseded_by IS NULL "
                     f"AND EXISTS (SELECT 1 FROM {inc} i WHERE {scope}) "
                     f"AND NOT EXISTS (SELECT 1 FROM {inc} i WHERE {same_row})",
        "insert": f"INSERT INTO observation (release_id, {cols}) "
                  f"SELECT {rel}, {', '.join(f'i.{c}' for c in COLUMNS)} FROM {inc} i "
                  f"WHERE NOT EXISTS (SELECT 1 FROM observation o "
                  f"WHERE o.superseded_by IS NULL AND {same_row})",
        "changed": f"SELECT count(*) FROM observation o WHERE {series} "
                   f"AND o.superseded_by = {rel} "
                   f"AND EXISTS (SELECT 1 FROM {inc} i WHERE {_same(dialect, 'i', 'o', KEY)})",
    }


def merge_observations(conn: Connection, incoming: pl.DataFrame, release_id: int
                       ) -> MergeCounts:
    """Merge ``incoming`` (the observation table's columns, less ids) as ``release_id``."""
    sql = merge_statements(conn.dialect.name, _stage(conn, incoming), release_id,
                           narrow=incoming.height <= NARROW_ROWS)
    gone = conn.exec_driver_sql(sql["supersede"]).rowcount
    # PostgreSQL hash-joins the staging table, so a large release rebuilds the key index
    # after its insert; SQLite's NOT EXISTS seeks that index for every incoming row.
    rows = incoming.height if conn.dialect.name == "postgresql" else 0
    with indexes_rebuilt_for(conn, rows), unchecked_references(conn):
        loaded = conn.exec_driver_sql(sql["insert"]).rowcount
    changed = conn.exec_driver_sql(sql["changed"]).scalar_one()
    return MergeCounts(loaded=loaded, superseded=changed, removed=gone - changed,
                       unchanged=incoming.height - loaded)

"""An ingest's writes, inside its transaction: series, dimension sets and observations.

Observations go in through the driver directly (:mod:`sdgbridge.db.bulk`): multi-row
``INSERT`` or staging files on SQLite, ``COPY`` on PostgreSQL; both are many times faster
than ORM-style inserts for millions of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import polars as pl
from sqlalchemy import Connection, func, insert, select, update

from sdgbridge.db import tables as t
from sdgbridge.db.bulk import STAGES, copy_frame, has_stages, stage_frame, unchecked_references
from sdgbridge.ingest.model import ATTRIBUTES
from sdgbridge.reference.framework import ensure_indicators

OBS_INSERT = ["release_id", "series_id", "area_code", "period", "year", "dims_id", "units",
              "value", "value_text", *ATTRIBUTES]
CHUNK = 100_000
STAGE_ROWS = 20_000  # from this many rows on, SQLite loads go through the staging files
ROWS_PER_INSERT = 100


def map_series(conn: Connection, series: pl.DataFrame, obs: pl.DataFrame) -> pl.DataFrame:
    """Ids of the (code, publisher) pairs the observations use, adding new series."""
    used = obs.select(pl.col("series").alias("code"), "publisher").unique()
    info = used.join(series, on=["code", "publisher"], how="left")
    stored = {(c, p): i for i, c, p in conn.execute(
        select(t.series.c.id, t.series.c.code, t.series.c.publisher))}
    new = [r for r in info.iter_rows(named=True) if (r["code"], r["publisher"]) not in stored]
    if new:
        conn.execute(insert(t.series), [
            {"code": r["code"], "publisher": r["publisher"], "description": r["description"],
             "description_ru": r["description_ru"], "national": bool(r["national"])}
            for r in new])
    for r in info.iter_rows(named=True):  # fill in descriptions the store lacks
        if (r["code"], r["publisher"]) in stored and r["description"]:
            conn.execute(update(t.series).where(
                t.series.c.id == stored[(r["code"], r["publisher"])],
                t.series.c.description.is_(None)).values(description=r["description"]))
    ids = pl.DataFrame(
        [(c, p, i) for i, c, p in conn.execute(
            select(t.series.c.id, t.series.c.code, t.series.c.publisher))],
        schema={"series": pl.Utf8, "publisher": pl.Utf8, "series_id": pl.Int64}, orient="row")
    _link_indicators(conn, info, ids)
    return ids


def _link_indicators(conn: Connection, info: pl.DataFrame, ids: pl.DataFrame) -> None:
    pairs = (info.filter(pl.col("indicators").is_not_null())
             .join(ids, left_on=["code", "publisher"], right_on=["series", "publisher"])
             .select("series_id", pl.col("indicators").str.split(",").alias("indicator"))
             .explode("indicator").filter(pl.col("indicator") != "").unique())
    if pairs.height == 0:
        return
    stored = set(conn.execute(select(t.series_indicator.c.series_id,
                                     t.series_indicator.c.indicator)).all())
    new = [r for r in pairs.iter_rows() if r not in stored]
    if new:
        conn.execute(insert(t.series_indicator),
                     [{"series_id": s, "indicator": i} for s, i in new])
    ensure_indicators(conn, set(pairs["indicator"].to_list()))


def map_dimension_sets(conn: Connection, keys: pl.Series) -> pl.DataFrame:
    """Ids of the canonical dimension keys, adding new ones."""
    wanted = set(keys.unique().to_list())
    stored = dict(conn.execute(select(t.dimension_set.c.key, t.dimension_set.c.id)).all())
    new = sorted(wanted - set(stored))
    if new:
        conn.execute(insert(t.dimension_set), [{"key": k} for k in new])
        stored = dict(conn.execute(select(t.dimension_set.c.key, t.dimension_set.c.id)).all())
    return pl.DataFrame({"dims": list(stored), "dims_id": list(stored.values())},
                        schema={"dims": pl.Utf8, "dims_id": pl.Int64})


def has_current(conn: Connection, series_ids: list[int]) -> bool:
    """Whether the store has current observations of any of these series."""
    o = t.observation.c
    return any(conn.execute(select(o.id).where(o.series_id.in_(series_ids[i:i + 500]),
                                               o.superseded_by.is_(None)).limit(1)).first()
               for i in range(0, len(series_ids), 500))


def insert_observations(conn: Connection, df: pl.DataFrame,
                        progress: Callable[[str, int, int], None] | None = None) -> None:
    """Insert rows fast through the driver (multi-row INSERT on SQLite, COPY on PostgreSQL).

    Columns that are null in every row are left to their default. A load larger than what
    is stored rebuilds the indexes (:func:`indexes_rebuilt_for`).
    """
    cols = [c for c in OBS_INSERT if df[c].null_count() < df.height]
    df = df.select(cols)
    with indexes_rebuilt_for(conn, df.height), unchecked_references(conn):
        _write(conn, cols, df, progress)


@contextmanager
def indexes_rebuilt_for(conn: Connection, rows: int) -> Iterator[None]:
    """When ``rows`` observations are more than the store holds (and over 50,000), the
    observation indexes are dropped for the writes inside and rebuilt after them (inside the
    same transaction): building an index once is cheaper than growing it row by row."""
    rebuild = rows > 50_000 and rows > conn.execute(
        select(func.count()).select_from(t.observation)).scalar_one()
    if rebuild:
        for index in t.observation.indexes:
            index.drop(conn)
    yield
    if rebuild:
        for index in t.observation.indexes:
            index.create(conn)
    if rows > 50_000 and conn.dialect.name == "postgresql":
        # Fresh statistics for the next release's plans (autovacuum's would come later): a
        # small release after a large one then reads its series through the key index.
        conn.exec_driver_sql("ANALYZE observation")


def _write(conn: Connection, cols: list[str], df: pl.DataFrame,
           progress: Callable[[str, int, int], None] | None) -> None:
    if has_stages(conn) and df.height >= STAGE_ROWS:
        _staged_insert(conn, cols, df)
        if progress:
            progress("write", df.height, df.height)
    else:
        write = _copy_rows if conn.dialect.name == "postgresql" else _insert_rows
        for start in range(0, df.height, CHUNK):
            write(conn, cols, df.slice(start, CHUNK))
            if progress:
                progress("write", min(start + CHUNK, df.height), df.height)


def _staged_insert(conn: Connection, cols: list[str], df: pl.DataFrame) -> None:
    """SQLite: Arrow -> staging files (ADBC) -> ``INSERT … SELECT`` in this transaction,
    chunk by chunk, the next chunk staged in a thread while the current one is copied (both
    drivers release the GIL while they work)."""
    names = ", ".join(cols)
    size = -(-df.height // STAGES)
    chunks = [df.slice(i * size, size) for i in range(STAGES)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(stage_frame, conn, "observation_0", chunks[0], slot=0)
        for i in range(STAGES):
            table = pending.result()
            if i + 1 < STAGES:
                pending = pool.submit(stage_frame, conn, f"observation_{i + 1}",
                                      chunks[i + 1], slot=i + 1)
            conn.exec_driver_sql(
                f"INSERT INTO observation ({names}) SELECT {names} FROM {table}")


def _copy_rows(conn: Connection, cols: list[str], df: pl.DataFrame) -> None:
    copy_frame(conn, "observation", df.select(cols))


def _insert_rows(conn: Connection, cols: list[str], df: pl.DataFrame) -> None:
    # One statement per ROWS_PER_INSERT rows: far fewer statement executions than
    # executemany, within SQLite's limit of 32766 bound parameters.
    per = ROWS_PER_INSERT
    one = f"({', '.join('?' * len(cols))})"
    head = f"INSERT INTO observation ({', '.join(cols)}) VALUES "
    full = head + ", ".join([one] * per)
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    n_full = df.height // per * per
    values = df.slice(0, n_full).rows()
    for i in range(0, n_full, per):
        cur.execute(full, [v for row in values[i:i + per] for v in row])
    if df.height > n_full:
        cur.executemany(head + one, df.slice(n_full).rows())
    cur.close()

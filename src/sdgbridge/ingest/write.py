"""Bulk writes for ingests, inside the caller's transaction.

Observations go in through the driver directly: ``executemany`` on SQLite, ``COPY`` on
PostgreSQL; both are many times faster than ORM-style inserts for millions of rows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc_sqlite
import polars as pl
from sqlalchemy import Connection, Engine, func, insert, select, update

from sdgbridge.db import tables as t
from sdgbridge.ingest.model import ATTRIBUTES
from sdgbridge.reference.framework import ensure_indicators

OBS_INSERT = ["release_id", "series_id", "area_code", "period", "year", "dims_id", "units",
              "value", "value_text", *ATTRIBUTES]
CHUNK = 100_000
STAGE_ROWS = 20_000  # from this many rows on, SQLite loads go through the staging files
STAGES = 4  # staging files, and chunks of a large load
ROWS_PER_INSERT = 100


@contextmanager
def bulk_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a whole ingest; committed on success, rolled back on any error
    (or a kill: SQLite's journal and PostgreSQL's WAL undo an unfinished transaction).

    On SQLite, foreign-key enforcement is switched off for this connection while it bulk
    loads (it must be set outside a transaction): each observation row would otherwise look
    up four parent rows. The ids written all come from the same transaction's own lookups.
    """
    with engine.connect() as conn, tempfile.TemporaryDirectory(prefix="sdgbridge-") as tmp:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            _attach_stages(conn, Path(tmp))
        try:
            with conn.begin():
                yield conn
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                for i in range(len(conn.info.pop("stages", []))):
                    conn.exec_driver_sql(f"DETACH DATABASE stage{i}")
                conn.commit()


def _attach_stages(conn: Connection, folder: Path) -> None:
    """Prepare the SQLite connection for a bulk load (outside any transaction, as SQLite
    requires for both statements): foreign keys off, and empty staging databases attached.

    Large loads are written into staging files through the ADBC SQLite driver (Arrow
    straight to SQLite in C, no Python object per value), then copied into ``observation``
    by ``INSERT … SELECT`` inside the ingest's transaction: about twice as fast as binding
    the values from Python, and as atomic. Several files let the next chunk be staged (by
    ADBC, in a thread) while the previous one is copied: a file read in the transaction
    stays locked until its end, so each chunk needs its own.
    """
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    paths = [folder / f"stage{i}.db" for i in range(STAGES)]
    for i, path in enumerate(paths):
        conn.exec_driver_sql(f"ATTACH DATABASE '{path}' AS stage{i}")
    conn.commit()
    conn.info["stages"] = paths


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

    Columns that are null in every row are left to their default. When the load is larger
    than what is stored, the observation indexes are dropped and rebuilt after the load
    (inside the same transaction): building an index once is cheaper than growing it row by
    row.
    """
    cols = [c for c in OBS_INSERT if df[c].null_count() < df.height]
    df = df.select(cols)
    stored = conn.execute(select(func.count()).select_from(t.observation)).scalar_one()
    rebuild = df.height > max(stored, 50_000)
    if rebuild:
        for index in t.observation.indexes:
            index.drop(conn)
    if "stages" in conn.info and df.height >= STAGE_ROWS:
        _staged_insert(conn, cols, df)
        if progress:
            progress("write", df.height, df.height)
    else:
        write = _copy_rows if conn.dialect.name == "postgresql" else _insert_rows
        for start in range(0, df.height, CHUNK):
            write(conn, cols, df.slice(start, CHUNK))
            if progress:
                progress("write", min(start + CHUNK, df.height), df.height)
    if rebuild:
        for index in t.observation.indexes:
            index.create(conn)


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


def stage_frame(conn: Connection, name: str, df: pl.DataFrame,
                index: tuple[str, ...] = (), slot: int = 0) -> str:
    """SQLite: write ``df`` as table ``name`` of staging file ``slot`` (with an index on
    ``index``, if given); return its qualified name.

    A staging file is written by its own ADBC connection and only read by ``conn`` (whose
    transaction would otherwise lock it); it is deleted with the transaction's temp folder.
    """
    with adbc_sqlite.connect(str(conn.info["stages"][slot]), autocommit=True) as stage, \
            stage.cursor() as cur:
        # A scratch file: no journal and no fsync (it is deleted after the ingest either way);
        # SQLite takes these settings only outside a transaction.
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("BEGIN")
        cur.adbc_ingest(name, df.to_arrow(), mode="create")
        if index:
            cur.execute(f"CREATE INDEX {name}_key ON {name} ({', '.join(index)})")
            cur.execute(f"ANALYZE {name}")
        cur.execute("COMMIT")
    return f"stage{slot}.{name}"


def copy_frame(conn: Connection, table: str, df: pl.DataFrame) -> None:
    """PostgreSQL: ``COPY`` the rows of ``df`` into ``table``."""
    with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
        with cur.copy(f"COPY {table} ({', '.join(df.columns)}) FROM STDIN") as cp:
            for row in df.iter_rows():
                cp.write_row(row)


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

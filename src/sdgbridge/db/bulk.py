"""Bulk writes through the database driver, inside the caller's transaction.

Frames go in without SQLAlchemy's per-row parameter processing: ``COPY`` on PostgreSQL
(:func:`copy_frame`), plain ``executemany`` on SQLite (:func:`insert_frame`), and, for the
largest SQLite loads, staging files written through ADBC (:func:`bulk_transaction` attaches
them, :func:`stage_frame` fills one). Ingests (observations) and the IATI import (activities)
both write this way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc_sqlite
import polars as pl
from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import DBAPIError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: staging folders are not swept
    fcntl = None  # type: ignore[assignment]

STAGES = 4  # staging files attached to a bulk transaction on SQLite
STAGING = "sdgbridge-staging-"  # the staging folders' names, in the temporary folder
LOCK = ".lock"  # in a staging folder: locked while its ingest lives


@contextmanager
def bulk_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a whole ingest; committed on success, rolled back on any error
    (or a kill: SQLite's journal and PostgreSQL's WAL undo an unfinished transaction).

    On SQLite, foreign-key enforcement is switched off for this connection while it bulk
    loads (it must be set outside a transaction): each observation row would otherwise look
    up four parent rows. The ids written all come from the same transaction's own lookups.
    """
    with engine.connect() as conn, _staging_folder(conn.dialect.name == "sqlite") as tmp:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            _attach_stages(conn, tmp)
        try:
            with conn.begin():
                yield conn
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                for i in range(len(conn.info.pop("stages", []))):
                    conn.exec_driver_sql(f"DETACH DATABASE stage{i}")
                conn.commit()


@contextmanager
def _staging_folder(needed: bool) -> Iterator[Path]:
    """A folder for the staging files of one SQLite bulk transaction, deleted after it.

    A killed ingest (kill -9, a power cut) cannot delete its folder, and the files in it
    hold a whole release (170 MB for the global database). So the folder holds a lock file
    locked for as long as its ingest lives (the kernel releases the lock of a dead process),
    and every bulk transaction first deletes the staging folders whose lock it can take:
    those of ingests that died (:func:`sweep_staging`). The folder is locked before it gets
    its sweepable name, so a sweep never meets a live folder unlocked."""
    if not needed:
        yield Path(tempfile.gettempdir())
        return
    sweep_staging()
    fresh = Path(tempfile.mkdtemp(prefix=f".{STAGING}new-"))
    with (fresh / LOCK).open("w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        folder = fresh.with_name(STAGING + fresh.name.removeprefix(f".{STAGING}new-"))
        os.replace(fresh, folder)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def sweep_staging(root: Path | None = None) -> list[Path]:
    """Delete the staging folders (in ``root``, by default the temporary folder) left by
    ingests that died; return them. A live ingest's folder is locked and kept."""
    if fcntl is None:  # pragma: no cover
        return []
    swept = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{STAGING}*"):
        try:
            lock = (folder / LOCK).open("r+")
        except OSError:  # not a staging folder (or just deleted by its ingest)
            continue
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # its ingest is alive
                continue
            shutil.rmtree(folder, ignore_errors=True)
            swept.append(folder)
    return swept


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


def has_stages(conn: Connection) -> bool:
    """Whether ``conn`` is a SQLite bulk transaction's, with staging files attached."""
    return "stages" in conn.info


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


def copy_frame(conn: Connection, table: str, df: pl.DataFrame, chunk: int = 100_000) -> None:
    """PostgreSQL: ``COPY`` the rows of ``df`` into ``table``, as CSV written by Polars
    (``chunk`` rows at a time): no Python object per value. Polars quotes empty strings and
    writes nulls as nothing, which is how PostgreSQL's CSV format tells them apart; floats
    are written in their shortest exact form."""
    columns = ", ".join(f'"{c}"' for c in df.columns)
    with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as cp:
            for start in range(0, df.height, chunk):
                cp.write(df.slice(start, chunk).write_csv(include_header=False))


@contextmanager
def unchecked_references(conn: Connection) -> Iterator[bool]:
    """PostgreSQL: no per-row foreign-key checks for the bulk writes inside; yields whether
    they are off.

    PostgreSQL checks each foreign key of each inserted row by a trigger, one lookup at a
    time: four per observation, 70 % of the time of a 2-million-row load. Like the SQLite
    bulk transaction (``PRAGMA foreign_keys=OFF``), a bulk ingest writes only ids that its
    own transaction has just looked up or created, so the checks are switched off for it,
    by ``SET LOCAL session_replication_role = replica``: no lock, and only for this
    transaction. That setting is allowed to superusers and to roles granted it
    (``GRANT SET ON PARAMETER session_replication_role TO <role>``, PostgreSQL 15); other
    roles keep the checks (slower, as correct). Elsewhere a no-op that yields False.
    """
    if conn.dialect.name != "postgresql":
        yield False
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except DBAPIError:  # not allowed to this role
        yield False
        return
    try:
        yield True
    finally:
        conn.exec_driver_sql("SET LOCAL session_replication_role = origin")


def insert_frame(conn: Connection, table: Table, df: pl.DataFrame) -> None:
    """Insert the rows of ``df`` (the columns ``table`` has) through the driver: COPY on
    PostgreSQL, one ``executemany`` of plain tuples on SQLite (SQLAlchemy's per-row
    parameter processing was a third of the whole IATI import's time)."""
    df = df.select([c.name for c in table.columns if c.name in df.columns])
    if conn.dialect.name == "postgresql":
        copy_frame(conn, table.name, df)
    else:
        insert_rows(conn, table.name, df.columns, df.rows())


def insert_rows(conn: Connection, table: str, columns: Sequence[str],
                rows: Sequence[tuple[Any, ...]]) -> None:
    """SQLite: one ``executemany`` of ``rows`` (tuples in the order of ``columns``)."""
    if not rows:
        return
    marks = ", ".join("?" * len(columns))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                           rows)
    finally:
        cursor.close()

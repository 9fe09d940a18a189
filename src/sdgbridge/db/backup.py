"""Backup and restore of the store: one folder holding a consistent copy of the database and a
``manifest.json`` that says what it is and lets a restore check it before it touches anything.

- SQLite: SQLite's online backup API copies the file page by page, in one step, under one read
  transaction, so the copy is consistent while a server keeps writing (WAL mode). The copy is
  switched to a rollback journal so the backup is a single file, ``store.sqlite``.
- PostgreSQL: ``pg_dump --format=custom`` into ``store.pgdump``, run on a snapshot exported by
  the transaction that also counts the rows, so the counts describe exactly what was dumped;
  ``pg_restore`` brings it back. Both programs come from PATH; the password, if the URL has
  one, goes through ``PGPASSWORD``, never the command line.

The manifest lists each file with its SHA-256 and size, the sdgbridge version, the Alembic
revision of the store, the dialect, when it was made and the rows per table. :func:`restore`
checks every file against it, refuses a backup newer than this code's schema, a backup of the
other dialect and (without ``force``) a target that holds tables, before it writes anything;
after the copy it checks the row counts and migrates the store to the current schema, so an old
backup restores into a current store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError as DriverError

from sdgbridge import __version__
from sdgbridge.db.engine import MIGRATIONS, current_revision, make_engine
from sdgbridge.db.tables import metadata
from sdgbridge.errors import BackupError

MANIFEST = "manifest.json"
FORMAT = 1  # the layout of the backup folder and its manifest
SQLITE_FILE = "store.sqlite"
PG_FILE = "store.pgdump"
DIALECT_FILES = {"sqlite": SQLITE_FILE, "postgresql": PG_FILE}

Progress = Callable[[str, int, int], None]  # (stage, done, total), as the CLI's progress bar


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class BackupFile:
    name: str  # relative to the backup folder
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says about a backup."""

    sdgbridge_version: str
    alembic_revision: str
    dialect: str
    created_at: str  # ISO 8601, UTC
    files: list[BackupFile]
    row_counts: dict[str, int]
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise BackupError(f"{path} is missing: {folder} is not a backup made by "
                              "`sdgbridge backup` (or it is incomplete). Give the backup's "
                              "folder.")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            files = [BackupFile(str(f["name"]), str(f["sha256"]), int(f["size"]))
                     for f in raw["files"]]
            manifest = cls(sdgbridge_version=str(raw["sdgbridge_version"]),
                           alembic_revision=str(raw["alembic_revision"]),
                           dialect=str(raw["dialect"]), created_at=str(raw["created_at"]),
                           files=files,
                           row_counts={str(k): int(v) for k, v in raw["row_counts"].items()},
                           format=int(raw["format"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{path} cannot be read ({exc!r}): the manifest is damaged. "
                              "Use another backup.") from exc
        strange = [f.name for f in files if Path(f.name).name != f.name or f.name in ("", ".",
                                                                               "..")]
        if strange:
            raise BackupError(f"{path} lists {strange[0]!r}, which is not a file of the "
                              "backup's folder: the manifest is damaged. Use another backup.")
        if manifest.format != FORMAT:
            raise BackupError(f"{path}: backup format {manifest.format}; this sdgbridge "
                              f"reads format {FORMAT}. Restore it with the sdgbridge that "
                              f"made it ({manifest.sdgbridge_version}) or a newer one.")
        return manifest


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    revision: str  # the store's revision after the migrations (the code's head)
    replaced: bool  # the target held tables, dropped because of ``force``
    row_counts: dict[str, int] = field(default_factory=dict)  # as restored, before migrating


# ---- shared pieces -------------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _script() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


def code_head() -> str:
    """The newest schema revision this code knows."""
    head = _script().get_current_head()
    assert head is not None
    return head


def _known_revisions() -> set[str]:
    return {r.revision for r in _script().walk_revisions()}


def _as_url(engine_or_url: Engine | str) -> URL:
    return engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)


def _dialect(url: URL) -> str:
    return url.get_backend_name()


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _counts(conn: Connection) -> dict[str, int]:
    """Rows per table of the store's tables that exist in this store (an old one lacks some)."""
    present = set(inspect(conn).get_table_names())
    return {t.name: int(conn.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar_one())
            for t in metadata.sorted_tables if t.name in present}


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError(f"{_shown(url)}: an in-memory SQLite store has no file to back up "
                          "or restore into; give a file URL, sqlite:///path/to/store.db.")
    return Path(url.database)


# ---- backup ---------------------------------------------------------------------------------

def _prepare_dest(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder: a backup goes into a new "
                          "(or empty) folder. Give another path.")
    dest.mkdir(parents=True, exist_ok=True)


def backup(engine_or_url: Engine | str, dest_dir: Path | str,
           progress: Progress = _no_progress) -> Manifest:
    """Copy the store into the new folder ``dest_dir`` with its ``manifest.json``; the store is
    read as it is (not migrated) and may be in use."""
    url, dest = _as_url(engine_or_url), Path(dest_dir)
    dialect = _dialect(url)
    if dialect not in DIALECT_FILES:
        raise BackupError(f"{_shown(url)}: sdgbridge backs up SQLite and PostgreSQL stores, "
                          f"not {dialect}.")
    if dialect == "postgresql":
        _program("pg_dump")  # before anything is written
    created = not dest.exists()
    _prepare_dest(dest)
    target = dest / DIALECT_FILES[dialect]
    try:
        if dialect == "sqlite":
            revision, counts = _backup_sqlite(_sqlite_path(url), target, progress)
        else:
            revision, counts = _backup_postgres(engine_or_url, target, progress)
        progress("checksum", 0, 1)
        files = [BackupFile(target.name, sha256_file(target), target.stat().st_size)]
        progress("checksum", 1, 1)
        manifest = Manifest(sdgbridge_version=__version__, alembic_revision=revision,
                            dialect=dialect, created_at=datetime.now(UTC).isoformat(
                                timespec="seconds"),
                            files=files, row_counts=counts)
        # The manifest comes last and whole: a folder without one is no backup.
        partial = dest / f".{MANIFEST}.partial"
        partial.write_text(manifest.to_json(), encoding="utf-8")
        os.replace(partial, dest / MANIFEST)
    except BaseException:
        for left in (target, dest / f".{MANIFEST}.partial"):
            left.unlink(missing_ok=True)  # no half backup left to be mistaken for one
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    return manifest


def _revision_or_refuse(conn: Connection, where: str) -> str:
    from_store = _revision_of(conn)
    if from_store is None:
        raise BackupError(f"{where} is not an sdgbridge store (it has no schema revision): "
                          "there is nothing to back up. Check --db or "
                          "SDGBRIDGE_DATABASE_URL.")
    return from_store


def _revision_of(conn: Connection) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _backup_sqlite(src: Path, target: Path, progress: Progress) -> tuple[str, dict[str, int]]:
    if not src.is_file():
        raise BackupError(f"{src} does not exist: there is no SQLite store to back up. Check "
                          "--db or SDGBRIDGE_DATABASE_URL.")
    progress("copy", 0, 1)
    source = sqlite3.connect(src)
    copy = sqlite3.connect(target)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        # pages=0: the whole database in one step, under one read transaction (consistent
        # however hard other connections write); a stepped copy could restart forever.
        source.backup(copy, pages=0)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Cannot back up {src}: {exc}. Is it an SQLite store made by "
                          "sdgbridge? Check --db or SDGBRIDGE_DATABASE_URL.") from exc
    finally:
        copy.close()
        source.close()
    progress("copy", 1, 1)
    # Read the copy, read-only, without make_engine's pragmas (they would make it WAL again).
    uri = f"{target.resolve().as_uri()}?mode=ro"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    try:
        with engine.connect() as conn:
            revision = _revision_or_refuse(conn, str(src))
            return revision, _counts(conn)
    finally:
        engine.dispose()


def _backup_postgres(engine_or_url: Engine | str, target: Path,
                     progress: Progress) -> tuple[str, dict[str, int]]:
    owned = not isinstance(engine_or_url, Engine)
    engine = make_engine(engine_or_url, migrate=False) if isinstance(engine_or_url, str) \
        else engine_or_url
    try:
        conn = engine.connect()
    except DriverError as exc:
        if owned:
            engine.dispose()
        raise BackupError(f"Cannot open the store {_shown(engine.url)}: {exc.orig}. Check "
                          "--db or SDGBRIDGE_DATABASE_URL and that the server is "
                          "running.") from exc
    try:
        with conn.execution_options(isolation_level="REPEATABLE READ"):
            with conn.begin():
                # The dump reads the snapshot this transaction exported: the counts and the
                # revision read here are those of the dumped data.
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                revision = _revision_or_refuse(conn, _shown(engine.url))
                counts = _counts(conn)
                progress("dump", 0, 1)
                _run_pg("pg_dump", engine.url, ["--format=custom", "--no-owner",
                                                "--no-privileges", f"--snapshot={snapshot}",
                                                f"--file={target}"])
                progress("dump", 1, 1)
    finally:
        if owned:
            engine.dispose()
    return revision, counts


# ---- PostgreSQL programs ---------------------------------------------------------------------

def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: PostgreSQL backups use PostgreSQL's client programs. "
            "Install them (Debian/Ubuntu: apt-get install postgresql-client; macOS: brew "
            "install libpq) in a version at least that of the server, and put them on PATH.")
    return found


def _run_pg(name: str, url: URL, args: list[str]) -> None:
    """Run ``pg_dump``/``pg_restore`` on the database of ``url``: connection parameters as
    options, the password in the environment."""
    env = dict(os.environ)
    conn_args = []
    if url.host:
        conn_args.append(f"--host={url.host}")
    if url.port:
        conn_args.append(f"--port={url.port}")
    if url.username:
        conn_args.append(f"--username={url.username}")
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    for key, value in url.query.items():  # e.g. ?sslmode=require, ?host=/run/postgresql
        env[f"PG{key.upper()}"] = value if isinstance(value, str) else value[-1]
    conn_args.append(f"--dbname={url.database}")
    done = subprocess.run([_program(name), "--no-password", *conn_args, *args], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{name} failed on {_shown(url)} (exit {done.returncode}): "
                          f"{done.stderr.strip()}")


# ---- restore --------------------------------------------------------------------------------

def verify(src_dir: Path | str, progress: Progress = _no_progress) -> Manifest:
    """The manifest of the backup in ``src_dir`` once every file it lists is there with its
    size and SHA-256, and its schema is one this code can migrate from; else a
    :class:`BackupError` naming the first file or revision at fault."""
    folder = Path(src_dir)
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder: give the folder `sdgbridge backup` "
                          "made.")
    manifest = Manifest.read(folder)
    for i, f in enumerate(manifest.files):
        progress("verify", i, len(manifest.files))
        path = folder / f.name
        if not path.is_file():
            raise BackupError(f"{path} is missing: the backup is incomplete. Nothing was "
                              "restored; use another backup.")
        if path.stat().st_size != f.size or sha256_file(path) != f.sha256:
            raise BackupError(f"{path} does not match its checksum in {MANIFEST}: the file "
                              "is damaged or was changed. Nothing was restored; use another "
                              "backup.")
    progress("verify", len(manifest.files), len(manifest.files))
    if manifest.dialect not in DIALECT_FILES or [f.name for f in manifest.files] != [
            DIALECT_FILES[manifest.dialect]]:
        raise BackupError(f"{folder / MANIFEST}: a {manifest.dialect} backup of "
                          f"{', '.join(f.name for f in manifest.files) or 'no files'} is not "
                          "one sdgbridge makes. Use a folder `sdgbridge backup` made.")
    if manifest.alembic_revision not in _known_revisions():
        raise BackupError(
            f"{folder}: the backup's schema revision {manifest.alembic_revision} is newer than "
            f"this sdgbridge knows (its newest is {code_head()}); the backup was made by "
            f"sdgbridge {manifest.sdgbridge_version}. Upgrade sdgbridge, then restore.")
    return manifest


def restore(src_dir: Path | str, url: str, force: bool = False,
            progress: Progress = _no_progress) -> RestoreReport:
    """Restore the backup in ``src_dir`` into the store at ``url``, then migrate it to the
    current schema. Every check is made before the target is written: the files' checksums,
    the schema revision, the dialect, and that the target holds no tables (with ``force`` its
    tables are replaced)."""
    folder = Path(src_dir)
    manifest = verify(folder, progress)
    target = make_url(url)
    if _dialect(target) != manifest.dialect:
        raise BackupError(
            f"{folder} is a backup of a {manifest.dialect} store and {_shown(target)} is "
            f"{_dialect(target)}: restoring across dialects is not supported. Restore into a "
            f"{manifest.dialect} store, then copy the data with `sdgbridge export`/`ingest` "
            "if needed.")
    if manifest.dialect == "postgresql":
        _program("pg_restore")
    data = folder / manifest.files[0].name
    with _target(url) as engine:
        try:
            with engine.connect() as conn:
                tables = inspect(conn).get_table_names()
        except DriverError as exc:
            raise BackupError(f"Cannot open the target {_shown(target)}: {exc.orig}. Check "
                              "--db or SDGBRIDGE_DATABASE_URL; a PostgreSQL database must "
                              "exist (createdb NAME) and the server be running.") from exc
        if tables and not force:
            raise BackupError(
                f"{_shown(target)} is not empty ({len(tables)} tables): restoring would "
                "replace its contents. Restore into a new store, or add --force to replace "
                "it.")
        progress("restore", 0, 1)
        if manifest.dialect == "sqlite":
            _restore_sqlite(data, _sqlite_path(target))
        else:
            _restore_postgres(data, engine, drop=bool(tables))
        progress("restore", 1, 1)
        with engine.connect() as conn:
            counts = _counts(conn)
    if counts != manifest.row_counts:
        wrong = sorted(k for k in counts.keys() | manifest.row_counts.keys()
                       if counts.get(k) != manifest.row_counts.get(k))
        raise BackupError(f"{_shown(target)}: after the restore the rows of "
                          f"{', '.join(wrong)} differ from {folder / MANIFEST}. The restore "
                          "is incomplete; restore again with --force.")
    progress("migrate", 0, 1)
    migrated = make_engine(url)
    try:
        revision = current_revision(migrated)
    finally:
        migrated.dispose()
    progress("migrate", 1, 1)
    assert revision is not None
    return RestoreReport(manifest, revision, replaced=bool(tables), row_counts=counts)


@contextmanager
def _target(url: str) -> Iterator[Engine]:
    engine = make_engine(url, migrate=False)
    try:
        yield engine
    finally:
        engine.dispose()


def _restore_sqlite(data: Path, target: Path) -> None:
    """Copy with the backup API into the target: it replaces every page in one transaction,
    through the target's own journal, so a reader never sees half a store."""
    source = sqlite3.connect(f"{data.resolve().as_uri()}?mode=ro", uri=True)  # never written
    dest = sqlite3.connect(target)
    try:
        dest.execute("PRAGMA busy_timeout=30000")
        source.backup(dest, pages=0)
    except sqlite3.Error as exc:  # e.g. locked by a writer, or a WAL target of another page size
        raise BackupError(f"Cannot write {target}: {exc}. Stop what uses this store (the "
                          "server), or restore into a new file.") from exc
    finally:
        dest.close()
        source.close()


# The store's own functions (the audit trail's trigger function), not those of extensions.
OWN_FUNCTIONS = ("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
                 "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() AND NOT EXISTS "
                 "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')")


def _restore_postgres(data: Path, engine: Engine, drop: bool) -> None:
    if drop:
        with engine.begin() as conn:
            for name in inspect(conn).get_table_names():
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
            for view in inspect(conn).get_view_names():
                conn.execute(text(f'DROP VIEW IF EXISTS "{view}" CASCADE'))
            for seq in inspect(conn).get_sequence_names():
                conn.execute(text(f'DROP SEQUENCE IF EXISTS "{seq}" CASCADE'))
            for (function,) in conn.execute(text(OWN_FUNCTIONS)).all():  # trigger functions
                conn.execute(text(f"DROP FUNCTION IF EXISTS {function} CASCADE"))
    _run_pg("pg_restore", engine.url, ["--no-owner", "--no-privileges", "--single-transaction",
                                       "--exit-on-error", str(data)])

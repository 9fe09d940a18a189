"""Engines for SQLite (the embedded default) and PostgreSQL, and schema migration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError as DriverDatabaseError

from sdgbridge.db.early import complete_0001
from sdgbridge.errors import DatabaseError

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-200000")
    cur.close()


CHECK_INTERVAL_MS = 5000  # PostgreSQL: how often a running statement checks its client


def _postgres_session(statement_timeout: float | None) -> Callable[[Any, Any], None]:
    """A connect hook bounding what a PostgreSQL session's statements can outlive.

    ``client_connection_check_interval`` (PostgreSQL 14+): a statement whose client is gone
    (killed, or its network dropped) is ended within that interval, with its transaction and
    locks, instead of running to its end. ``statement_timeout`` (the setting of that name, in
    seconds; 0 or None: none) ends any statement running longer.
    """
    def hook(dbapi_conn: Any, _record: Any) -> None:
        settings = {}
        if dbapi_conn.info.server_version >= 140000:
            settings["client_connection_check_interval"] = CHECK_INTERVAL_MS
        if statement_timeout:
            settings["statement_timeout"] = max(1, round(statement_timeout * 1000))
        if not settings:
            return
        with dbapi_conn.cursor() as cur:
            for name, ms in settings.items():
                cur.execute(f"SET {name} = {int(ms)}")
        dbapi_conn.commit()  # SET in psycopg's implicit transaction: keep it past the pool's reset

    return hook


def make_engine(url: str, *, migrate: bool = True,
                statement_timeout: float | None = None) -> Engine:
    """An engine for ``url``; with ``migrate`` the schema is brought to the newest version.

    PostgreSQL sessions get ``client_connection_check_interval`` and, when given,
    ``statement_timeout`` (seconds): see :func:`_postgres_session`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True)
        event.listen(engine, "connect", _postgres_session(statement_timeout))
    if migrate:
        upgrade(engine)
    return engine


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (no-op when already there)."""
    cfg = _alembic_config(engine)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except DriverDatabaseError as exc:  # server down, wrong URL, a file that is no database
        raise DatabaseError(
            f"Cannot open the store {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}. Check --db or SDGBRIDGE_DATABASE_URL (an SQLite file made by "
            "sdgbridge, or a PostgreSQL database) and that the server is running."
        ) from exc
    if revision == "head" and current == head:
        return
    if current == "0001" and revision != "0001":
        complete_0001(engine)  # a store of the first day's 0001: see sdgbridge.db.early
    command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()

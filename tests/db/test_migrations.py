from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sdgbridge.db.engine import current_revision, upgrade
from sdgbridge.db.tables import metadata


def test_migrations_build_exactly_the_declared_schema(engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []
    assert current_revision(engine) == "0001"


def test_upgrade_is_idempotent(engine) -> None:
    upgrade(engine)
    assert "observation" in inspect(engine).get_table_names()


def test_sqlite_store_uses_wal(sqlite_engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sdgbridge.db.engine import current_revision, upgrade
from sdgbridge.db.tables import include_search_index, metadata


def test_migrations_build_exactly_the_declared_schema(engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_search_index})
        diffs = compare_metadata(context, metadata)
    assert diffs == []
    assert current_revision(engine) == "0003"


def test_upgrade_is_idempotent(engine) -> None:
    upgrade(engine)
    assert "observation" in inspect(engine).get_table_names()


def test_sqlite_store_uses_wal(sqlite_engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

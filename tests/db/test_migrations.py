from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from sdgbridge.db.engine import current_revision, make_engine, upgrade
from sdgbridge.db.tables import include_search_index, metadata


def test_migrations_build_exactly_the_declared_schema(engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_search_index})
        diffs = compare_metadata(context, metadata)
    assert diffs == []
    assert current_revision(engine) == "0011"


def test_upgrade_is_idempotent(engine) -> None:
    upgrade(engine)
    assert "observation" in inspect(engine).get_table_names()


def test_sqlite_store_uses_wal(sqlite_engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_runs_stored_before_0004_are_not_published(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
    upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO assessment_run (method, params_version, params, targets_sha256, areas, "
            "releases, created_at, results_sha256, rows) VALUES ('unsd', 'unsd-2026.1', '{}', "
            "'x', '[\"398\"]', '[1]', '2026-11-30 10:00:00', 'y', 0)"))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT published_at FROM assessment_run")).all() == [(None,)]
    assert current_revision(engine) == "0011"

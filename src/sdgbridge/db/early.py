"""Stores made while the first migration was still being written.

On the project's first day ``0001_initial_schema`` was edited in place (commits be47835 to
030bd13) instead of getting new revisions: tables, columns, a unique constraint and indexes
were added, two indexes replaced. A store stamped ``0001`` by that early code lacks part of
what the released ``0001`` creates, and the later migrations fail on it (``0004`` alters
``assessment_run``, which such a store has not got).

:func:`complete_0001` brings such a store to the released ``0001`` before the later
migrations run: it runs the released migration itself against the store with ``op`` standing
in, so that whatever the store has already is skipped: missing tables are created, missing
columns added (a NOT NULL one with a default of 0, or '', for the rows already there),
missing unique constraints and indexes created; and it drops the two observation indexes
the early code made and the released ``0001`` replaced. On a store the released ``0001``
made it changes nothing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect

FIRST = Path(__file__).parent / "migrations" / "versions" / "0001_initial_schema.py"
# Indexes an early 0001 made that the released one replaced by ix_observation_key.
OBSOLETE_INDEXES = {"observation": ("ix_observation_lookup", "ix_observation_release")}


def _released_0001() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sdgbridge_migration_0001", FIRST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fill(column: sa.Column[Any]) -> sa.Column[Any]:
    """``column`` to add to a table with rows: NOT NULL ones get a default for those rows."""
    added = column._copy()
    if not added.nullable and added.server_default is None:
        numeric = isinstance(added.type, sa.Integer | sa.Float | sa.Numeric | sa.Boolean)
        added.server_default = sa.DefaultClause(sa.text("0" if numeric else "''"))
    return added


class _Completing:
    """Stands for alembic's ``op`` while the released 0001 runs on a store that has part of
    it: each object the store has already is skipped."""

    def __init__(self, ops: Operations, conn: Connection) -> None:
        self.ops, self.conn = ops, conn
        self.had = set(inspect(conn).get_table_names())

    def f(self, name: str) -> Any:
        return self.ops.f(name)

    def create_table(self, name: str, *items: Any, **kw: Any) -> None:
        if name not in self.had:
            self.ops.create_table(name, *items, **kw)
            return
        wanted = sa.Table(name, sa.MetaData(), *items)  # resolves the items' column names
        insp = inspect(self.conn)
        columns = {c["name"] for c in insp.get_columns(name)}
        uniques = {u["name"] for u in insp.get_unique_constraints(name)} | {
            i["name"] for i in insp.get_indexes(name) if i["unique"]}
        add = [c for c in wanted.columns if c.name not in columns]
        unique = [u for u in wanted.constraints if isinstance(u, sa.UniqueConstraint)
                  and u.name not in uniques]
        if not add and not unique:
            return
        with self.ops.batch_alter_table(name) as batch:
            for column in add:
                batch.add_column(_fill(column))
            for u in unique:
                batch.create_unique_constraint(str(u.name), [c.name for c in u.columns])

    @contextmanager
    def batch_alter_table(self, name: str, **kw: Any) -> Iterator[Any]:
        if name not in self.had:
            with self.ops.batch_alter_table(name, **kw) as batch:
                yield batch
        else:
            yield _IndexesOf(self, name)


class _IndexesOf:
    """The ``batch_op`` of a table the store had: creates the indexes it lacks."""

    def __init__(self, completing: _Completing, table: str) -> None:
        self.completing, self.table = completing, table

    def f(self, name: str) -> Any:
        return self.completing.ops.f(name)

    def create_index(self, name: str, columns: list[str], unique: bool = False) -> None:
        have = {i["name"] for i in inspect(self.completing.conn).get_indexes(self.table)}
        if name not in have:
            self.completing.ops.create_index(name, self.table, columns, unique=unique)


def complete_0001(engine: Engine) -> None:
    """Bring a store stamped 0001 by the early code to the released 0001 (see the module)."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:  # a table rebuilt for a constraint must not trip the others' foreign keys
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()  # end SQLAlchemy's autobegun transaction (SQLite had none)
        try:
            with conn.begin():
                ops = Operations(MigrationContext.configure(
                    conn, opts={"render_as_batch": sqlite}))
                for table, names in OBSOLETE_INDEXES.items():
                    have = {i["name"] for i in inspect(conn).get_indexes(table)}
                    for name in names:
                        if name in have:
                            ops.drop_index(name, table_name=table)
                module = _released_0001()
                module.op = _Completing(ops, conn)  # type: ignore[attr-defined]
                module.upgrade()
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()

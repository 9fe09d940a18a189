"""The in-database merge of a release into a populated store, on SQLite and PostgreSQL.

PostgreSQL can only hash-, merge- or index-join on ``=``: a merge that joined staging and
observation on ``IS NOT DISTINCT FROM`` alone ran as a nested loop over both tables and did
not finish in 11 minutes for the global database (issue 13, finding 1).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, insert, select

from sdgbridge.db import tables as t
from sdgbridge.db.bulk import bulk_transaction
from sdgbridge.ingest.load import ingest
from sdgbridge.ingest.merge import COLUMNS, _stage, merge_observations, merge_statements
from tests.helpers import derived_slice

SERIES = ("EG_ACS_ELEC", "SH_H2O_SAFE")


def _current(engine: Engine) -> pl.DataFrame:
    o = t.observation.c
    with engine.connect() as conn:
        rows = conn.execute(select(*(o[c] for c in COLUMNS)).where(o.superseded_by.is_(None))
                            .order_by(o.id)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=list(COLUMNS), orient="row",
                        infer_schema_length=None)


def _new_release(conn) -> int:
    return conn.execute(insert(t.release).values(
        source="test", reader="test", location="test", fingerprint="0" * 64,
        created_at=datetime.now(UTC)).returning(t.release.c.id)).scalar_one()


def _plan_nodes(plan: dict) -> list[dict]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _plan_nodes(child))]


@pytest.mark.postgres
def test_postgres_merge_joins_on_the_key_without_nested_loops(engine, tmp_path: Path) -> None:
    """Every merge statement can be planned with hash (or merge) joins on the key columns:
    with nested loops disabled, none is left (with a join on IS NOT DISTINCT FROM only, a
    nested loop is the only plan PostgreSQL has, whatever the cost)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL query plan: SQLite has no such planner choice to check")
    ingest(engine, derived_slice(tmp_path / "v1.csv", SERIES))
    incoming = _current(engine)
    with bulk_transaction(engine) as conn:
        conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
        sql = merge_statements("postgresql", _stage(conn, incoming), _new_release(conn))
        for name, statement in sql.items():
            plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}").scalar_one()
            plan = plan if isinstance(plan, list) else json.loads(plan)
            nodes = _plan_nodes(plan[0]["Plan"])
            kinds = [n["Node Type"] for n in nodes]
            assert "Nested Loop" not in kinds, (name, kinds)
            conds = " ".join(n.get("Hash Cond", "") + n.get("Merge Cond", "") for n in nodes)
            assert all(c in conds for c in ("series_id", "area_code", "period", "units")), (
                name, conds)
        conn.rollback()


def _edit(df: pl.DataFrame) -> pl.DataFrame:
    """Row 0: footnote NULL -> "new note"; row 1: value changed; row 2: nature changed;
    row 3: footnote NULL kept (unchanged); the last row dropped; one row added."""
    assert df["footnote"].null_count() == df.height  # the specimen has no footnotes
    idx = pl.int_range(pl.len())
    df = df.with_columns(
        pl.when(idx == 0).then(pl.lit("new note")).otherwise(pl.col("footnote"))
        .alias("footnote"),
        pl.when(idx == 1).then(pl.col("value") + 1).otherwise(pl.col("value")).alias("value"),
        pl.when(idx == 2).then(pl.lit("ZZ")).otherwise(pl.col("nature")).alias("nature"))
    added = df.slice(0, 1).with_columns(pl.lit("2099").alias("period"), pl.lit(2099, pl.Int64)
                                        .alias("year"))
    return pl.concat([df.slice(0, df.height - 1), added])


def test_second_release_supersedes_and_inserts(engine, tmp_path: Path) -> None:
    """A release into a populated store: NULL equals NULL (unchanged), NULL against a value
    is a change, changed values and attributes are superseded, a missing row is removed."""
    ingest(engine, derived_slice(tmp_path / "v1.csv", SERIES))
    before = _current(engine)
    incoming = _edit(before)
    with bulk_transaction(engine) as conn:
        release = _new_release(conn)
        counts = merge_observations(conn, incoming, release)
    assert (counts.loaded, counts.superseded, counts.removed) == (4, 3, 1)
    assert counts.unchanged == before.height - 4
    after = _current(engine)
    assert after.height == before.height + 1 - 1
    assert after.sort(list(COLUMNS)).equals(incoming.sort(list(COLUMNS)))
    o = t.observation.c
    with engine.connect() as conn:
        old = conn.execute(select(o.footnote, o.value).where(o.superseded_by == release)
                           .order_by(o.id)).all()
        assert len(old) == 4 and all(f is None for f, _ in old)
        notes = conn.execute(select(o.period).where(o.release_id == release,
                                                    o.footnote.is_not(None))).scalars().all()
        assert sorted(notes) == sorted([before["period"][0], "2099"])  # edited and added
    # The same release again: nothing changes.
    with bulk_transaction(engine) as conn:
        again = merge_observations(conn, incoming, _new_release(conn))
    assert (again.loaded, again.superseded, again.removed, again.unchanged) == (
        0, 0, 0, incoming.height)

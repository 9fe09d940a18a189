"""The stores of ``ingest_global.py``: SQLite files and PostgreSQL databases, and the
contenders that ingest into a store already holding the region's release.

PostgreSQL databases are made on the server named by ``SDGBRIDGE_BENCH_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``, any database of it), one
per contender, named after the run and the contender, and dropped at the end of the run.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

FRAMEWORK = Path("../shared/data/text/sdg_framework")
REGION = Path("../shared/data/sdg/derived/unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv")
SERVER = os.environ.get("SDGBRIDGE_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_FILE = "postgres.json"  # in the work folder: the run's database names


def _admin() -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    u = make_url(SERVER)
    return dict(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                dbname=u.database, autocommit=True)


def start_run(work: Path) -> None:
    """Name this run's PostgreSQL databases (made by the contenders that need them)."""
    (work / PG_FILE).write_text(json.dumps({"prefix": f"bench_{uuid.uuid4().hex[:8]}",
                                            "names": []}), encoding="utf-8")


def end_run(work: Path) -> None:
    """Drop every PostgreSQL database of this run."""
    import psycopg

    state = json.loads((work / PG_FILE).read_text(encoding="utf-8"))
    with psycopg.connect(**_admin()) as conn:
        for name in state["names"]:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def store_url(work: Path, store: str, *, fresh: bool) -> str:
    """The URL of store ``store`` (``sqlite-NAME`` or ``postgres-NAME``); ``fresh``: empty it
    first (delete the file, or drop and create the database)."""
    if store.startswith("sqlite-"):
        path = work / f"{store}.db"
        if fresh:
            for old in work.glob(f"{store}.db*"):
                old.unlink()
        return f"sqlite:///{path}"
    import psycopg
    from sqlalchemy.engine import make_url

    state_file = work / PG_FILE
    state = json.loads(state_file.read_text(encoding="utf-8"))
    name = f"{state['prefix']}_{store.removeprefix('postgres-')}"
    if fresh:
        with psycopg.connect(**_admin()) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        state["names"] = sorted({*state["names"], name})
        state_file.write_text(json.dumps(state), encoding="utf-8")
    return make_url(SERVER).set(database=name).render_as_string(hide_password=False)


def timed_ingest(url: str, source: Path, *, setup: bool = False,
                 before: Path | None = None) -> dict[str, object]:
    """Ingest ``source`` into the store at ``url`` and time it. With ``setup`` the store is
    migrated and given the geography and framework first; ``before`` is ingested first: both
    are not timed."""
    from sdgbridge.db.engine import make_engine
    from sdgbridge.ingest.load import ingest
    from sdgbridge.reference import load_framework, load_geography

    engine = make_engine(url)
    if setup:
        load_geography(engine)
        load_framework(engine, FRAMEWORK)
    if before is not None:
        ingest(engine, before)
    start = time.perf_counter()
    report = ingest(engine, source)
    wall = time.perf_counter() - start
    engine.dispose()
    return {"wall_s": wall, "rows": report.rows_loaded, "rows_read": report.rows_read,
            "rows_rejected": report.rows_rejected, "rows_unchanged": report.rows_unchanged,
            "rows_superseded": report.rows_superseded, "release_id": report.release_id,
            "files_read": report.files_read, "files_total": report.files_total}


def populated(work: Path, data: Path, store: str) -> dict[str, object]:
    """The whole database into a fresh store holding the region's release (not timed)."""
    return timed_ingest(store_url(work, store, fresh=True), data, setup=True, before=REGION)


# Ratios PostgreSQL / SQLite of the same run: (label, PostgreSQL contender, SQLite contender).
PAIRS = (("into an empty store", "postgres", "sdgbridge"),
         ("into the region's store", "postgres-populated", "sqlite-populated"),
         ("one value changed", "postgres-update", "sdgbridge-update"))
TARGET_PG_VS_SQLITE = 3.0
TARGET_ONE_VALUE_S = 1.0  # a release with one value changed, on either database: at most


def pg_ratios(best: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for label, pg, lite in PAIRS:
        if pg in best and lite in best:
            value = float(best[pg]["wall_s"]) / float(best[lite]["wall_s"])  # type: ignore[arg-type]
            out[f"postgres_vs_sqlite {label}"] = {
                "value": value, "target": f"<= {TARGET_PG_VS_SQLITE:g}",
                "pass": value <= TARGET_PG_VS_SQLITE}
    for label, name in (("SQLite", "sdgbridge-update"), ("PostgreSQL", "postgres-update")):
        if name in best:
            wall = float(best[name]["wall_s"])  # type: ignore[arg-type]
            out[f"one_value_release_s {label}"] = {
                "value": wall, "target": f"<= {TARGET_ONE_VALUE_S:g} s",
                "pass": wall <= TARGET_ONE_VALUE_S}
    return out

"""A store made by the first code (``tests/data/stores/first_schema.sqlite.gz``, see its README)
opens with the current code: it is upgraded to the current schema, exactly, and its data
survives; a backup of it restores into a current store."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from sdgbridge.config import Settings
from sdgbridge.db.backup import backup, code_head, restore
from sdgbridge.db.engine import current_revision, make_engine, upgrade
from sdgbridge.db.tables import include_search_index, metadata
from sdgbridge.query.observations import ObservationQuery, query_observations
from sdgbridge.web.app import create_app
from tests.helpers import SPECIMENS, snapshot

FIRST = SPECIMENS / "stores" / "first_schema.sqlite.gz"


def schema_diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(
            conn, opts={"include_name": include_search_index}), metadata))


def first_store(tmp_path: Path) -> Path:
    path = tmp_path / "first.sqlite"
    with gzip.open(FIRST) as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def test_fixture_is_small_and_of_the_first_schema(tmp_path: Path) -> None:
    assert FIRST.stat().st_size < 64_000
    old = make_engine(f"sqlite:///{first_store(tmp_path)}", migrate=False)
    assert current_revision(old) == "0001"
    assert schema_diffs(old)  # not today's schema: there is something to upgrade
    old.dispose()


def test_first_schema_store_upgrades_with_its_data(tmp_path: Path) -> None:
    url = f"sqlite:///{first_store(tmp_path)}"
    old = make_engine(url, migrate=False)
    before = snapshot(old)
    old.dispose()
    assert before == {"release": 1, "observation": 71, "series": 2, "dimension_set": 6,
                      "area": 286, "current": 71}
    engine = make_engine(url)
    assert current_revision(engine) == code_head()
    assert schema_diffs(engine) == []
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.execute(text("SELECT source, rows_loaded, rows_repeated FROM release")
                            ).one() == ("first-schema specimen", 71, 0)
    water = query_observations(engine, ObservationQuery(series=["SH_H2O_SAFE"], areas=["KAZ"]))
    # tests/data/ddf/ddf--datapoints--sh_h2o_safe--…csv, geo_area 398
    assert dict(zip(water["period"], water["value"], strict=True)) == {
        "2000": 63.10208, "2015": 86.08145, "2020": 89.33464, "2021": 89.34997}
    with TestClient(create_app(Settings(database_url="sqlite:///unused.db"),
                               engine=engine)) as client:
        releases = client.get("/api/v1/releases").json()
        assert [r["source"] for r in releases["rows"]] == ["first-schema specimen"]
        poverty = client.get("/api/v1/observations?series=SI_POV_DAY1&areas=KAZ").json()
        assert {(o["period"], o["value"]) for o in poverty["rows"]} >= {("2005", 7.94506)}
    engine.dispose()


def test_first_schema_backup_restores_into_a_current_store(tmp_path: Path) -> None:
    manifest = backup(f"sqlite:///{first_store(tmp_path)}", tmp_path / "bk")
    assert manifest.alembic_revision == "0001" and manifest.row_counts["observation"] == 71
    url = f"sqlite:///{tmp_path / 'current.db'}"
    assert restore(tmp_path / "bk", url).revision == code_head()
    engine = make_engine(url)
    assert schema_diffs(engine) == [] and snapshot(engine)["observation"] == 71
    engine.dispose()


def test_a_store_of_the_released_0001_upgrades_unchanged(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}", migrate=False)
    upgrade(engine, "0001")
    upgrade(engine)
    assert current_revision(engine) == code_head() and schema_diffs(engine) == []
    engine.dispose()

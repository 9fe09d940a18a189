"""Fixtures: every test that takes ``engine`` runs on SQLite and on PostgreSQL.

SQLite: a fresh file per test, copied from one migrated template. PostgreSQL: one fresh
database per test run (on the server named by SDGBRIDGE_TEST_POSTGRES_URL, or a throwaway
server), migrated once, with every table emptied between tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from sdgbridge.config import Settings
from sdgbridge.db.engine import make_engine
from sdgbridge.db.tables import metadata
from sdgbridge.reference import seed_store
from sdgbridge.testing import fresh_database, postgres_server

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    """With SDGBRIDGE_REQUIRE_SHARED set (CI), a missing ``../shared/data`` stops the run at
    once, saying so, rather than skipping the real-data tests."""
    if os.environ.get("SDGBRIDGE_REQUIRE_SHARED") and not SHARED.exists():
        raise pytest.UsageError(f"SDGBRIDGE_REQUIRE_SHARED is set but {SHARED} is missing: "
                                "put the shared data beside the repository.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without ``../shared/data`` the tests that read the real data (those taking the
    ``shared`` fixture or marked ``shared_data``) are skipped, saying why; the rest run on the
    specimens in ``tests/data``. CI sets SDGBRIDGE_REQUIRE_SHARED=1: there a missing folder
    is an error, never a silent skip."""
    if SHARED.exists():
        return
    skip = pytest.mark.skip(reason=f"reads the real data in {SHARED}, which is missing")
    for item in items:
        if "shared" in getattr(item, "fixturenames", ()) or item.get_closest_marker(
                "shared_data"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.exists():
        pytest.fail(f"The shared data folder {SHARED} is missing: the tests read real data "
                    "from ../shared/data beside the repository.")
    return SHARED


@pytest.fixture
def settings(shared: Path) -> Settings:
    """The default settings: the IATI schema and complete code lists shipped with the package
    (the official files, held equal to ``../shared/data/iati`` by
    ``tests/projects/iati/test_codelists.py``). It takes ``shared``: the tests that use it
    import real IATI files from there."""
    return Settings()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    seed_store(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as server, fresh_database(server) as url:
        engine = make_engine(url)
        seed_store(engine)
        engine.dispose()
        yield url


REFERENCE = {"goal", "target", "indicator", "framework_title", "area", "area_group",
             "group_member", "alembic_version"}


def _reset_postgres(engine: Engine) -> None:
    """Empty the data tables and drop what tests added to the reference tables."""
    names = [t.name for t in metadata.sorted_tables if t.name not in REFERENCE]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        conn.execute(text("DELETE FROM group_member WHERE group_code IN "
                          "(SELECT code FROM area_group WHERE kind = 'user')"))
        conn.execute(text("DELETE FROM area_group WHERE kind = 'user'"))
        conn.execute(text("DELETE FROM area WHERE source IS NULL OR source NOT LIKE 'UNSD M49%'"))
        conn.execute(text("DELETE FROM indicator WHERE NOT in_framework"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        eng = make_engine(request.getfixturevalue("postgres_url"))
        _reset_postgres(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "store.db"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()

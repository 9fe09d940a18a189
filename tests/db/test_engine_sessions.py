"""PostgreSQL sessions of sdgbridge end statements whose client is gone, and long ones.

Issue 13, finding 2: a killed ingest kept running on the server, holding the locks that
blocked the next one.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from sdgbridge.config import Settings
from sdgbridge.db.engine import make_engine


@pytest.mark.postgres
def test_postgres_sessions_check_the_client_and_time_out(postgres_url: str) -> None:
    engine = make_engine(postgres_url, migrate=False, statement_timeout=0.5)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "500ms"
            if conn.exec_driver_sql("SHOW server_version_num").scalar_one() >= "140000":
                assert conn.exec_driver_sql(
                    "SHOW client_connection_check_interval").scalar_one() == "5s"
            with pytest.raises(OperationalError, match="statement timeout"):
                conn.exec_driver_sql("SELECT pg_sleep(3)")
            conn.rollback()
        with engine.connect() as conn:  # a pooled connection keeps its settings
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "500ms"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_no_statement_timeout_unless_set(postgres_url: str) -> None:
    engine = make_engine(postgres_url, migrate=False, statement_timeout=0)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "0"
    finally:
        engine.dispose()


def test_statement_timeout_setting_defaults_to_ten_minutes() -> None:
    assert Settings().statement_timeout == 600.0

"""PostgreSQL sessions of sdgbridge end statements whose client is gone, and long ones.

Issue 13, finding 2: a killed ingest kept running on the server, holding the locks that
blocked the next one.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from sdgbridge.config import Settings
from sdgbridge.db.bulk import unchecked_references
from sdgbridge.db.engine import CHECK_INTERVAL_MS, make_engine


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


KILLED = """
from sdgbridge.db.engine import make_engine
with make_engine({url!r}, migrate=False).connect() as conn:
    conn.exec_driver_sql("SELECT pg_sleep(60) AS {tag}")
"""


@pytest.mark.postgres
def test_a_killed_clients_statement_ends_on_the_server(postgres_url: str) -> None:
    """kill -9 of a client in the middle of a statement: the server ends the statement
    within client_connection_check_interval, instead of running on with its locks."""
    tag = f"killed_{uuid.uuid4().hex[:8]}"
    engine = make_engine(postgres_url, migrate=False)
    watch = text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE :q "
                 "AND state = 'active' AND pid <> pg_backend_pid()")

    def running(conn) -> int:  # pg_stat_activity is a snapshot per transaction
        n = conn.execute(watch, {"q": f"%AS {tag}%"}).scalar_one()
        conn.rollback()
        return int(n)

    proc = subprocess.Popen([sys.executable, "-c", KILLED.format(url=postgres_url, tag=tag)])
    try:
        with engine.connect() as conn:
            if conn.exec_driver_sql("SHOW server_version_num").scalar_one() < "140000":
                pytest.skip("client_connection_check_interval needs PostgreSQL 14")
            deadline = time.monotonic() + 20
            while not running(conn):
                assert time.monotonic() < deadline, "the statement never started"
                time.sleep(0.1)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            deadline = time.monotonic() + CHECK_INTERVAL_MS / 1000 + 5
            while running(conn):
                assert time.monotonic() < deadline, "the killed client's statement runs on"
                time.sleep(0.2)
    finally:
        proc.kill()
        engine.dispose()


@pytest.mark.postgres
def test_foreign_key_checks_stay_on_for_roles_not_allowed_to_skip_them(
        postgres_url: str) -> None:
    """A role that may not set session_replication_role keeps the checks, and the ingest's
    transaction goes on (the refused SET is undone by its savepoint)."""
    engine = make_engine(postgres_url, migrate=False)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("DO $$ BEGIN CREATE ROLE sdgbridge_plain NOLOGIN; "
                                 "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
            conn.commit()
            with conn.begin():
                with unchecked_references(conn) as off:
                    assert off is True  # the test server's user is a superuser
                    assert conn.exec_driver_sql(
                        "SHOW session_replication_role").scalar_one() == "replica"
                assert conn.exec_driver_sql(
                    "SHOW session_replication_role").scalar_one() == "origin"
                conn.exec_driver_sql("SET LOCAL ROLE sdgbridge_plain")
                with unchecked_references(conn) as off:
                    assert off is False
                assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
                assert conn.exec_driver_sql(
                    "SHOW session_replication_role").scalar_one() == "origin"
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql("DROP ROLE IF EXISTS sdgbridge_plain")
            conn.commit()
        engine.dispose()

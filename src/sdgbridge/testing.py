"""Helpers for tests (ours and downstream): a PostgreSQL server to test against.

:func:`postgres_server` yields the URL of a server: the one named by
``SDGBRIDGE_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
when it answers, else a throwaway server started from Debian's PostgreSQL packages in a
temporary folder on a free port, stopped afterwards. :func:`fresh_database` creates a new,
uniquely named database on that server for one test run and drops it at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _answers(url: str) -> bool:
    u = make_url(url)
    try:
        with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username,
                             password=u.password, dbname=u.database, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(
            "No PostgreSQL server answers and none is installed to start: install Debian's "
            "postgresql package (apt-get install postgresql) or set SDGBRIDGE_TEST_POSTGRES_URL."
        )
    return found[-1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and pg_ctl refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a private PostgreSQL server; yield its URL; stop and delete it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="sdgbridge-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data), "-A", "trust",
                                 "-U", "postgres"]), check=True, capture_output=True)
    subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-l",
                                 str(folder / "log"), "-w", "-o",
                                 f"-p {port} -k {folder} -h 127.0.0.1", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-m", "fast",
                                     "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    url = os.environ.get("SDGBRIDGE_TEST_POSTGRES_URL", DEFAULT_URL)
    if _answers(url):
        yield url
    else:
        with throwaway_postgres() as started:
            yield started


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new database on the server for this run, dropped afterwards."""
    u = make_url(server_url)
    name = f"sdgbridge_test_{uuid.uuid4().hex[:12]}"
    admin: dict[str, Any] = dict(host=u.host, port=u.port or 5432, user=u.username,
                                 password=u.password, dbname=u.database, autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield u.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

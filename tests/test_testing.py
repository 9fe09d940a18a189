"""The PostgreSQL helpers the suite relies on when no server answers."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from sdgbridge.testing import fresh_database, throwaway_postgres


def test_throwaway_server_starts_serves_and_goes_away() -> None:
    with throwaway_postgres() as server, fresh_database(server) as url:
        u = make_url(url)
        with psycopg.connect(host=u.host, port=u.port, user=u.username,
                             dbname=u.database) as conn:
            assert conn.execute("SELECT 1 + 1").fetchone() == (2,)
        port = u.port
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                        connect_timeout=2)

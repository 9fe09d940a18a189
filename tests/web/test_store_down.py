"""Issue 13, finding 9: a store that does not answer is 503 with ``Retry-After``, in the
API's error shape (and on an error page for the pages), not a plain-text 500."""

from __future__ import annotations

import asyncio
import socket

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError

from sdgbridge.config import Settings
from sdgbridge.web import app as web_app
from sdgbridge.web.app import create_app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket closes


@pytest.fixture
def client() -> TestClient:
    # A PostgreSQL server that is gone: every connection is refused.
    url = f"postgresql+psycopg://sdg@127.0.0.1:{_closed_port()}/gone?connect_timeout=2"
    app = create_app(Settings(database_url=url), engine=create_engine(url))
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("path", ["/api/v1/goals", "/api/v1/releases",
                                  "/api/v1/observations?series=EG_ACS_ELEC&areas=KAZ",
                                  "/api/v1/projects"])
def test_the_api_answers_503_in_its_error_shape(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    body = r.json()
    assert (body["ok"], body["status"], body["errors"]) == (False, 503, [])
    assert body["error"].startswith("The database is not answering")


def test_a_page_answers_503_on_the_error_page(client: TestClient) -> None:
    r = client.get("/country/KAZ")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.headers["content-type"].startswith("text/html")
    assert "The database is not answering" in r.text


def test_other_database_errors_stay_server_errors() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/api/v1/goals",
                       "headers": [], "query_string": b""})
    fault = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    with pytest.raises(IntegrityError):
        asyncio.run(web_app._store_error(request, fault))


def test_a_write_to_a_full_store_is_507_and_writes_nothing(sqlite_engine: Engine) -> None:
    """SQLite's SQLITE_FULL (a full disk, here a store not allowed to grow by a page) is
    507 in the API's error shape, saying nothing was written; the store is as before."""
    with sqlite_engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar_one()

    @event.listens_for(sqlite_engine, "connect")
    def _no_room(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    sqlite_engine.dispose()
    token = "full-disk-token-0123456789abcdef"
    app = create_app(Settings(database_url="sqlite:///unused.db", api_token=token),
                     engine=sqlite_engine)
    client = TestClient(app, raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {token}"}
    before = client.get("/api/v1/organisations", headers=auth).json()["total"]
    body = {"name_en": "A" * 900, "type": "21", "name_ru": "Б" * 900,
            "contacts": [{"name": "C" * 900, "email": "c@example.org"}] * 20}
    r = client.post("/api/v1/organisations", json=body, headers=auth)
    assert r.status_code == 507, r.text
    assert r.json()["ok"] is False and "Nothing was written" in r.json()["error"]
    assert client.get("/api/v1/organisations", headers=auth).json()["total"] == before


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/v1/organisations"),  # the key is looked up before the body is read
    ("POST", "/api/v1/align"),  # a key lifts the rate limit: looked up by the throttle
])
def test_a_key_looked_up_in_a_store_that_is_down_is_503(client: TestClient, method: str,
                                                        path: str) -> None:
    r = client.request(method, path, json={"name_en": "X", "type": "21", "text": "water"},
                       headers={"Authorization": "Bearer sdg_" + "k" * 43})
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    assert r.json() == {"ok": False, "error": r.json()["error"], "errors": [], "status": 503}

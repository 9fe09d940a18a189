"""Issue 13, finding 3: bodies over ``max_body_bytes`` are refused (413, the API's error
shape) without being read; a write's token is checked before its body is read; a request
head over ``max_header_bytes`` is refused by the server ``sdgbridge serve`` runs."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.web.app import create_app
from sdgbridge.web.protocol import HeadLimitHttpTools
from tests.helpers import IATI_CODELISTS

TOKEN = "k7Jx-2vQp_9ZsLw4Rt8YbN3mHc6FdGe1"
LIMIT = 4096


def _app(engine: Engine, **more: Any) -> FastAPI:
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                        api_token=TOKEN, max_body_bytes=LIMIT, **more)
    return create_app(settings, engine=engine)


@pytest.fixture
def client(sqlite_engine: Engine) -> Iterator[TestClient]:
    with TestClient(_app(sqlite_engine)) as c:
        yield c


def _is_413(r: Any) -> None:
    assert r.status_code == 413, r.text
    body = r.json()
    assert (body["ok"], body["status"], body["errors"]) == (False, 413, [])
    assert "4,096 bytes" in body["error"] and "max_body_bytes" in body["error"]


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_a_body_over_the_limit_by_its_length_is_413(client: TestClient) -> None:
    _is_413(client.post("/api/v1/align", content=b"x" * (LIMIT + 1),
                        headers={"content-type": "application/json"}))
    _is_413(client.post("/api/v1/organisations", content=b"x" * (LIMIT + 1), headers=AUTH))


def test_a_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b"x" * 1024

    r = client.post("/api/v1/align", content=chunks(),
                    headers={"content-type": "application/json"})
    _is_413(r)


def test_a_body_under_the_limit_goes_through(client: TestClient) -> None:
    r = client.post("/api/v1/organisations", json={"name_en": "x"}, headers=AUTH)
    assert r.status_code == 422  # read and checked by the route


def _call(app: FastAPI, method: str, path: str, headers: list[tuple[bytes, bytes]]
          ) -> tuple[int, bool]:
    """Call ``app`` as a server would; the status and whether the body was read."""
    read = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read = True
        return {"type": "http.request", "body": b'{"name_en": "x"}', "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": [(b"content-type", b"application/json"),
                                              *headers],
             "root_path": "", "scheme": "http", "server": ("t", 80), "client": ("c", 1),
             "http_version": "1.1", "asgi": {"version": "3.0"}, "state": {}}
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return status, read


@pytest.mark.parametrize("headers", [[], [(b"authorization", b"Bearer wrong-token")]])
@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/v1/organisations"), ("PATCH", "/api/v1/projects/XM-1/a"),
    ("POST", "/api/v1/documents"), ("POST", "/api/v1/documents/3/tags")])
def test_a_write_without_the_token_is_refused_before_its_body_is_read(
        sqlite_engine: Engine, method: str, path: str,
        headers: list[tuple[bytes, bytes]]) -> None:
    assert _call(_app(sqlite_engine), method, path, headers) == (401, False)


def test_a_public_post_and_a_write_with_the_token_read_their_body(
        sqlite_engine: Engine) -> None:
    app = _app(sqlite_engine)
    assert _call(app, "POST", "/api/v1/organisations",
                 [(b"authorization", f"Bearer {TOKEN}".encode())]) == (422, True)
    assert _call(app, "POST", "/api/v1/align", [])[1] is True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ask(port: int, head: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(head)
        except OSError:  # the server may close while the head is still being sent
            pass
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"close" in answer:
                break
        return answer


def test_a_head_over_the_limit_is_refused_by_the_served_protocol(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", max_header_bytes=8192)
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                            http=HeadLimitHttpTools, loop="asyncio", log_level="warning",
                            h11_max_incomplete_event_size=settings.max_header_bytes)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        big = b"GET /api/v1/releases HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000
        answer = _ask(port, big + b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
        assert b'"max_header_bytes setting' in answer or b"max_header_bytes" in answer
        small = b"GET /api/v1/releases HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        assert _ask(port, small + b"X-Ok: " + b"a" * 4000 + b"\r\n\r\n").startswith(
            b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(10)


def test_every_write_in_the_openapi_document_is_checked_first(sqlite_engine: Engine) -> None:
    app = _app(sqlite_engine)
    writes = [(method.upper(), path.replace("{key}", "K").replace("{identifier}", "I")
               .replace("{doc_id}", "3").replace("{request_id}", "1"))
              for path, ops in app.openapi()["paths"].items()
              for method, op in ops.items() if op.get("security")]
    assert len(writes) >= 8
    for method, path in writes:
        assert _call(app, method, path, []) == (401, False), (method, path)

"""The interactive API docs are served from the package's own static files, never a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sdgbridge.config import Settings
from sdgbridge.web import app as web_app
from sdgbridge.web.app import create_app

built = pytest.mark.skipif(not (web_app.SWAGGER_DIR / "swagger-ui-bundle.js").exists(),
                           reason="Swagger UI not built: run `make assets`")


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 's.db'}")))


@built
def test_docs_load_only_local_files(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and '<html lang="en">' in page.text
    urls = re.findall(r'(?:href|src)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert "'/api/v1/openapi.json'" in page.text and '"validatorUrl": null' in page.text
    assert "/api/docs" not in client.get("/api/v1/openapi.json").json()["paths"]


def test_docs_not_built_say_what_to_do(client: TestClient, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_app, "SWAGGER_DIR", tmp_path / "missing")
    page = client.get("/api/docs")
    assert page.status_code == 503 and "make assets" in page.text


def test_the_site_has_its_icon(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert int.from_bytes(icon.content[4:6], "little") == 3  # 16, 32 and 48 px
    assert client.get("/static/favicon.svg").text.startswith("<svg")
    page = client.get("/roadmaps")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text

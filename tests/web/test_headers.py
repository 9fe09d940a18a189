"""Issue 13, finding 6: security headers on every answer (pages, API, static files, errors,
refusals before the app) and a CSP that runs only the API docs' own inline script."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sdgbridge.config import Settings
from sdgbridge.web import app as web_app
from sdgbridge.web.app import create_app
from sdgbridge.web.headers import CSP


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 's.db'}",
                                          max_body_bytes=100)))


def _secure(headers: dict[str, str] | object, csp: str = CSP) -> None:
    h = headers
    assert h["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert h["x-frame-options"] == "DENY"  # type: ignore[index]
    assert h["referrer-policy"] == "same-origin"  # type: ignore[index]
    assert h["content-security-policy"] == csp  # type: ignore[index]


@pytest.mark.parametrize("path", ["/", "/api/v1/goals", "/api/v1/openapi.json",
                                  "/static/site.css", "/nowhere", "/api/v1/nowhere",
                                  "/api/v1/observations?series=EG_ACS_ELEC&areas=KAZ"])
def test_every_answer_has_the_headers(client: TestClient, path: str) -> None:
    _secure(client.get(path).headers)


def test_a_refusal_before_the_app_has_them_too(client: TestClient) -> None:
    r = client.post("/api/v1/align", content=b"x" * 200)
    assert r.status_code == 413
    _secure(r.headers)


def test_the_policy_allows_only_the_servers_own_scripts_and_no_framing() -> None:
    assert "script-src 'self';" in CSP and "frame-ancestors 'none'" in CSP
    assert "default-src 'self'" in CSP and "object-src 'none'" in CSP
    assert "unsafe-eval" not in CSP and "'unsafe-inline'" not in CSP.split("style-src")[0]


@pytest.mark.skipif(not (web_app.SWAGGER_DIR / "swagger-ui-bundle.js").exists(),
                    reason="Swagger UI not built: run `make assets`")
def test_the_api_docs_run_their_one_inline_script_by_its_hash(client: TestClient) -> None:
    r = client.get("/api/docs")
    (script,) = re.findall(r"<script>(.*?)</script>", r.text, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]

"""Bearer-token writes: 503 without a configured token, 401 without or with a wrong one,
weak tokens refused at start-up (and `sdgbridge serve` refuses to start)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.config import Settings, load_settings
from sdgbridge.errors import ConfigError
from sdgbridge.projects.orgs import list_orgs
from sdgbridge.web import auth
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS

TOKEN = "k7Jx-2vQp_9ZsLw4Rt8YbN3mHc6FdGe1"
ORG = {"name_en": "Aral Sea basin programme", "type": "40", "ref": "XM-TEST-0001"}
CODELISTS = IATI_CODELISTS


def _client(engine: Engine, token: str | None) -> TestClient:
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=CODELISTS,
                        api_token=token)
    return TestClient(create_app(settings, engine=engine))


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with _client(engine, TOKEN) as c:
        yield c


def test_no_token_configured_is_503_and_writes_nothing(engine: Engine) -> None:
    with _client(engine, None) as c:
        r = c.post("/api/v1/organisations", json=ORG,
                   headers={"Authorization": f"Bearer {TOKEN}"})
        assert c.get("/api/v1/organisations").status_code == 200  # reads stay public
    assert r.status_code == 503
    body = r.json()
    assert (body["ok"], body["status"], body["errors"]) == (False, 503, [])
    assert body["error"].startswith("This server is read-only: no API token is configured.")
    assert "SDGBRIDGE_API_TOKEN" in body["error"] and "secrets.token_urlsafe(32)" in body["error"]
    assert list_orgs(engine).height == 0


@pytest.mark.parametrize(("header", "start"), [
    (None, "This endpoint changes data: send the server's API token"),
    ({"Authorization": f"Basic {TOKEN}"}, "This endpoint changes data"),
    ({"Authorization": f"Bearer {TOKEN[:-1]}x"}, "Wrong API token."),
    ({"Authorization": "Bearer "}, "This endpoint changes data"),
])
def test_missing_or_wrong_token_is_401(client: TestClient, engine: Engine,
                                       header: dict[str, str] | None, start: str) -> None:
    r = client.post("/api/v1/organisations", json=ORG, headers=header or {})
    assert r.status_code == 401
    body = r.json()
    assert (body["ok"], body["status"]) == (False, 401)
    assert body["error"].startswith(start)
    assert "Authorization: Bearer <token>" in body["error"]
    assert list_orgs(engine).height == 0


def test_right_token_writes_and_is_compared_in_constant_time(
        client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = auth.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    r = client.post("/api/v1/organisations", json=ORG,
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 201, r.text
    assert r.json() == {"ok": True, "key": "XM-TEST-0001"}
    # Before the body is read (sdgbridge.web.limits.TokenFirst), and by the route's dependency.
    assert compared == [(TOKEN.encode(), TOKEN.encode())] * 2
    assert list_orgs(engine)["ref"].to_list() == ["XM-TEST-0001"]


def test_token_checked_before_the_body(client: TestClient) -> None:
    r = client.post("/api/v1/organisations", json={"nonsense": 1})
    assert r.status_code == 401


@pytest.mark.parametrize(("token", "problem"), [
    ("changethis", "the token is a known placeholder"),
    ("CHANGETHIS-changethis-changethis", "the token is a known placeholder"),
    ("secretsecretsecretsecretsecret", "the token is a known placeholder"),
    ("Xy3-short", "the token is 9 characters long; at least 24 are needed"),
    ("ab" * 20, "the token repeats too few different characters"),
    ("k7Jx 2vQp 9ZsL w4Rt 8YbN 3mHc", "the token contains white space"),
])
def test_weak_tokens_are_refused(monkeypatch: pytest.MonkeyPatch, token: str,
                                 problem: str) -> None:
    monkeypatch.setenv("SDGBRIDGE_API_TOKEN", token)
    with pytest.raises(ConfigError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith(f"Invalid settings: api_token: {problem}")
    assert message.endswith('generate one with `python -c "import secrets; '
                            'print(secrets.token_urlsafe(32))"` and set it as '
                            "SDGBRIDGE_API_TOKEN")
    assert token not in message  # the secret is not echoed


def test_a_strong_token_is_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBRIDGE_API_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


def test_serve_refuses_to_start_with_a_default_token(tmp_path: Path) -> None:
    env = {**os.environ, "SDGBRIDGE_API_TOKEN": "changethis",
           "SDGBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}"}
    done = subprocess.run([sys.executable, "-m", "sdgbridge", "serve", "--port", "0"],
                          env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: Invalid settings: api_token: the token is a known "
                                  "placeholder; generate one with")
    assert not (tmp_path / "never.db").exists()

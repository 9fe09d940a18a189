"""Signing in on the web (issue 14): the form and its token, a session cookie that is
HTTP-only and SameSite, wrong passwords and lockout on the page, sign-out, invitation and
reset links (mailed through the outbox), one's own account and API keys."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from sdgbridge.accounts import keys, users
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.web.app import create_app
from sdgbridge.web.session import FORM_COOKIE, SESSION_COOKIE
from tests.helpers import IATI_CODELISTS

PASSWORD = "correct horse battery staple"
ORG = "XM-DAC-41114"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    create_org(engine, name_en="UNDP", type="40", ref=ORG,
               codelists=load_codelists(IATI_CODELISTS))
    users.create_account(engine, "ed@undp.org", "Ed", languages="ru,en")
    users.set_membership(engine, "ed@undp.org", ORG, "partner_editor")
    users.set_password(engine, "ed@undp.org", PASSWORD)
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                        public_url="https://sdg.example.org", secure_cookies=False,
                        sign_in_max_failures=3)
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c


def _token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _sign_in(client: TestClient, password: str = PASSWORD, email: str = "ed@undp.org",
             next_: str = "/account") -> object:
    form = client.get("/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password, "next": next_,
                                         "csrf": _token(form.text)}, follow_redirects=False)


def test_sign_in_sets_a_protected_cookie_and_shows_the_account(client: TestClient) -> None:
    answer = _sign_in(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/account")
    assert page.status_code == 200
    assert "ed@undp.org" in page.text and "UNDP" in page.text
    assert "partner editor" in page.text
    assert PASSWORD not in page.text
    home = client.get("/")
    assert "Sign out" in home.text and 'href="/sign-in' not in home.text


def test_a_wrong_password_is_refused_on_the_form_and_locks_after_three(
        client: TestClient, engine: Engine) -> None:
    for _ in range(2):
        answer = _sign_in(client, "not the password at all")
        assert answer.status_code == 401
        assert "Wrong email or password" in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    locked = _sign_in(client, "not the password at all")
    assert locked.status_code == 401
    answer = _sign_in(client)  # the right password, but locked now
    assert answer.status_code == 401 and "locked" in answer.text
    unknown = _sign_in(client, email="nobody@undp.org")
    assert unknown.status_code == 401 and "Wrong email or password" in unknown.text
    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(t.audit_event.c.action).where(
            t.audit_event.c.record_key == "ed@undp.org"))]
    assert actions.count("sign_in_refused") == 2 and "locked" in actions


def test_a_form_without_its_token_is_refused(client: TestClient) -> None:
    client.get("/sign-in")
    for token in (None, "forged"):
        data = {"email": "ed@undp.org", "password": PASSWORD}
        if token:
            data["csrf"] = token
        answer = client.post("/sign-in", data=data, follow_redirects=False)
        assert answer.status_code in (403, 422)
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    fresh = TestClient(client.app)  # no form cookie at all
    answer = fresh.post("/sign-in", data={"email": "ed@undp.org", "password": PASSWORD,
                                          "csrf": "x" * 43}, follow_redirects=False)
    assert answer.status_code == 403 and "security token" in answer.text


def test_next_never_leaves_the_site(client: TestClient) -> None:
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = _sign_in(client, next_=evil)
        assert answer.headers["location"] == "/account"
    assert _sign_in(client, next_="/country/KAZ").headers["location"] == "/country/KAZ"


def test_sign_out_ends_the_session(client: TestClient, engine: Engine) -> None:
    _sign_in(client)
    page = client.get("/account")
    out = client.post("/sign-out", data={"csrf": _token(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    with engine.connect() as conn:
        assert conn.execute(select(t.web_session)).first() is None
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_account_needs_a_session(client: TestClient) -> None:
    answer = client.get("/account", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Faccount"


def _outbox(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(t.mail_outbox)).mappings()]


def test_an_invitation_is_mailed_and_sets_the_password(client: TestClient,
                                                       engine: Engine) -> None:
    users.create_account(engine, "new@undp.org", "Nadia", languages="ru")
    settings = client.app.state.settings  # type: ignore[attr-defined]
    users.invite(engine, "new@undp.org", settings, mail=True)
    [message] = _outbox(engine)
    assert message["to_address"] == "new@undp.org"
    assert message["subject"] == "Ваша учётная запись sdgbridge"  # her language
    link = re.search(r"https://sdg\.example\.org(/invitation/\S+)", str(message["body"]))
    assert link, message["body"]
    form = client.get(link.group(1))
    assert form.status_code == 200
    differ = client.post(link.group(1), data={"password": PASSWORD, "again": PASSWORD + "!",
                                             "csrf": _token(form.text)})
    assert differ.status_code == 422 and "differ" in differ.text
    short = client.post(link.group(1), data={"password": "short", "again": "short",
                                            "csrf": _token(form.text)})
    assert short.status_code == 400 and "at least 12" in short.text  # the link still works
    done = client.post(link.group(1), data={"password": PASSWORD, "again": PASSWORD,
                                           "csrf": _token(form.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert "new@undp.org" in client.get("/account").text
    other = TestClient(client.app)  # someone else with the same link, later
    again = other.post(link.group(1), data={"password": PASSWORD, "again": PASSWORD,
                                           "csrf": _token(other.get(link.group(1)).text)})
    assert again.status_code == 400 and "used already" in again.text


def test_a_reset_answers_the_same_for_anyone(client: TestClient, engine: Engine) -> None:
    texts = []
    for email in ("ed@undp.org", "nobody@undp.org"):
        form = client.get("/reset")
        answer = client.post("/reset", data={"email": email, "csrf": _token(form.text)})
        assert answer.status_code == 200
        texts.append(answer.text)
    assert texts[0] == texts[1]
    [message] = _outbox(engine)
    assert message["to_address"] == "ed@undp.org" and "/reset/" in str(message["body"])


def test_own_api_keys_are_made_shown_once_and_revoked(client: TestClient,
                                                      engine: Engine) -> None:
    _sign_in(client)
    page = client.get("/account")
    made = client.post("/account/keys", data={"csrf": _token(page.text), "name": "laptop",
                                              "scope": ["read", "write"], "days": "30"})
    assert made.status_code == 200
    secret = re.search(r'<code class="secret">(sdg_[^<]+)</code>', made.text)
    assert secret
    assert client.get("/account").text.count(secret.group(1)) == 0  # shown once
    [row] = keys.list_keys(engine, "ed@undp.org").to_dicts()
    assert row["scopes"] == "read,write" and row["organisation"] == ORG
    answer = client.post(f"/account/keys/{row['id']}/revoke",
                         data={"csrf": _token(made.text)}, follow_redirects=False)
    assert answer.status_code == 303
    assert keys.list_keys(engine, "ed@undp.org")["state"].to_list() == ["revoked"]
    refused = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert refused.status_code == 401


def test_the_form_cookie_is_strict(client: TestClient) -> None:
    fresh = TestClient(client.app)
    answer = fresh.get("/sign-in")
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith(FORM_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_the_library_messages_read_in_the_page_language(client: TestClient,
                                                         engine: Engine) -> None:
    client.get("/sign-in?lang=ru")  # the cookie keeps Russian for the form's answers
    wrong = _sign_in(client, "not the password at all")
    assert wrong.status_code == 401
    assert "Неверный адрес электронной почты или пароль" in wrong.text
    assert "Wrong email or password" not in wrong.text
    _sign_in(client, "not the password at all")
    _sign_in(client, "not the password at all")  # the third: locked
    locked = _sign_in(client)
    assert locked.status_code == 401
    assert re.search(r"Учётная запись заблокирована до \d\d:\d\d UTC", locked.text)
    client.get("/sign-in?lang=en")
    assert "This account is locked after too many wrong passwords" in _sign_in(client).text


def test_an_invitation_refuses_a_short_password_in_russian(client: TestClient,
                                                           engine: Engine) -> None:
    users.create_account(engine, "new@undp.org", "Nadia", languages="ru")
    value = users.invite(engine, "new@undp.org", client.app.state.settings)  # type: ignore[attr-defined]
    form = client.get(f"/invitation/{value}?lang=ru")
    differ = client.post(f"/invitation/{value}", data={
        "password": PASSWORD, "again": PASSWORD + "!", "csrf": _token(form.text)})
    assert differ.status_code == 422 and "Пароли не совпадают" in differ.text
    short = client.post(f"/invitation/{value}", data={"password": "short", "again": "short",
                                                      "csrf": _token(form.text)})
    assert short.status_code == 400
    assert "Пароль слишком короткий (символов: 5); нужно не меньше 12" in short.text
    assert "The password has" not in short.text
    done = client.post(f"/invitation/{value}", data={
        "password": PASSWORD, "again": PASSWORD, "csrf": _token(form.text)},
        follow_redirects=False)
    assert done.status_code == 303
    form = client.get(f"/invitation/{value}")  # signed in now: the session's token
    used = client.post(f"/invitation/{value}", data={"password": PASSWORD, "again": PASSWORD,
                                                     "csrf": _token(form.text)})
    assert used.status_code == 400 and "Это приглашение уже использовано" in used.text
    wrong = client.post("/reset/not-a-token", data={"password": PASSWORD, "again": PASSWORD,
                                                    "csrf": _token(form.text)})
    assert "Такая ссылка для сброса пароля неизвестна" in wrong.text
    assert "not known" not in wrong.text

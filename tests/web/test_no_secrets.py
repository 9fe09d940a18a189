"""Passwords, API keys and one-time links never appear in the logs, the pages, the API's
answers or the audit trail (issue 14): a whole round of an account's life is run (invited
by an administrator, sets a password, signs in, a wrong password, makes a key and uses it,
resets the password, the key revoked), every answer and every log record kept, then each
secret is searched for. A new key is shown once, on the page that made it: that is the
only place any secret may be."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from sdgbridge.accounts import users
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS

ADMIN_PASSWORD = "the administrator's long passphrase"
FIRST, SECOND, WRONG = "first chosen passphrase", "second chosen passphrase", "a wrong one!"


def _token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _mailed_link(engine: Engine, to: str, kind: str) -> str:
    with engine.connect() as conn:
        bodies = conn.execute(select(t.mail_outbox.c.body).where(
            t.mail_outbox.c.to_address == to).order_by(t.mail_outbox.c.id)).scalars().all()
    found = re.search(rf"http://testserver(/{kind}/\S+)", bodies[-1])
    assert found, bodies[-1]
    return found.group(1)


def test_no_secret_is_logged_shown_or_kept(engine: Engine,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    org = create_org(engine, name_en="UNDP", type="40", ref="XM-DAC-41114",
                     codelists=load_codelists(IATI_CODELISTS))
    users.create_account(engine, "root@centre.org", "Root", administrator=True)
    users.set_password(engine, "root@centre.org", ADMIN_PASSWORD)
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                        public_url="http://testserver", secure_cookies=False)
    app = create_app(settings, engine=engine)
    answers: list[str] = []

    def keep(answer: object) -> object:
        answers.append(f"{answer.headers}\n{answer.text}")  # type: ignore[attr-defined]
        return answer

    admin, nadia, api = TestClient(app), TestClient(app), TestClient(app)
    form = keep(admin.get("/sign-in"))
    keep(admin.post("/sign-in", data={"email": "root@centre.org", "password": ADMIN_PASSWORD,
                                      "csrf": _token(form.text)}))  # type: ignore[attr-defined]
    page = keep(admin.get("/admin"))
    keep(admin.post("/admin/invite", data={
        "csrf": _token(page.text), "email": "nadia@undp.org", "name": "Nadia",  # type: ignore[attr-defined]
        "organisation": str(org), "role": "partner_editor"}))
    invitation = _mailed_link(engine, "nadia@undp.org", "invitation")
    form = keep(nadia.get(invitation))
    keep(nadia.post(invitation, data={"password": FIRST, "again": FIRST,
                                      "csrf": _token(form.text)}))  # type: ignore[attr-defined]
    page = keep(nadia.get("/account"))
    made = nadia.post("/account/keys", data={"csrf": _token(page.text), "name": "script",  # type: ignore[attr-defined]
                                             "scope": ["read", "write"]})
    key = re.search(r'<code class="secret">(sdg_[^<]+)</code>', made.text)
    assert key, made.text[:1000]
    secret = key.group(1)
    assert made.text.count(secret) == 1  # shown once, where it was made
    bearer = {"Authorization": f"Bearer {secret}"}
    keep(api.get("/api/v1/documents", headers=bearer))
    keep(api.get("/api/v1/audit", headers=bearer))
    keep(api.patch("/api/v1/organisations/XM-DAC-41114", headers=bearer,
                   json={"name_ru": "ПРООН"}))
    keep(nadia.post("/sign-out", data={"csrf": _token(page.text)}))  # type: ignore[attr-defined]
    form = keep(nadia.get("/sign-in"))
    keep(nadia.post("/sign-in", data={"email": "nadia@undp.org", "password": WRONG,
                                      "csrf": _token(form.text)}))  # type: ignore[attr-defined]
    form = keep(nadia.get("/reset"))
    keep(nadia.post("/reset", data={"email": "nadia@undp.org", "csrf": _token(form.text)}))  # type: ignore[attr-defined]
    reset = _mailed_link(engine, "nadia@undp.org", "reset")
    form = keep(nadia.get(reset))
    keep(nadia.post(reset, data={"password": SECOND, "again": SECOND,
                                 "csrf": _token(form.text)}))  # type: ignore[attr-defined]
    listing = keep(admin.get("/admin/keys"))
    key_id = re.search(r"/admin/keys/(\d+)/revoke", listing.text)  # type: ignore[attr-defined]
    assert key_id
    keep(admin.post(f"/admin/keys/{key_id.group(1)}/revoke",
                    data={"csrf": _token(listing.text)}))  # type: ignore[attr-defined]
    refused = keep(api.get("/api/v1/audit", headers=bearer))
    assert refused.status_code == 401  # type: ignore[attr-defined]
    keep(admin.get("/api/v1/audit?limit=1000", headers=bearer))

    with engine.connect() as conn:
        trail = [str(dict(r)) for r in conn.execute(select(t.audit_event)).mappings()]
        stored = [str(dict(r)) for table in (t.account, t.api_key, t.web_session,
                                             t.one_time_link)
                  for r in conn.execute(select(table)).mappings()]
    logs = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records
                     if not r.name.startswith(("httpx", "httpcore")))  # the test's own client
    secrets = {"the administrator's password": ADMIN_PASSWORD, "a password": FIRST,
               "the new password": SECOND, "a wrong password": WRONG, "the API key": secret,
               "the invitation": invitation.rsplit("/", 1)[1],
               "the reset link": reset.rsplit("/", 1)[1]}
    places = {"the log": logs, "the pages and answers": "\n".join(answers),
              "the audit trail": "\n".join(trail), "the store": "\n".join(stored)}
    found = [(name, place) for name, value in secrets.items()
             for place, text in places.items() if value in text]
    where = {name: [text[max(0, text.find(secrets[name]) - 300):text.find(secrets[name]) + 80]
                    for place, text in places.items() if secrets[name] in text]
             for name, _ in found}
    assert not found, where
    assert "signed_in" in "\n".join(trail) and len(caplog.records) > 20  # it did look
    assert "/invitation/…" in logs  # the link's use is logged, its token is not

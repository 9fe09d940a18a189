"""``sdgbridge users …`` and ``sdgbridge keys …`` on the test's store: accounts with a role,
invitation links, hidden passwords, keys whose secret is printed once and never listed."""

from __future__ import annotations

import re

import pytest
import typer
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from sdgbridge.accounts import keys, users
from sdgbridge.accounts.tokens import digest
from sdgbridge.cli import accounts
from sdgbridge.cli.state import CliState
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from tests.accounts.conftest import OTHER, OWN

PASSWORD = "amber-falcon-river-42"


@pytest.fixture
def cli(engine: Engine, orgs: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("COLUMNS", "250")
    app = typer.Typer()

    @app.callback()
    def _state(ctx: typer.Context) -> None:
        ctx.obj = CliState(Settings(database_url="sqlite:///unused.db"), engine)

    for name, group in accounts.GROUPS:
        app.add_typer(group, name=name)
    return app


def _run(cli: typer.Typer, *args: str, input: str | None = None, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), input=input)
    assert result.exit_code == code, result.output
    return result.output


def test_users(cli: typer.Typer, engine: Engine) -> None:
    out = _run(cli, "users", "add", "Ann@Unicef.org", "--name", "Ann", "--org", OWN, "--role",
               "partner_editor", "--invite")
    assert f"Added ann@unicef.org (partner_editor of {OWN})." in out
    token = re.search(r"/invitation/(\S+)", out)
    assert token is not None
    with engine.connect() as conn:
        assert conn.execute(select(t.one_time_link.c.token_sha256)).scalar_one() == \
            digest(token.group(1))
    assert users.accept_link(engine, token.group(1), "invitation", PASSWORD) == "ann@unicef.org"
    _run(cli, "users", "add", "root@centre.org", "--name", "Root", "--admin")
    _run(cli, "users", "role", "ann@unicef.org", "--org", OTHER, "--role", "reader")
    listed = _run(cli, "users", "list", "--format", "csv")
    assert f"ann@unicef.org,Ann,en,false,false,true,{OTHER}=reader {OWN}=partner_editor," \
        in listed
    assert 'root@centre.org,Root,en,true,false,false,"",' in listed
    out = _run(cli, "users", "set-password", "root@centre.org",
               input=f"{PASSWORD}\n{PASSWORD}\n")
    assert PASSWORD not in out and "Password of root@centre.org set." in out
    short = CliRunner().invoke(cli, ["users", "set-password", "root@centre.org"],
                               input="short\nshort\n")
    assert short.exit_code == 1  # the command line's message stays English
    assert str(short.exception).startswith("The password has 5 characters; use at least 12")
    assert "Disabled ann@unicef.org." in _run(cli, "users", "disable", "ann@unicef.org")
    _run(cli, "users", "role", "nobody@x.org", "--org", OWN, "--role", "reader", code=1)
    _run(cli, "users", "add", "b@x.org", "--name", "B", "--org", OWN, "--role", "boss", code=1)
    _run(cli, "users", "add", "b@x.org", "--name", "B", "--org", "XM-NONE", code=1)
    assert "b@x.org" not in _run(cli, "users", "list", "--format", "csv")


def test_keys(cli: typer.Typer, engine: Engine) -> None:
    users.create_account(engine, "ann@unicef.org", "Ann")
    users.set_membership(engine, "ann@unicef.org", OWN, "partner_editor")
    out = _run(cli, "keys", "create", "ann@unicef.org", "--name", "sync", "--scope", "read",
               "--scope", "write", "--org", OWN, "--expires-days", "30")
    secret = re.search(r"^(sdg_\S+)$", out, re.MULTILINE)
    assert secret is not None and "shown this once" in out
    actor = keys.authenticate(engine, secret.group(1))
    assert actor is not None and actor.scopes == {"read", "write"}
    listed = _run(cli, "keys", "list", "ann@unicef.org", "--format", "csv")
    assert secret.group(1) not in listed and secret.group(1)[4:] not in listed
    assert f'sdg_{secret.group(1)[4:12]}…,"read,write",{OWN},active' in listed
    assert "Revoked API key 1." in _run(cli, "keys", "revoke", "1")
    assert "was revoked already" in _run(cli, "keys", "revoke", "1")
    assert keys.authenticate(engine, secret.group(1)) is None
    _run(cli, "keys", "create", "ann@unicef.org", "--name", "x", "--scope", "root", code=1)


def test_an_invitation_printed_and_mailed(cli: typer.Typer, engine: Engine) -> None:
    _run(cli, "users", "add", "nadia@undp.org", "--name", "Nadia", "--languages", "ru")
    out = _run(cli, "users", "invite", "nadia@undp.org", "--mail")
    link = re.search(r"(http://127\.0\.0\.1:8000/invitation/\S+)", out)
    assert link is not None and "outbox" in out
    with engine.connect() as conn:
        [body] = conn.execute(select(t.mail_outbox.c.body)).scalars().all()
    assert link.group(1) in body and "Здравствуйте, Nadia" in body
    _run(cli, "users", "invite", "nadia@undp.org")  # printed only
    with engine.connect() as conn:
        assert len(conn.execute(select(t.mail_outbox.c.id)).all()) == 1

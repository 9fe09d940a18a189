"""Accounts on the command line: ``sdgbridge users …`` (``users_app``: add, invite, list,
disable, set a password, give a role in an organisation) and ``sdgbridge keys …``
(``keys_app``: create, list, revoke personal API keys). Library:
:mod:`sdgbridge.accounts`. Organisations are named as ``sdgbridge orgs`` names them (ref
or ``org:<id>``). Secrets are printed once: an invitation link, a new key."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sdgbridge.accounts.keys import create_key, list_keys, revoke_key
from sdgbridge.accounts.links import link_path
from sdgbridge.accounts.users import (
    MEMBER_ROLES,
    check_role,
    create_account,
    disable_account,
    invite,
    list_accounts,
    org_id,
    remove_membership,
    set_membership,
    set_password,
)
from sdgbridge.cli.output import FormatOpt, console, say, show
from sdgbridge.cli.state import state

MailOpt = Annotated[bool, typer.Option("--mail", help="Also mail the invitation through the "
                                       "outbox (the public_url setting starts its link).")]
users_app = typer.Typer(help="Accounts: add (and invite), list, disable, set a password, "
                        "give a role in an organisation.", no_args_is_help=True)
keys_app = typer.Typer(help="Personal API keys: create (the secret is shown once), list, "
                       "revoke.", no_args_is_help=True)
GROUPS = (("users", users_app), ("keys", keys_app))

RoleOpt = Annotated[str, typer.Option("--role", help=", ".join(MEMBER_ROLES))]
OrgOpt = Annotated[str, typer.Option("--org", help="The organisation: its ref or org:<id> "
                                     "(`sdgbridge orgs list`).")]
CountryOpt = Annotated[str | None, typer.Option(
    "--country", help="A focal point's country (ISO alpha-3, e.g. KAZ).")]


@users_app.command("add")
def users_add(ctx: typer.Context, email: str,
              name: Annotated[str, typer.Option("--name", help="The person's name.")],
              org: Annotated[str | None, typer.Option(
                  "--org", help="Member of this organisation (ref or org:<id>).")] = None,
              role: Annotated[str, typer.Option("--role", help=", ".join(MEMBER_ROLES))
                              ] = "reader",
              country: CountryOpt = None,
              languages: Annotated[str, typer.Option(
                  "--languages", help="Preferred first: ru,en.")] = "en",
              admin: Annotated[bool, typer.Option("--admin", help="An administrator: may do "
                                                  "everything.")] = False,
              mail_it: MailOpt = False,
              send_invite: Annotated[bool, typer.Option(
                  "--invite", help="Make a one-time invitation link to set the password."
                  )] = False) -> None:
    """Add an account, a member of --org in --role (an invitation link with --invite)."""
    st = state(ctx)
    if org is not None:  # checked first: a refused membership leaves no account behind
        check_role(role)
        org_id(st.engine, org)
    create_account(st.engine, email, name, languages, administrator=admin)
    if org is not None:
        set_membership(st.engine, email, org, role, country)
    say(f"Added {email.strip().lower()}" + (f" ({role} of {org})" if org else "")
        + (", administrator" if admin else "") + ".")
    if send_invite:
        _say_link(st.settings, invite(st.engine, email, st.settings, mail=mail_it), mail_it)


def _say_link(settings: Any, token: str, mailed: bool) -> None:
    url = settings.public_url.rstrip("/") + link_path("invitation", token)
    say(f"Invitation link (valid {settings.invitation_days} days, works once): {url}"
        + ("\nIt is also in the outbox: `sdgbridge mail worker` sends it." if mailed else ""))


@users_app.command("invite")
def users_invite(ctx: typer.Context, email: str, mail_it: MailOpt = False) -> None:
    """Make a new one-time invitation link for an account (printed; with --mail also
    mailed through the outbox)."""
    st = state(ctx)
    _say_link(st.settings, invite(st.engine, email, st.settings, mail=mail_it), mail_it)


@users_app.command("list")
def users_list(ctx: typer.Context, fmt: FormatOpt = "table") -> None:
    """Every account with its memberships."""
    show(list_accounts(state(ctx).engine), fmt, title="Accounts", limit=1000)


@users_app.command("disable")
def users_disable(ctx: typer.Context, email: str) -> None:
    """Disable an account: its sessions and API keys stop working."""
    done = disable_account(state(ctx).engine, email)
    say(f"Disabled {email}." if done else f"{email} was disabled already.")


@users_app.command("set-password")
def users_set_password(ctx: typer.Context, email: str) -> None:
    """Set an account's password (asked twice, not shown); unlocks it."""
    password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    set_password(state(ctx).engine, email, password)
    say(f"Password of {email} set.")


@users_app.command("role")
def users_role(ctx: typer.Context, email: str, org: OrgOpt, role: RoleOpt,
               country: CountryOpt = None,
               remove: Annotated[bool, typer.Option(
                   "--remove", help="End the membership instead.")] = False) -> None:
    """Give an account a role in an organisation (or change it, or --remove it)."""
    engine = state(ctx).engine
    if remove:
        ended = remove_membership(engine, email, org)
        say(f"{email} is no longer a member of {org}." if ended
            else f"{email} was not a member of {org}.")
        return
    new = set_membership(engine, email, org, role, country)
    say(f"{email} is {role} of {org}" + (" (new membership)." if new else "."))


@keys_app.command("create")
def keys_create(ctx: typer.Context, email: str,
                name: Annotated[str, typer.Option("--name", help="What uses the key.")],
                scope: Annotated[list[str], typer.Option(
                    "--scope", help="read, write or admin; repeat for several.")],
                org: Annotated[str | None, typer.Option(
                    "--org", help="Act for this organisation (one of the account's).")
                ] = None,
                expires_days: Annotated[int | None, typer.Option(
                    "--expires-days", help="Days until it stops working.")] = None) -> None:
    """Create an API key; its secret is printed once."""
    new = create_key(state(ctx).engine, email, name, scope, org, expires_days)
    say(f"API key {new.id} ({name}, sdg_{new.prefix}…) created. Its secret, shown this "
        "once (it is not stored; copy it now):")
    say(new.secret)
    console.print("[yellow]Keep it like a password; send it as `Authorization: Bearer "
                  "<key>`. Lost: revoke it and create another.[/yellow]", highlight=False)


@keys_app.command("list")
def keys_list(ctx: typer.Context, email: Annotated[str | None, typer.Argument(
        help="Only this account's keys.")] = None, fmt: FormatOpt = "table") -> None:
    """API keys (never their secrets), newest first."""
    show(list_keys(state(ctx).engine, email), fmt, title="API keys", limit=1000)


@keys_app.command("revoke")
def keys_revoke(ctx: typer.Context, key_id: Annotated[int, typer.Argument(
        metavar="ID", help="The key's id (`sdgbridge keys list`).")]) -> None:
    """Revoke an API key: its next request is refused."""
    done = revoke_key(state(ctx).engine, key_id)
    say(f"Revoked API key {key_id}." if done else f"API key {key_id} was revoked already.")

"""The administrators' pages (issue 14): accounts, memberships, API keys.

* ``/admin``: every account with its memberships, and a form to invite someone (an account,
  a membership, an invitation mailed through the outbox);
* ``/admin/users/{email}``: one account: add or end a membership, disable it, its keys;
* ``/admin/keys``: every API key, to revoke one.

Each action is a rule of :mod:`sdgbridge.accounts.roles` (only an administrator has them
all); a refusal is recorded in the audit trail, and every change by the library's own
audit records.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sdgbridge.accounts import keys, users
from sdgbridge.accounts.roles import ROLES, can
from sdgbridge.accounts.sessions import Session
from sdgbridge.errors import N_, Forbidden, Phrase, SdgBridgeError
from sdgbridge.web.auth import permit
from sdgbridge.web.deps import EngineDep, SettingsDep
from sdgbridge.web.pages.account import to_sign_in
from sdgbridge.web.pages.base import LangDep, error_text, render
from sdgbridge.web.session import check_form, request_session

router = APIRouter()
Csrf = Annotated[str, Form(max_length=200)]
Short = Annotated[str, Form(max_length=300)]
MEMBER_ROLES = tuple(r for r in ROLES if r not in ("administrator", "public"))
LANGUAGES = ("en", "ru", "kk", "ky", "tg", "tk", "uz")


def _admin(request: Request, action: str = "read", record_type: str = "account"
           ) -> Session | Response:
    """The session of someone who may ``action`` accounts; the sign-in page for no one,
    403 (recorded) for someone else."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    permit(request.app.state.engine, session.actor, action, record_type, None,
           Phrase(N_("the administration pages")))
    if not can(session.actor, "read", "membership"):
        raise Forbidden(N_("{who} may not see the accounts; ask the Centre's "
                           "administrators."), who=session.actor.label)
    return session


def _organisations(engine: Any) -> list[dict[str, Any]]:
    return users.organisation_choices(engine)


def _page(request: Request, engine: Any, session: Session, status: int = 200,
          error: str | None = None, done: str | None = None) -> HTMLResponse:
    return render(request, "admin.html", status=status, csrf=session.csrf, error=error,
                  done=done, accounts=users.list_accounts(engine).to_dicts(),
                  organisations=_organisations(engine), roles=MEMBER_ROLES,
                  languages_=LANGUAGES)


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, engine: EngineDep, lang: LangDep) -> Response:
    """Accounts and the invitation form."""
    session = _admin(request)
    if isinstance(session, Response):
        return session
    return _page(request, engine, session)


@router.post("/admin/invite", response_class=HTMLResponse)
def invite(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
           csrf: Csrf, email: Short, name: Short, organisation: Short = "",
           role: Short = "partner_editor", country: Short = "", language: Short = "en",
           administrator: Annotated[bool, Form()] = False) -> Response:
    """An account, its membership, and an invitation mailed to it."""
    session = _admin(request, "create")
    if isinstance(session, Response):
        return session
    check_form(request, csrf)
    try:
        users.create_account(engine, email, name, language, administrator=administrator)
        if organisation:
            users.set_membership(engine, email, _org(organisation), role, country or None)
        users.invite(engine, email, settings, mail=True)
    except SdgBridgeError as exc:
        return _page(request, engine, session, exc.status, error=error_text(request, exc))
    return _page(request, engine, session, done=email.strip().lower())


def _org(value: str) -> int | str:
    """An organisation as a form sends it: its id (the pages' choice) or its ref."""
    return int(value) if value.strip().isdigit() else value.strip()


def _account(engine: Any, email: str) -> dict[str, Any]:
    found = users.list_accounts(engine).filter(email=email.strip().lower()).to_dicts()
    if not found:
        raise users.NotFound(N_("No account {email}; the accounts are listed at /admin."),
                             email=email)
    return found[0]


def _user_page(request: Request, engine: Any, session: Session, email: str,
               status: int = 200, error: str | None = None) -> HTMLResponse:
    account = _account(engine, email)
    held = users.organisations_of(engine, users.account_id_of(engine, email))
    names = {o["id"]: o for o in _organisations(engine)}
    return render(request, "admin_user.html", status=status, csrf=session.csrf, error=error,
                  account=account, memberships=[{**m, "organisation_id": m["id"],
                                                "org": names.get(m["id"])} for m in held],
                  keys=keys.list_keys(engine, email).to_dicts(),
                  organisations=list(names.values()), roles=MEMBER_ROLES)


@router.get("/admin/users/{email}", response_class=HTMLResponse)
def user(request: Request, engine: EngineDep, lang: LangDep, email: str) -> Response:
    session = _admin(request)
    if isinstance(session, Response):
        return session
    return _user_page(request, engine, session, email)


@router.post("/admin/users/{email}/memberships", response_class=HTMLResponse)
def add_membership(request: Request, engine: EngineDep, lang: LangDep, email: str,
                   csrf: Csrf, organisation: Short, role: Short, country: Short = ""
                   ) -> Response:
    session = _admin(request, "create", "membership")
    if isinstance(session, Response):
        return session
    check_form(request, csrf)
    try:
        users.set_membership(engine, email, _org(organisation), role, country or None)
    except SdgBridgeError as exc:
        return _user_page(request, engine, session, email, exc.status, error_text(request, exc))
    return RedirectResponse(f"/admin/users/{email}", status_code=303)


@router.post("/admin/users/{email}/memberships/{organisation}/end")
def end_membership(request: Request, engine: EngineDep, email: str, organisation: int,
                   csrf: Csrf) -> Response:
    session = _admin(request, "archive", "membership")
    if isinstance(session, Response):
        return session
    check_form(request, csrf)
    users.remove_membership(engine, email, organisation)
    return RedirectResponse(f"/admin/users/{email}", status_code=303)


@router.post("/admin/users/{email}/disable")
def disable(request: Request, engine: EngineDep, email: str, csrf: Csrf) -> Response:
    session = _admin(request, "archive")
    if isinstance(session, Response):
        return session
    check_form(request, csrf)
    users.disable_account(engine, email)
    return RedirectResponse(f"/admin/users/{email}", status_code=303)


@router.get("/admin/keys", response_class=HTMLResponse)
def all_keys(request: Request, engine: EngineDep, lang: LangDep) -> Response:
    session = _admin(request, "read", "api_key")
    if isinstance(session, Response):
        return session
    return render(request, "admin_keys.html", csrf=session.csrf,
                  keys=keys.list_keys(engine).to_dicts())


@router.post("/admin/keys/{key_id}/revoke")
def revoke(request: Request, engine: EngineDep, key_id: int, csrf: Csrf,
           back: Annotated[str, Form(max_length=300)] = "/admin/keys") -> Response:
    session = _admin(request, "archive", "api_key")
    if isinstance(session, Response):
        return session
    check_form(request, csrf)
    keys.revoke_key(engine, key_id)
    return RedirectResponse(back if back.startswith("/admin") else "/admin/keys",
                            status_code=303)

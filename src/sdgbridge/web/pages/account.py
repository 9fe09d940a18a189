"""Signing in and out, invitations, password resets, and one's own account.

* ``/sign-in`` (GET the form, POST email and password): a session cookie, then the page
  asked for (``next``, a path of this site only) or ``/account``;
* ``/sign-out`` (POST);
* ``/invitation/{token}`` and ``/reset/{token}``: set a password with a mailed one-time
  link, then signed in;
* ``/reset`` (GET, POST an email): a reset link is mailed if the account exists (the answer
  is the same either way);
* ``/account``: who one is, the organisations one acts for (and which one now), one's API
  keys (make one, shown once; revoke one).

Every form carries a token (:func:`sdgbridge.web.session.check_form`). Wrong passwords,
lockouts, used or expired links: the library's message on the page, status 4xx.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sdgbridge.accounts import keys, sessions, users
from sdgbridge.accounts.roles import KEY_SCOPES, can
from sdgbridge.errors import N_, Forbidden, SdgBridgeError
from sdgbridge.projects.editing import manual_projects
from sdgbridge.projects.orgs import one_org
from sdgbridge.web.pages.base import LangDep, error_text, render
from sdgbridge.web.session import (
    check_form,
    clear_session_cookie,
    form_token,
    keep_form_cookie,
    request_session,
    set_session_cookie,
)

router = APIRouter()
FormText = Annotated[str, Form(max_length=1000)]
Csrf = Annotated[str, Form(max_length=200)]
Secret = Annotated[str, Form(max_length=1024)]


def _page(request: Request, template: str, status: int = 200, **context: object
          ) -> HTMLResponse:
    """A page with a form: its token in the context, the form cookie kept if made."""
    response = render(request, template, status=status, csrf=form_token(request), **context)
    keep_form_cookie(request, response)
    return response


def local_path(next_: str | None, default: str = "/account") -> str:
    """``next_`` when it is a path of this site ("/country/KAZ"), else ``default``: a
    sign-in never sends anyone to another site."""
    if next_ and next_.startswith("/") and not next_.startswith("//") and "\\" not in next_:
        return next_
    return default


def _signed_in(request: Request, account_id: int, organisation_id: int | None = None,
               to: str = "/account") -> Response:
    state = request.app.state
    session = sessions.start_session(state.engine, account_id, state.settings,
                                     organisation_id)
    response = RedirectResponse(to, status_code=303)
    set_session_cookie(request, response, session)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, lang: LangDep, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return _page(request, "sign_in.html", next=local_path(next), error=None, email="")


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, lang: LangDep, email: FormText, password: Secret,
            csrf: Csrf, next: Annotated[str, Form(max_length=1000)] = "/account") -> Response:
    """Check the password; a session on success, the form again with the message if not."""
    check_form(request, csrf)
    state = request.app.state
    try:
        account_id = users.sign_in(state.engine, email, password, state.settings)
    except users.SignInRefused as exc:
        return _page(request, "sign_in.html", status=exc.status, next=local_path(next),
                     error=error_text(request, exc), email=email)
    return _signed_in(request, account_id, to=local_path(next))


@router.post("/sign-out")
def sign_out(request: Request, csrf: Csrf) -> Response:
    """End the session."""
    session = request_session(request)
    response = RedirectResponse("/", status_code=303)
    if session is not None:
        check_form(request, csrf)
        sessions.end_session(request.app.state.engine, session.id)
    clear_session_cookie(response)
    return response


def _link_form(request: Request, purpose: str, value: str, error: str | None = None,
               status: int = 200) -> HTMLResponse:
    return _page(request, "set_password.html", status=status, purpose=purpose, error=error)


@router.get("/invitation/{value}", response_class=HTMLResponse)
def invitation_form(request: Request, lang: LangDep, value: str) -> HTMLResponse:
    """Set a password with an invitation."""
    return _link_form(request, "invitation", value)


@router.get("/reset/{value}", response_class=HTMLResponse)
def reset_form(request: Request, lang: LangDep, value: str) -> HTMLResponse:
    """Set a new password with a reset link."""
    return _link_form(request, "reset", value)


def _accept(request: Request, purpose: str, value: str, password: str, again: str,
            csrf: str) -> Response:
    check_form(request, csrf)
    if password != again:
        return _link_form(request, purpose, value, status=422, error=error_text(
            request, SdgBridgeError(N_("The two passwords differ: type the same password "
                                       "twice."))))
    engine = request.app.state.engine
    try:
        email = users.accept_link(engine, value, purpose, password)
    except SdgBridgeError as exc:
        return _link_form(request, purpose, value, error_text(request, exc), exc.status)
    return _signed_in(request, users.account_id_of(engine, email))


@router.post("/invitation/{value}")
def accept_invitation(request: Request, lang: LangDep, value: str, password: Secret,
                      again: Secret, csrf: Csrf) -> Response:
    return _accept(request, "invitation", value, password, again, csrf)


@router.post("/reset/{value}")
def accept_reset(request: Request, lang: LangDep, value: str, password: Secret,
                 again: Secret, csrf: Csrf) -> Response:
    return _accept(request, "reset", value, password, again, csrf)


@router.get("/reset", response_class=HTMLResponse)
def reset_request_form(request: Request, lang: LangDep) -> HTMLResponse:
    """Ask for a password-reset link."""
    return _page(request, "reset_request.html", sent=False)


@router.post("/reset", response_class=HTMLResponse)
def reset_request(request: Request, lang: LangDep, email: FormText, csrf: Csrf
                  ) -> HTMLResponse:
    """Mail a reset link when the account exists; the same answer when it does not."""
    check_form(request, csrf)
    state = request.app.state
    users.request_reset(state.engine, email, state.settings, mail=True)
    return _page(request, "reset_request.html", sent=True)


# ---- one's own account -------------------------------------------------------------

def to_sign_in(request: Request) -> RedirectResponse:
    """Off to the sign-in page, coming back here after it."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?{urlencode({'next': here})}", status_code=303)


def _organisations(request: Request, account_id: int) -> list[dict[str, object]]:
    return users.organisations_of(request.app.state.engine, account_id)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, lang: LangDep) -> Response:
    """One's account: organisations, the one acted for, API keys."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    return _account_page(request, session)


def _account_page(request: Request, session: sessions.Session, new_key: str | None = None,
                  error: str | None = None, status: int = 200) -> HTMLResponse:
    actor = session.actor
    engine = request.app.state.engine
    own = keys.list_keys(engine, actor.label)
    return _page(request, "account.html", status=status, actor=actor,
                 organisations=_organisations(request, actor.account_id or 0),
                 keys=own.to_dicts(), scopes=KEY_SCOPES, new_key=new_key, error=error,
                 organisation=_acting_for(engine, actor))


def _acting_for(engine: Any, actor: Any) -> dict[str, Any] | None:
    """The organisation acted for, with what one may do for it: edit its profile, add
    projects; its projects made by hand."""
    if actor.organisation_id is None:
        return None
    org = one_org(engine, actor.organisation_id).to_dicts()[0]
    return {"key": org["ref"] or f"org:{org['id']}", "name": org["name_en"],
            "edit": can(actor, "update", "organisation", org["id"]),
            "add_projects": bool(org["ref"]) and can(actor, "create", "project", org["id"]),
            "projects": manual_projects(engine, org["ref"]) if org["ref"] else []}


@router.post("/account/organisation")
def act_for(request: Request, csrf: Csrf, organisation: Annotated[int, Form()]) -> Response:
    """Act for another of one's organisations: a new session for it."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    if organisation not in {o["id"] for o in _organisations(request, session.actor.account_id
                                                            or 0)}:
        raise Forbidden(N_("You are not a member of that organisation; ask the Centre's "
                           "administrators for a membership."))
    sessions.end_session(request.app.state.engine, session.id)
    return _signed_in(request, session.actor.account_id or 0, organisation)


@router.post("/account/keys", response_class=HTMLResponse)
def make_key(request: Request, lang: LangDep, csrf: Csrf, name: FormText,
             scope: Annotated[list[str] | None, Form()] = None,
             days: Annotated[int | None, Form(ge=1, le=730)] = 90) -> Response:
    """A new API key of one's own, shown once on the page."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    try:
        made = keys.create_key(request.app.state.engine, session.actor.label, name,
                               scope or ["read"], organisation=session.actor.organisation_id,
                               expires_days=days)
    except SdgBridgeError as exc:
        return _account_page(request, session, error=error_text(request, exc), status=exc.status)
    return _account_page(request, session, new_key=made.secret)


@router.post("/account/keys/{key_id}/revoke")
def revoke_own_key(request: Request, csrf: Csrf, key_id: int) -> Response:
    """Revoke one of one's own keys."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    engine = request.app.state.engine
    if key_id not in set(keys.list_keys(engine, session.actor.label)["id"].to_list()):
        raise Forbidden(N_("That API key is not yours; an administrator revokes others' "
                           "keys."))
    keys.revoke_key(engine, key_id)
    return RedirectResponse("/account", status_code=303)


"""A partner's own records in the browser (issue 14): its organisation's profile
(``/organisations/{key}/edit``) and its projects made by hand (``/projects/new``,
``/projects/{identifier}/edit``). Projects from IATI files are changed at their publisher,
not here.

Signed-in people only, under the rules of :mod:`sdgbridge.accounts.roles`: a partner editor
edits its own organisation and its projects, the Centre's analysts any; a refusal is
recorded in the audit trail, every change by the library's audit records. A value the
library refuses (a bad date, an unknown status or country, an e-mail that is not one) comes
back on the form with the library's message, nothing written.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sdgbridge.accounts.roles import VISIBILITIES, can
from sdgbridge.errors import N_, Forbidden, Phrase, SdgBridgeError
from sdgbridge.projects.editing import create_project, update_project
from sdgbridge.projects.orgs import one_org, update_org
from sdgbridge.web.auth import permit
from sdgbridge.web.deps import CodelistsDep, EngineDep
from sdgbridge.web.pages.account import to_sign_in
from sdgbridge.web.pages.base import LangDep, error_text, render
from sdgbridge.web.session import check_form, request_session

router = APIRouter()
Csrf = Annotated[str, Form(max_length=200)]
Text = Annotated[str, Form(max_length=4000)]
ORIGIN = "web"
COUNTRIES = ("KZ", "KG", "TJ", "TM", "UZ", "AF")  # the Centre's region, ISO 3166 alpha-2
STATUSES = ("1", "2", "3", "4", "5", "6")  # IATI ActivityStatus
_SPLIT = re.compile(r"[\s,;]+")


def _org(engine: Any, key: str) -> dict[str, Any]:
    found = one_org(engine, key).to_dicts()
    return {**found[0], "contacts": json.loads(found[0]["contacts"] or "[]")}


@router.get("/organisations/{key}/edit", response_class=HTMLResponse)
def org_form(request: Request, engine: EngineDep, lang: LangDep, key: str) -> Response:
    """An organisation's profile, to edit."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    org = _org(engine, key)
    if not can(session.actor, "update", "organisation", org["id"]):
        raise Forbidden(N_("{who} may not edit {name}: a partner editor edits its own "
                           "organisation's profile."),
                        who=session.actor.label, name=org["name_en"])
    return _org_page(request, session.csrf, org)


def _org_page(request: Request, csrf: str, org: dict[str, Any], error: str | None = None,
              status: int = 200, saved: bool = False) -> HTMLResponse:
    contacts = org["contacts"] + [{}] * max(0, 3 - len(org["contacts"]))
    return render(request, "org_form.html", status=status, csrf=csrf, org=org,
                  contacts=contacts[:3], countries=COUNTRIES, error=error, saved=saved)


@router.post("/organisations/{key}/edit", response_class=HTMLResponse)
def org_save(request: Request, engine: EngineDep, codelists: CodelistsDep, lang: LangDep,
             key: str, csrf: Csrf, name_en: Text, name_ru: Text = "",
             un_entity: Text = "", countries: Annotated[list[str] | None, Form()] = None,
             contact_name: Annotated[list[str] | None, Form()] = None,
             contact_email: Annotated[list[str] | None, Form()] = None,
             contact_phone: Annotated[list[str] | None, Form()] = None) -> Response:
    """Save the profile: names, UN entity, countries, up to three contacts."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    org = _org(engine, key)
    permit(engine, session.actor, "update", "organisation", org["id"], key)
    rows = zip(contact_name or [], contact_email or [], contact_phone or [], strict=False)
    contacts = [{"name": n, "email": e, "phone": p} for n, e, p in rows
                if (n or e or p).strip()]
    changes: dict[str, Any] = {
               "name_en": name_en, "name_ru": name_ru or None, "un_entity": un_entity or None,
               "countries": countries or [], "contacts": contacts}
    try:
        update_org(engine, key, codelists, ORIGIN, **changes)
    except SdgBridgeError as exc:
        typed = {**org, **changes, "countries": ",".join(countries or [])}
        return _org_page(request, session.csrf, typed, error_text(request, exc), exc.status)
    return _org_page(request, session.csrf, _org(engine, key), saved=True)


# ---- projects made by hand ----------------------------------------------------------------

def _own_ref(engine: Any, organisation_id: int | None) -> str:
    if organisation_id is None:
        raise Forbidden(N_("Act for an organisation to add its projects (your account page "
                           "lists yours); ask the Centre's administrators for a membership."))
    ref = one_org(engine, organisation_id)["ref"][0]
    if not ref:
        raise Forbidden(N_("Your organisation has no IATI organisation identifier (ref) in "
                           "the registry, and a project's identifier starts with it: ask the "
                           "Centre's analysts to add it."))
    return str(ref)


def _project_page(request: Request, csrf: str, values: dict[str, Any], *, new: bool,
                  prefix: str = "", error: str | None = None, status: int = 200,
                  saved: str | None = None) -> HTMLResponse:
    return render(request, "project_form.html", status=status, csrf=csrf,
                  values={"visibility": "public", **values}, new=new, prefix=prefix,
                  countries=COUNTRIES, statuses=STATUSES, visibilities=VISIBILITIES,
                  error=error, saved=saved)


@router.get("/projects/new", response_class=HTMLResponse)
def project_new_form(request: Request, engine: EngineDep, lang: LangDep) -> Response:
    """The form for a new project of one's organisation."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    actor = session.actor
    if not can(actor, "create", "project", actor.organisation_id):
        raise Forbidden(N_("{who} (role {role}) may not add projects: a partner editor adds "
                           "its own organisation's."), who=actor.label, role=Phrase(actor.role))
    prefix = _own_ref(engine, actor.organisation_id) + "-"
    return _project_page(request, session.csrf, {"status": "2"}, new=True, prefix=prefix)


@router.post("/projects/new", response_class=HTMLResponse)
def project_create(request: Request, engine: EngineDep, codelists: CodelistsDep,
                   lang: LangDep, csrf: Csrf, code: Text, title_en: Text, status: Text,
                   title_ru: Text = "", description_en: Text = "",
                   countries: Annotated[list[str] | None, Form()] = None, sectors: Text = "",
                   planned_start: Text = "", planned_end: Text = "",
                   visibility: Text = "public") -> Response:
    """Create the project; its edit page on success."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    actor = session.actor
    prefix = _own_ref(engine, actor.organisation_id) + "-"
    identifier = prefix + code.strip()
    permit(engine, actor, "create", "project", actor.organisation_id, identifier)
    values: dict[str, Any] = {
              "title_en": title_en, "title_ru": title_ru or None,
              "description_en": description_en or None, "status": status,
              "countries": countries or [], "sectors": [s for s in _SPLIT.split(sectors) if s],
              "planned_start": planned_start or None, "planned_end": planned_end or None,
              "visibility": visibility}
    try:
        create_project(engine, identifier=identifier, reporting_org_ref=prefix[:-1],
                       codelists=codelists, origin=ORIGIN, **values)
    except SdgBridgeError as exc:
        return _project_page(request, session.csrf, {**values, "code": code,
                                                     "sectors": sectors},
                             new=True, prefix=prefix, error=error_text(request, exc),
                             status=exc.status)
    return RedirectResponse(f"/projects/{identifier}/edit?saved=created", status_code=303)


def _project(engine: Any, identifier: str, organisation_id: int | None) -> dict[str, Any]:
    from sdgbridge.projects.queries import project_detail

    detail = project_detail(engine, identifier)
    if detail is None:
        raise SdgBridgeError(N_("No project {identifier!r}."), identifier=identifier)
    return dict(detail["project"])


@router.get("/projects/{identifier}/edit", response_class=HTMLResponse)
def project_edit_form(request: Request, engine: EngineDep, lang: LangDep, identifier: str,
                      saved: str | None = None) -> Response:
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    from sdgbridge.accounts.owners import project_owner

    permit(engine, session.actor, "update", "project", project_owner(engine, identifier),
           identifier)
    project = _project(engine, identifier, session.actor.organisation_id)
    return _project_page(request, session.csrf, project, new=False,
                         saved=saved if saved in ("created", "updated") else None)


@router.post("/projects/{identifier}/edit", response_class=HTMLResponse)
def project_update(request: Request, engine: EngineDep, codelists: CodelistsDep,
                   lang: LangDep, identifier: str, csrf: Csrf, title_en: Text, status: Text,
                   title_ru: Text = "", description_en: Text = "", description_ru: Text = "",
                   planned_start: Text = "", planned_end: Text = "", actual_start: Text = "",
                   actual_end: Text = "", visibility: Text = "") -> Response:
    """Save the project's fields (a project made by hand; an IATI one is refused)."""
    from sdgbridge.accounts.owners import project_owner

    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    permit(engine, session.actor, "update", "project", project_owner(engine, identifier),
           identifier)
    changes: dict[str, Any] = {
               "title_en": title_en, "title_ru": title_ru or None,
               "description_en": description_en or None,
               "description_ru": description_ru or None, "status": status,
               "planned_start": planned_start or None, "planned_end": planned_end or None,
               "actual_start": actual_start or None, "actual_end": actual_end or None}
    if visibility:  # left out: as it was
        changes["visibility"] = visibility
    try:
        update_project(engine, identifier, codelists, ORIGIN, **changes)
    except SdgBridgeError as exc:
        return _project_page(request, session.csrf, {"iati_identifier": identifier, **changes},
                             new=False, error=error_text(request, exc), status=exc.status)
    return RedirectResponse(f"/projects/{identifier}/edit?saved=updated", status_code=303)


"""Technical assistance in the browser (issue 16): the requests one may read with the
dashboard of open ones (``/requests``), a new request (``/requests/new``) and a request's
page (``/requests/{id}``): its thread, candidates with their reasons, attachments, the
context the Centre knows (the country's status on the targets, projects and money there,
practices from the region's other countries, the indicators followed after delivery) and
the actions its reader may take, each a form posting to ``/requests/{id}/…``.

Signed-in people only. The roles decide who reads and files (record type ``request``), the
lifecycle table who makes each change (:mod:`sdgbridge.assistance.lifecycle`); the page
offers only the actions the reader is a party to, and the library refuses any other (a
refusal recorded in the audit trail). The same library functions serve the API
(:mod:`sdgbridge.web.api.requests`) and the command line (``sdgbridge requests``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

import sdgbridge.web.i18n as i18n
from sdgbridge import audit
from sdgbridge.accounts.roles import can
from sdgbridge.assistance import context, service
from sdgbridge.assistance.attachments import attach
from sdgbridge.assistance.lifecycle import FINAL, KINDS, STATES, URGENCIES, aware, transition
from sdgbridge.assistance.match import match_request
from sdgbridge.assistance.matching import reason_text
from sdgbridge.assistance.queries import dashboard, list_requests, may_read, request_detail
from sdgbridge.errors import N_, Forbidden, InputError, Phrase, SdgBridgeError
from sdgbridge.reference.catalog import group_areas, titles
from sdgbridge.web.auth import permit
from sdgbridge.web.deps import WRITER, EmbedderDep, EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.account import to_sign_in
from sdgbridge.web.pages.base import LangDep, MethodQ, error_text, render
from sdgbridge.web.session import check_form, request_session
from sdgbridge.web.uploads import stored_upload

router = APIRouter()
Csrf = Annotated[str, Form(max_length=200)]
Short = Annotated[str, Form(max_length=500)]
Long = Annotated[str, Form(max_length=20000)]
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
LANGUAGES = ("ru", "en", "kk", "ky", "tg", "tk", "uz")
DONE = ("filed", "moved", "commented", "proposed", "picked", "answered", "feedback",
        "attached")


def _choices(engine: Engine, settings: Any, lang: str) -> dict[str, Any]:
    return {"countries": group_areas(engine, settings.default_group, lang),
            "kinds": KINDS, "urgencies": URGENCIES, "languages_": LANGUAGES}


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                  country: Annotated[str | None, Query(max_length=3)] = None,
                  state: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """The requests the signed-in person may read, and the dashboard of the open ones."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    actor = session.actor
    state = state if state in STATES else None
    rows = list_requests(engine, country=country or None, state=state).to_dicts()
    board = dashboard(engine)
    days = board["delivery"]["days"]
    return render(request, "requests.html", rows=rows, form={"country": country or "",
                                                             "state": state or ""},
                  states=STATES, final=FINAL,
                  by_country=board["by_country"].to_dicts(),
                  board_states=[s for s in STATES if s in board["by_country"].columns],
                  by_kind=board["by_kind"].to_dicts(), overdue=board["overdue"].height,
                  delivered=days.len(), median_days=days.median() if days.len() else None,
                  names={c["iso3"]: c["name"] for c in group_areas(
                      engine, settings.default_group, lang)},
                  can_file=can(actor, "create", "request", actor.organisation_id,
                               actor.country))


@router.get("/requests/new", response_class=HTMLResponse)
def request_form(request: Request, engine: EngineDep, settings: SettingsDep,
                 lang: LangDep) -> Response:
    """The form for a new request."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    actor = session.actor
    if not can(actor, "create", "request", actor.organisation_id, actor.country):
        raise Forbidden(N_("{who} (role {role}) may not file requests: a government focal "
                           "point files its country's, the Centre's analysts any."),
                        who=actor.label, role=Phrase(actor.role))
    values = {"country": actor.country or "", "languages": [lang, "en" if lang != "en"
                                                            else "ru"],
              "kind": "policy_advice", "urgency": "normal"}
    return render(request, "request_form.html", csrf=session.csrf, values=values,
                  **_choices(engine, settings, lang))


@router.post("/requests/new", response_class=HTMLResponse)
def request_file(request: Request, engine: EngineDep, settings: SettingsDep, lang: LangDep,
                 csrf: Csrf, title: Short, description: Long, country: Short,
                 requesting_body: Short, targets: Short, kind: Short = "policy_advice",
                 urgency: Short = "normal",
                 languages: Annotated[list[str] | None, Form()] = None,
                 wanted_by: Short = "", share: Short = "", action: Short = "submit"
                 ) -> Response:
    """File the request: submitted, or kept as a draft (``action=draft``)."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    actor = session.actor
    permit(engine, actor, "create", "request", actor.organisation_id, title or "request",
           country=country.upper())
    values = {"title": title, "description": description, "country": country.upper(),
              "requesting_body": requesting_body, "targets": targets, "kind": kind,
              "urgency": urgency, "languages": languages or [], "wanted_by": wanted_by,
              "share": bool(share)}
    try:
        when = _date(wanted_by)
        with WRITER:
            rid = service.file_request(
                engine, title=title, description=description, country=country,
                requesting_body=requesting_body, kind=kind,
                targets=[x for x in targets.replace(";", ",").replace(" ", ",").split(",")
                         if x], languages=languages or [], urgency=urgency, wanted_by=when,
                share_with_partners=bool(share), submit=action != "draft",
                settings=settings)
    except SdgBridgeError as exc:
        return render(request, "request_form.html", status=exc.status, csrf=session.csrf,
                      values=values, error=error_text(request, exc),
                      **_choices(engine, settings, lang))
    return RedirectResponse(f"/requests/{rid}?done=filed", status_code=303)


def _date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(N_("{value} is not a date: give it as yyyy-mm-dd."),
                         value=text) from None


def _party(request: Request, engine: Engine, request_id: int) -> Any:
    """The signed-in session, when its person may read the request (else refused, and
    the refusal recorded); None when nobody is signed in."""
    session = request_session(request)
    if session is None:
        return None
    if not may_read(engine, session.actor, request_id):
        audit.refused(engine, "read", "request", request_id, "not a reader of the request",
                      actor=session.actor)
        raise Forbidden(N_("{who} may not read request {id}: the Centre, the focal points "
                           "of its country and its candidates do."), who=session.actor.label,
                        id=request_id)
    return session


def _page(request: Request, engine: Engine, settings: Any, kept: Any, emb: Any, lang: str,
          request_id: int, csrf: str, method: str = "unsd", error: str | None = None,
          status: int = 200, done: str | None = None) -> HTMLResponse:
    detail = request_detail(engine, request_id)
    req = detail["request"]
    names = {c["iso3"]: c["name"] for c in group_areas(engine, settings.default_group, lang)}
    gettext = i18n.translations(lang).gettext
    for c in detail["candidates"]:  # the reasons in the page's language
        c["shown"] = [reason_text(w, gettext, names) for w in c["why"]] or c["reasons"]
    target_titles = titles(engine, "target", lang)
    status_ = context.target_status(engine, request_id, method, kept)
    return render(
        request, "request.html", status=status, csrf=csrf, detail=detail, req=req,
        country_name=names.get(req["country"], req["country"]), names=names,
        target_titles=target_titles, indicator_titles=titles(engine, "indicator", lang),
        progress=status_, method=status_["method"],
        projects=context.related_projects(engine, request_id, kept).to_dicts(),
        practices=context.related_practices(engine, request_id, emb, settings.default_group),
        followed=context.followed_indicators(engine, request_id).to_dicts(),
        error=error, done=done if done in DONE else None, final=FINAL,
        may_propose="centre" in detail["parties"] and req["state"] not in FINAL,
        may_pick="centre" in detail["parties"] and req["state"] == "triaged",
        may_answer="candidate" in detail["parties"] and req["state"] == "matched",
        may_feedback=bool({"requester", "centre"} & set(detail["parties"]))
        and req["state"] == "delivered",
        may_attach=bool(detail["parties"]) and req["state"] not in FINAL,
        moves=[s for s in detail["next_states"] if s not in ("matched", "closed")
               and set(transition(req["state"], s).by) & set(detail["parties"])  # type: ignore[union-attr]
               and not (s == "triaged" and req["state"] == "matched"
                        and "candidate" in detail["parties"])],
        thread=_thread(detail))


def _thread(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's changes of state and comments in the order they happened."""
    events = [{**e, "event": "move"} for e in detail["transitions"]] + [
        {**c, "event": "comment"} for c in detail["comments"]]
    return sorted(events, key=lambda e: (aware(e["at"]), e["event"] == "comment", e["id"]))


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, engine: EngineDep, settings: SettingsDep, kept: KeptDep,
                 emb: EmbedderDep, lang: LangDep, request_id: IdPath,
                 method: MethodQ = "unsd",
                 done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """A request with its thread, candidates, attachments, context and actions."""
    session = _party(request, engine, request_id)
    if session is None:
        return to_sign_in(request)
    return _page(request, engine, settings, kept, emb, lang, request_id, session.csrf,
                 method, done=done)


def _act(request: Request, engine: Engine, settings: Any, kept: Any, emb: Any, lang: str,
         request_id: int, csrf: str, done: str, change: Callable[[], Any]) -> Response:
    """Run a change of the request for the signed-in person; the request's page again with
    the library's message when refused (a refusal of the roles or the lifecycle recorded
    in the audit trail), else back to it."""
    session = _party(request, engine, request_id)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    try:
        with WRITER:
            change()
    except SdgBridgeError as exc:
        if isinstance(exc, Forbidden | service.IllegalTransition):
            audit.refused(engine, "update", "request", request_id, str(exc),
                          actor=session.actor)
        return _page(request, engine, settings, kept, emb, lang, request_id, session.csrf,
                     error=error_text(request, exc), status=exc.status)
    return RedirectResponse(f"/requests/{request_id}?done={done}", status_code=303)


@router.post("/requests/{request_id}/move", response_class=HTMLResponse)
def request_move(request: Request, engine: EngineDep, settings: SettingsDep, kept: KeptDep,
                 emb: EmbedderDep, lang: LangDep, request_id: IdPath, csrf: Csrf,
                 to: Short, reason: Long = "") -> Response:
    """Move the request to another state (the lifecycle table decides)."""
    return _act(request, engine, settings, kept, emb, lang, request_id, csrf, "moved",
                lambda: service.move(engine, request_id, to, reason or None, settings))


@router.post("/requests/{request_id}/comment", response_class=HTMLResponse)
def request_comment(request: Request, engine: EngineDep, settings: SettingsDep,
                    kept: KeptDep, emb: EmbedderDep, lang: LangDep, request_id: IdPath,
                    csrf: Csrf, text: Long) -> Response:
    """Add a comment to the request's thread (its parties)."""
    return _act(request, engine, settings, kept, emb, lang, request_id, csrf, "commented",
                lambda: service.comment(engine, request_id, text))


@router.post("/requests/{request_id}/propose", response_class=HTMLResponse)
def request_propose(request: Request, engine: EngineDep, settings: SettingsDep,
                    kept: KeptDep, emb: EmbedderDep, lang: LangDep, request_id: IdPath,
                    csrf: Csrf, best: Annotated[int, Form(ge=1, le=20)] = 3,
                    key: Short = "") -> Response:
    """The Centre proposes candidates: the best N of the ranking, or the one named by
    ``key`` (``expert:3``, ``organisation:XM-DAC-41114``)."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    permit(engine, session.actor, "update", "expert", session.actor.organisation_id,
           f"request {request_id}")

    def propose() -> None:
        found = match_request(engine, request_id, emb, kept, limit=50).to_dicts()
        if key:
            chosen = [c for c in found if f"{c['kind']}:{c['candidate_key']}" == key]
        else:
            chosen = found[:best]
        service.propose(engine, request_id, chosen)

    return _act(request, engine, settings, kept, emb, lang, request_id, csrf, "proposed",
                propose)


@router.post("/requests/{request_id}/pick", response_class=HTMLResponse)
def request_pick(request: Request, engine: EngineDep, settings: SettingsDep, kept: KeptDep,
                 emb: EmbedderDep, lang: LangDep, request_id: IdPath, csrf: Csrf,
                 candidate: Short) -> Response:
    """The Centre picks a proposed candidate (``kind:key``); the request is matched."""
    kind, _, key = candidate.partition(":")
    return _act(request, engine, settings, kept, emb, lang, request_id, csrf, "picked",
                lambda: service.pick(engine, request_id, kind, key, settings))


@router.post("/requests/{request_id}/answer", response_class=HTMLResponse)
def request_answer(request: Request, engine: EngineDep, settings: SettingsDep,
                   kept: KeptDep, emb: EmbedderDep, lang: LangDep, request_id: IdPath,
                   csrf: Csrf, answer: Short, reason: Long = "") -> Response:
    """The picked candidate accepts or declines (with a reason)."""
    return _act(request, engine, settings, kept, emb, lang, request_id, csrf, "answered",
                lambda: service.respond(engine, request_id, answer == "accept",
                                        reason or None, settings))


@router.post("/requests/{request_id}/feedback", response_class=HTMLResponse)
def request_feedback(request: Request, engine: EngineDep, settings: SettingsDep,
                     kept: KeptDep, emb: EmbedderDep, lang: LangDep, request_id: IdPath,
                     csrf: Csrf, rating: Annotated[int, Form(ge=1, le=5)], text: Long,
                     indicators: Short = "") -> Response:
    """The requester's rating, words and the indicators to follow; the request closes."""
    codes = [c for c in indicators.replace(";", ",").replace(" ", ",").split(",") if c]
    return _act(request, engine, settings, kept, emb, lang, request_id, csrf, "feedback",
                lambda: service.give_feedback(engine, request_id, rating, text, codes,
                                              settings))


@router.post("/requests/{request_id}/attachments", response_class=HTMLResponse)
def request_attach(request: Request, engine: EngineDep, settings: SettingsDep,
                   kept: KeptDep, emb: EmbedderDep, lang: LangDep, request_id: IdPath,
                   csrf: Csrf, file: Annotated[UploadFile, File()]) -> Response:
    """Attach a file (PDF, DOCX, HTML, Markdown, text), read into the knowledge base."""
    folder = FilePath(tempfile.mkdtemp(prefix="sdgbridge-attachment-"))

    def read() -> None:
        path = stored_upload(file, folder, settings.upload_max_bytes)
        attach(engine, request_id, path, name=path.name, embedder=emb)

    try:
        return _act(request, engine, settings, kept, emb, lang, request_id, csrf,
                    "attached", read)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

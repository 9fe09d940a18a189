"""Technical-assistance requests over the API (issue 16), calling :mod:`sdgbridge.assistance`.

Not public: every operation needs an API key. Reads need its ``read`` scope; writes need its
``write`` scope. The roles table decides who reads and files a request, for record type
``request``: the Centre reads and files any, a focal point those of its country, and a
partner editor reads those shared with partners. The lifecycle table decides who makes each
change of state: the requester, the Centre, or the picked candidate
(:mod:`sdgbridge.assistance.lifecycle`). A refused change is answered 403 (not this party) or
409 (not from this state) and recorded in the audit trail; nothing changes.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import Engine

import sdgbridge.web.api.models as m
from sdgbridge import audit
from sdgbridge.accounts.roles import need_scope
from sdgbridge.actors import Actor
from sdgbridge.assistance import context, service
from sdgbridge.assistance.lifecycle import KINDS, STATES, URGENCIES
from sdgbridge.assistance.match import match_request
from sdgbridge.assistance.queries import list_requests, may_read, request_detail
from sdgbridge.errors import N_, Forbidden
from sdgbridge.web.auth import Credentials, TokenDep, Unauthorized, Writer, caller, permit
from sdgbridge.web.deps import (
    CLEAN,
    WRITER,
    EmbedderDep,
    EngineDep,
    KeptDep,
    MethodName,
    SettingsDep,
)
from sdgbridge.web.render import json_response, table_response, written

router = APIRouter(tags=["requests"], dependencies=[CLEAN], responses=m.WRITE_ERRORS)
writes = APIRouter(tags=["writes"], dependencies=[TokenDep, CLEAN], responses=m.WRITE_ERRORS)
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="The request's number.")]
NOT_PUBLIC = ("Technical-assistance requests are not public: send an API key with the read "
              "scope as `Authorization: Bearer <token>`.")


class RequestCreate(m.Body):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(min_length=1, max_length=m.MAX_TEXT)
    country: str = Field(description="ISO 3166 alpha-3, e.g. KGZ.", max_length=3)
    requesting_body: str = Field(description="The ministry or agency.", max_length=500)
    kind: Literal[KINDS] = "policy_advice"  # type: ignore[valid-type]
    targets: list[str] = Field(description="SDG targets, e.g. [\"6.4\"].", min_length=1,
                               max_length=50)
    languages: list[str] = Field(default_factory=lambda: ["ru", "en"], max_length=10)
    urgency: Literal[URGENCIES] = "normal"  # type: ignore[valid-type]
    wanted_by: date | None = None
    share_with_partners: bool = False
    submit: bool = False


class Move(m.Body):
    to: Literal[STATES] = Field(description="The new state.")  # type: ignore[valid-type]
    reason: str | None = Field(None, max_length=5000)


class Comment(m.Body):
    text: str = Field(min_length=1, max_length=20000)


class Propose(m.Body):
    best: int = Field(3, ge=1, le=20, description="Propose the best N of the ranking.")


class Pick(m.Body):
    kind: Literal["expert", "organisation"]
    key: str = Field(max_length=255, description="The expert's number or the organisation's "
                     "ref.")


class Answer(m.Body):
    accept: bool
    reason: str | None = Field(None, max_length=5000)


class Feedback(m.Body):
    rating: int = Field(ge=1, le=5)
    text: str = Field(min_length=1, max_length=20000)
    indicators: list[str] = Field(default_factory=list, max_length=50)


def _reader(request: Request) -> Actor:
    who = caller(request)
    if who is None:
        raise Unauthorized(NOT_PUBLIC)
    need_scope(who, "read")
    return who


def _party(engine: Engine, request: Request, request_id: int) -> Actor:
    """The caller, when it may read the request: the roles' readers of its country and its
    candidates (:func:`~sdgbridge.assistance.queries.may_read`); refused and recorded
    otherwise."""
    who = _reader(request)
    if not may_read(engine, who, request_id):
        audit.refused(engine, "read", "request", request_id, "not a reader of the request",
                      actor=who)
        raise Forbidden(N_("{who} may not read request {id}: the Centre, the focal points "
                           "of its country and its candidates do."), who=who.label,
                        id=request_id)
    return who


def _recorded(engine: Engine, actor: Actor, request_id: int, change: Any) -> Any:
    """Run a change of the request; a refusal of the lifecycle or the roles is recorded in
    the audit trail before it is answered."""
    try:
        with WRITER:
            return change()
    except (Forbidden, service.IllegalTransition) as exc:
        audit.refused(engine, "update", "request", request_id, str(exc), actor=actor)
        raise


@router.get("/requests", responses=m.page_of(m.Row), summary="Technical-assistance requests")
def requests_list(request: Request, engine: EngineDep, _key: Credentials,
                  country: Annotated[str | None, Query(max_length=3)] = None,
                  state: Annotated[Literal[STATES] | None, Query()] = None  # type: ignore[valid-type]
                  ) -> Response:
    """The requests the key's account may read, newest first, with their due dates."""
    who = _reader(request)
    permit(engine, who, "read", "request", who.organisation_id, "the requests",
           country=who.country)
    return table_response(list_requests(engine, country=country, state=state))


@router.get("/requests/{request_id}", responses={200: {"model": m.Row}},
            summary="One request, with its thread")
def request_show(request: Request, engine: EngineDep, _key: Credentials,
                 request_id: IdPath) -> Response:
    """A request with its transitions, comments, candidates (their reasons), feedback, the
    caller's parties to it and the states it may move to."""
    _party(engine, request, request_id)
    return json_response({"ok": True, **request_detail(engine, request_id)})


@router.get("/requests/{request_id}/context", responses={200: {"model": m.Row}},
            summary="What the Centre knows around a request")
def request_context(request: Request, engine: EngineDep, kept: KeptDep, emb: EmbedderDep,
                    settings: SettingsDep, _key: Credentials, request_id: IdPath,
                    method: MethodName = "unsd"
                    ) -> Response:
    """The country's status on the requested targets (the method's current assessment:
    the published run when there is one), the partners' projects there on those targets
    and their money, practices from the region's other countries, and after delivery the
    indicators the help was meant to move, as new data arrive."""
    _party(engine, request, request_id)
    return json_response({
        "ok": True, "status": context.target_status(engine, request_id, method, kept),
        "projects": context.related_projects(engine, request_id, kept).to_dicts(),
        "practices": context.related_practices(engine, request_id, emb,
                                               settings.default_group),
        "followed": context.followed_indicators(engine, request_id).to_dicts()})


@router.get("/requests/{request_id}/matches", responses=m.page_of(m.Row),
            summary="Partners and experts ranked for a request, with reasons")
def request_matches(request: Request, engine: EngineDep, kept: KeptDep, emb: EmbedderDep,
                    _key: Credentials, request_id: IdPath) -> Response:
    """The Centre's ranking of partner organisations and experts for the request, each with
    its score and the reasons for it."""
    who = _reader(request)
    permit(engine, who, "read", "expert", who.organisation_id, f"request {request_id}")
    found = match_request(engine, request_id, emb, kept)
    return table_response(found.drop("why"))


@writes.post("/requests", status_code=201, responses=m.CREATED, summary="File a request")
def request_file(engine: EngineDep, settings: SettingsDep, actor: Writer,
                 body: Annotated[RequestCreate, Body()]) -> Response:
    """File a request (a draft, or submitted at once with ``submit``): a focal point for its
    country, the Centre for any."""
    permit(engine, actor, "create", "request", actor.organisation_id, body.title,
           country=body.country.upper())
    with WRITER:
        rid = service.file_request(engine, settings=settings, **body.model_dump())
    return written(str(rid), 201)


@writes.post("/requests/{request_id}/transitions", responses=m.WRITTEN,
             summary="Move a request along its lifecycle")
def request_move(engine: EngineDep, settings: SettingsDep, actor: Writer, request_id: IdPath,
                 body: Annotated[Move, Body()]) -> Response:
    """Change the request's state, if the lifecycle table lets the caller (requester,
    Centre or picked candidate) make that change; the parties are mailed."""
    _recorded(engine, actor, request_id, lambda: service.move(
        engine, request_id, body.to, body.reason, settings))
    return written(str(request_id), state=body.to)


@writes.post("/requests/{request_id}/comments", responses=m.WRITTEN,
             summary="Comment on a request")
def request_comment(engine: EngineDep, actor: Writer, request_id: IdPath,
                    body: Annotated[Comment, Body()]) -> Response:
    """Add a comment to the request's thread (its parties only)."""
    _recorded(engine, actor, request_id, lambda: service.comment(engine, request_id,
                                                                 body.text))
    return written(str(request_id))


@writes.post("/requests/{request_id}/candidates", responses=m.WRITTEN,
             summary="Propose the best-ranked candidates")
def request_propose(engine: EngineDep, kept: KeptDep, emb: EmbedderDep, actor: Writer,
                    request_id: IdPath, body: Annotated[Propose, Body()]) -> Response:
    """The Centre proposes the best N of the ranking as the request's candidates."""
    permit(engine, actor, "update", "expert", actor.organisation_id, f"request {request_id}")
    found = match_request(engine, request_id, emb, kept).head(body.best).to_dicts()
    n = _recorded(engine, actor, request_id, lambda: service.propose(engine, request_id, found))
    return written(str(request_id), proposed=n)


@writes.post("/requests/{request_id}/pick", responses=m.WRITTEN,
             summary="Pick a candidate: the request is matched")
def request_pick(engine: EngineDep, settings: SettingsDep, actor: Writer, request_id: IdPath,
                 body: Annotated[Pick, Body()]) -> Response:
    """The Centre picks one of the proposed candidates."""
    _recorded(engine, actor, request_id, lambda: service.pick(
        engine, request_id, body.kind, body.key, settings))
    return written(str(request_id), state="matched")


@writes.post("/requests/{request_id}/answer", responses=m.WRITTEN,
             summary="The picked candidate accepts or declines")
def request_answer(engine: EngineDep, settings: SettingsDep, actor: Writer,
                   request_id: IdPath, body: Annotated[Answer, Body()]) -> Response:
    """Accept the request (it becomes accepted) or decline it with a reason (back to
    triage)."""
    _recorded(engine, actor, request_id, lambda: service.respond(
        engine, request_id, body.accept, body.reason, settings))
    return written(str(request_id), state="accepted" if body.accept else "triaged")


@writes.post("/requests/{request_id}/feedback", responses=m.WRITTEN,
             summary="The requester's feedback; the request is closed")
def request_feedback(engine: EngineDep, settings: SettingsDep, actor: Writer,
                     request_id: IdPath, body: Annotated[Feedback, Body()]) -> Response:
    """A rating from 1 to 5, a few words and the SDG indicators the help was meant to move,
    once the help is delivered; the request is then closed."""
    _recorded(engine, actor, request_id, lambda: service.give_feedback(
        engine, request_id, body.rating, body.text, body.indicators, settings))
    return written(str(request_id), state="closed")

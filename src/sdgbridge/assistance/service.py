"""Technical-assistance requests: filing, moving through the lifecycle
(:mod:`.lifecycle`), comments, candidates and feedback; each write checked against the roles
(:mod:`sdgbridge.accounts.roles`, record type ``request``) and the lifecycle table, recorded
in the audit trail and, for a change of state, in ``ta_transition``. A refused write changes
nothing.

Who is who for a request: the ``requester`` is a focal point of the request's country (or
the account that filed it); the ``centre`` is an analyst or administrator (or the command
line); the ``candidate`` is the picked expert's account, or an editor of the picked partner
organisation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.engine import RowMapping

from sdgbridge import audit
from sdgbridge.accounts.roles import check, role_of
from sdgbridge.actors import Actor, current_actor
from sdgbridge.assistance.lifecycle import (
    FINAL,
    KINDS,
    URGENCIES,
    due_at,
    next_states,
    transition,
)
from sdgbridge.assistance.notify import notify
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, Forbidden, NotFound, Phrase, SdgBridgeError

_LANG = re.compile(r"[a-z]{2,3}")
CENTRE_ROLES = ("administrator", "analyst")
LOCAL_VIAS = ("cli", "system")  # the command line and library code hold the store's URL


def _permit(actor: Actor, action: str, record_type: str, country: str | None = None,
            what: str | None = None) -> None:
    """The roles' check (:func:`~sdgbridge.accounts.roles.check`), which the command line
    and library code pass as the Centre does."""
    if actor.via not in LOCAL_VIAS:
        check(actor, action, record_type, country=country, what=what)


class IllegalTransition(SdgBridgeError):
    """A change of state the lifecycle table does not allow, or not to this party."""

    status = 409


def _now() -> datetime:
    return datetime.now(UTC)


def _codes(text: str | Sequence[str]) -> list[str]:
    parts = text.split(",") if isinstance(text, str) else list(text)
    return [p.strip() for p in parts if p and p.strip()]


def _check_targets(conn: Connection, targets: Sequence[str]) -> list[str]:
    codes = [c.lower() for c in targets]
    if not codes:
        raise SdgBridgeError(N_("Name at least one SDG target the request is about "
                                "(e.g. 6.4)."))
    known = set(conn.execute(select(t.target.c.code).where(t.target.c.code.in_(codes)))
                .scalars())
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise SdgBridgeError(N_("No SDG target {codes} in the framework: targets are written "
                                "like 6.4 or 6.a (`sdgbridge framework show` lists them)."),
                             codes=", ".join(unknown))
    return list(dict.fromkeys(codes))


def _check_country(conn: Connection, country: str) -> str:
    code = (country or "").strip().upper()
    a = t.area.c
    found = conn.execute(select(a.iso3).where(a.iso3 == code)).first() if len(code) == 3 \
        else None
    if found is None:
        raise SdgBridgeError(N_("Country {country} is not known: give its ISO 3166 alpha-3 "
                                "code, such as KGZ."), country=country)
    return code


def _check_choice(value: str, allowed: Sequence[str], field: str) -> str:
    if value not in allowed:
        raise SdgBridgeError(N_("{field} {value}: one of {allowed}."), field=field,
                             value=value, allowed=", ".join(allowed))
    return value


def _languages(languages: str | Sequence[str]) -> str:
    codes = [c.lower() for c in _codes(languages)]
    bad = [c for c in codes if not _LANG.fullmatch(c)]
    if bad or not codes:
        raise SdgBridgeError(N_("languages {codes}: give ISO 639-1 codes such as ru,en "
                                "(preferred first)."), codes=",".join(bad) or "(none)")
    return ",".join(codes)


def file_request(engine: Engine, *, title: str, description: str, country: str,
                 requesting_body: str, kind: str, targets: Sequence[str] | str,
                 languages: Sequence[str] | str = "ru,en", urgency: str = "normal",
                 wanted_by: date | None = None, share_with_partners: bool = False,
                 submit: bool = False, settings: Settings | None = None) -> int:
    """A new request, a draft (submitted at once when ``submit``); its id."""
    actor = current_actor()
    if not (title or "").strip() or not (description or "").strip() or not (
            requesting_body or "").strip():
        raise SdgBridgeError(N_("Give the request a title, a description and the requesting "
                                "body (the ministry or agency)."))
    _check_choice(kind, KINDS, "kind")
    _check_choice(urgency, URGENCIES, "urgency")
    langs = _languages(languages)
    now = _now()
    if wanted_by is not None and wanted_by < now.date():
        raise SdgBridgeError(N_("The help is wanted by {wanted_by}, before today: give a "
                                "date from today on."), wanted_by=wanted_by.isoformat())
    with engine.begin() as conn:
        code = _check_country(conn, country)
        _permit(actor, "create", "request", country=code, what=title)
        codes = _check_targets(conn, _codes(targets))
        values = {"title": title.strip(), "description": description.strip(), "country": code,
                  "requesting_body": requesting_body.strip(), "account_id": actor.account_id,
                  "organisation_id": actor.organisation_id, "kind": kind, "urgency": urgency,
                  "languages": langs, "targets": ",".join(codes), "wanted_by": wanted_by,
                  "state": "draft", "state_since": now,
                  "share_with_partners": int(share_with_partners), "created_at": now}
        request_id = int(conn.execute(insert(t.ta_request).values(**values)
                                      .returning(t.ta_request.c.id)).scalar_one())
        conn.execute(insert(t.ta_transition).values(
            request_id=request_id, at=now, actor=actor.label, from_state=None,
            to_state="draft", reason=None))
        audit.record(conn, "created", "request", request_id,
                     after={k: v for k, v in values.items() if k not in ("state_since",
                                                                          "created_at")})
    if submit:
        move(engine, request_id, "submitted", settings=settings)
    return request_id


def _request(conn: Connection, request_id: int) -> RowMapping:
    row = conn.execute(select(t.ta_request).where(t.ta_request.c.id == request_id)
                       ).mappings().first()
    if row is None:
        raise NotFound(N_("No request {id}. `sdgbridge requests list` lists them."),
                       id=request_id)
    return row


def parties_of(conn: Connection, actor: Actor, request: RowMapping) -> set[str]:
    """Which parties of ``request`` the actor is (:mod:`.lifecycle`'s ``requester``,
    ``centre``, ``candidate``)."""
    found = set()
    if actor.via in LOCAL_VIAS or role_of(actor) in CENTRE_ROLES:
        found.add("centre")
    if (role_of(actor) == "focal_point" and (actor.country or "").upper() == request["country"]
            ) or (actor.account_id is not None and actor.account_id == request["account_id"]):
        found.add("requester")
    c, e = t.ta_candidate.c, t.expert.c
    picked = conn.execute(select(c.kind, c.candidate_key).where(
        c.request_id == request["id"], c.state.in_(("picked", "accepted")))).all()
    for kind, key in picked:
        if kind == "expert" and actor.account_id is not None:
            owner = conn.execute(select(e.account_id).where(e.id == int(key))).scalar()
            if owner == actor.account_id:
                found.add("candidate")
        if kind == "organisation" and actor.organisation_id is not None and (
                key == f"org:{actor.organisation_id}" or key in conn.execute(
                    select(t.organisation.c.ref).where(
                        t.organisation.c.id == actor.organisation_id)).scalars().all()):
            found.add("candidate")
    return found


def move(engine: Engine, request_id: int, target: str, reason: str | None = None,
         settings: Settings | None = None) -> None:
    """Change the request's state to ``target`` if the lifecycle table allows it to this
    actor; refused (:class:`IllegalTransition`, 409) otherwise, with the allowed states.
    With ``settings``, the parties are told by mail (:mod:`.notify`)."""
    actor = current_actor()
    with engine.begin() as conn:
        request = _request(conn, request_id)
        source = request["state"]
        rule = transition(source, target)
        if rule is None:
            raise IllegalTransition(
                N_("Request {id} is {source}: it cannot become {target}. From {source} it "
                   "can become: {allowed}."), id=request_id, source=Phrase(source),
                target=Phrase(target), allowed=", ".join(next_states(source)) or "nothing")
        parties = parties_of(conn, actor, request)
        if not parties & set(rule.by):
            raise Forbidden(N_("{who} may not make request {id} {target}: that is for the "
                               "{by}."), who=actor.label, id=request_id, target=Phrase(target),
                            by=" or ".join(rule.by))
        if rule.reason and not (reason or "").strip():
            raise SdgBridgeError(N_("Say why request {id} becomes {target} (a reason)."),
                                 id=request_id, target=Phrase(target))
        _preconditions(conn, request, target)
        now = _now()
        extra = {"submitted_at": now} if target == "submitted" else {}
        conn.execute(update(t.ta_request).where(t.ta_request.c.id == request_id).values(
            state=target, state_since=now, **extra))
        conn.execute(insert(t.ta_transition).values(
            request_id=request_id, at=now, actor=actor.label, from_state=source,
            to_state=target, reason=(reason or "").strip() or None))
        audit.record(conn, "moved", "request", request_id, before={"state": source},
                     after={"state": target, **({"reason": reason} if reason else {})})
        if settings is not None:
            notify(conn, settings, request, target, actor.label, (reason or "").strip() or None)


def _preconditions(conn: Connection, request: RowMapping, target: str) -> None:
    """What a state needs besides the table: a picked candidate to be matched, the
    requester's feedback to be closed, a wanted-by date not before the submission."""
    c = t.ta_candidate.c
    if target == "submitted" and request["wanted_by"] is not None \
            and request["wanted_by"] < _now().date():
        raise SdgBridgeError(N_("Request {id} is wanted by {wanted_by}, before today's "
                                "submission: change the date first."), id=request["id"],
                             wanted_by=request["wanted_by"].isoformat())
    if target == "matched" and not conn.execute(select(c.id).where(
            c.request_id == request["id"], c.state == "picked")).first():
        raise SdgBridgeError(N_("Pick a candidate for request {id} before it is matched "
                                "(`sdgbridge requests pick`)."), id=request["id"])
    if target == "closed" and not conn.execute(select(t.ta_feedback.c.request_id).where(
            t.ta_feedback.c.request_id == request["id"])).first():
        raise SdgBridgeError(N_("Request {id} is closed with the requester's feedback: give "
                                "a rating and a few words first."), id=request["id"])


def comment(engine: Engine, request_id: int, text: str) -> None:
    """A comment on the request's thread, by one of its parties."""
    actor = current_actor()
    if not (text or "").strip():
        raise SdgBridgeError(N_("The comment is empty."))
    with engine.begin() as conn:
        request = _request(conn, request_id)
        if not parties_of(conn, actor, request):
            raise Forbidden(N_("{who} is not a party to request {id}."), who=actor.label,
                            id=request_id)
        conn.execute(insert(t.ta_comment).values(request_id=request_id, at=_now(),
                                                 actor=actor.label, text=text.strip()))
        audit.record(conn, "commented", "request", request_id, after={"text": text.strip()})


def propose(engine: Engine, request_id: int, candidates: Sequence[dict[str, Any]]) -> int:
    """Record ``candidates`` (kind, candidate_key, name, score, reasons) as proposed for the
    request, by the Centre; one already proposed is refused, nothing written."""
    actor = current_actor()
    with engine.begin() as conn:
        request = _request(conn, request_id)
        if "centre" not in parties_of(conn, actor, request):
            raise Forbidden(N_("Only the Centre proposes candidates for request {id}."),
                            id=request_id)
        if request["state"] in FINAL:
            raise IllegalTransition(N_("Request {id} is {state}: nothing more is matched."),
                                    id=request_id, state=Phrase(request["state"]))
        c = t.ta_candidate.c
        there = {(kind, key) for kind, key in conn.execute(
            select(c.kind, c.candidate_key).where(c.request_id == request_id))}
        twice = [x["name"] for x in candidates if (x["kind"], x["candidate_key"]) in there]
        if twice:
            raise SdgBridgeError(N_("Already a candidate for request {id}: {names}."),
                                 id=request_id, names=", ".join(twice))
        now = _now()
        rows = [{"request_id": request_id, "kind": x["kind"],
                 "candidate_key": str(x["candidate_key"]), "name": x["name"],
                 "score": float(x["score"]), "reasons": _reasons_json(x),
                 "state": "proposed", "at": now} for x in candidates]
        if rows:
            conn.execute(insert(t.ta_candidate), rows)
        audit.record(conn, "proposed", "request", request_id,
                     after={"candidates": [f"{r['kind']}:{r['candidate_key']}" for r in rows]})
    return len(candidates)


def _reasons_json(candidate: dict[str, Any]) -> str:
    """A candidate's reasons as stored: each its English ``text`` and, when matching gave
    it, what a page translates (``template``, ``params``, ``phrases``)."""
    why = candidate.get("why") or [None] * len(candidate["reasons"])
    return json.dumps([{"text": text, **(json.loads(w) if w else {})}
                       for text, w in zip(candidate["reasons"], why, strict=True)],
                      ensure_ascii=False)


def _set_candidate(conn: Connection, request_id: int, kind: str, key: str, state: str) -> None:
    c = t.ta_candidate.c
    done = conn.execute(update(t.ta_candidate).where(
        c.request_id == request_id, c.kind == kind, c.candidate_key == str(key)).values(
        state=state, at=_now()))
    if done.rowcount != 1:
        raise NotFound(N_("{kind} {key} is not a candidate for request {id}; propose it "
                          "first."), kind=kind, key=key, id=request_id)


def pick(engine: Engine, request_id: int, kind: str, key: str,
         settings: Settings | None = None) -> None:
    """The Centre picks a proposed candidate; the request becomes matched."""
    actor = current_actor()
    with engine.begin() as conn:
        request = _request(conn, request_id)
        if "centre" not in parties_of(conn, actor, request):
            raise Forbidden(N_("Only the Centre picks the candidate for request {id}."),
                            id=request_id)
        _set_candidate(conn, request_id, kind, key, "picked")
        audit.record(conn, "picked", "request", request_id, after={"candidate": f"{kind}:{key}"})
    move(engine, request_id, "matched", settings=settings)


def respond(engine: Engine, request_id: int, accept: bool, reason: str | None = None,
            settings: Settings | None = None) -> None:
    """The picked candidate accepts (the request becomes accepted) or declines, with a
    reason (it goes back to triage for another match)."""
    with engine.connect() as conn:
        c = t.ta_candidate.c
        picked = conn.execute(select(c.kind, c.candidate_key).where(
            c.request_id == request_id, c.state == "picked")).first()
    if picked is None:
        raise SdgBridgeError(N_("Request {id} has no picked candidate to answer."),
                             id=request_id)
    move(engine, request_id, "accepted" if accept else "triaged", reason, settings)
    with engine.begin() as conn:
        _set_candidate(conn, request_id, picked[0], picked[1],
                       "accepted" if accept else "declined")


def give_feedback(engine: Engine, request_id: int, rating: int, text: str,
                  indicators: Sequence[str] | str = (), settings: Settings | None = None
                  ) -> None:
    """The requester's feedback on delivered help (a rating 1-5, words, and the SDG
    indicators the help was meant to move); then the request is closed."""
    actor = current_actor()
    if not 1 <= int(rating) <= 5 or not (text or "").strip():
        raise SdgBridgeError(N_("Feedback is a rating from 1 to 5 and a few words."))
    with engine.begin() as conn:
        request = _request(conn, request_id)
        if request["state"] != "delivered":
            raise IllegalTransition(N_("Request {id} is {state}: feedback comes once the help "
                                       "is delivered."), id=request_id,
                                    state=Phrase(request["state"]))
        if not parties_of(conn, actor, request) & {"requester", "centre"}:
            raise Forbidden(N_("{who} may not give feedback on request {id}: that is for the "
                               "requester."), who=actor.label, id=request_id)
        codes = _codes(indicators)
        conn.execute(insert(t.ta_feedback).values(
            request_id=request_id, rating=int(rating), text=text.strip(),
            indicators=",".join(codes), at=_now()))
        audit.record(conn, "feedback", "request", request_id,
                     after={"rating": int(rating), "indicators": codes})
    move(engine, request_id, "closed", settings=settings)


def add_expert(engine: Engine, *, name: str, email: str, languages: Sequence[str] | str,
               targets: Sequence[str] | str = (), sectors: Sequence[str] | str = (),
               countries: Sequence[str] | str = (), available_from: date | None = None,
               available_to: date | None = None, account_id: int | None = None,
               organisation_id: int | None = None) -> int:
    """A person the Centre can match to requests; their id."""
    actor = current_actor()
    _permit(actor, "create", "expert", what=name)
    if not (name or "").strip() or "@" not in (email or ""):
        raise SdgBridgeError(N_("An expert needs a name and an email address."))
    if available_from and available_to and available_to < available_from:
        raise SdgBridgeError(N_("Available to {to} is before available from {start}."),
                             to=available_to.isoformat(), start=available_from.isoformat())
    with engine.begin() as conn:
        codes = _check_targets(conn, _codes(targets)) if _codes(targets) else []
        places = [_check_country(conn, c) for c in _codes(countries)]
        values = {"name": name.strip(), "email": email.strip().lower(),
                  "account_id": account_id, "organisation_id": organisation_id,
                  "languages": _languages(languages), "targets": ",".join(codes),
                  "sectors": ",".join(_codes(sectors)), "countries": ",".join(places),
                  "available_from": available_from, "available_to": available_to,
                  "created_at": _now()}
        if conn.execute(select(t.expert.c.id).where(t.expert.c.email == values["email"])
                        ).first():
            raise SdgBridgeError(N_("An expert with the email {email} is registered "
                                    "already."), email=values["email"])
        expert_id = int(conn.execute(insert(t.expert).values(**values)
                                     .returning(t.expert.c.id)).scalar_one())
        audit.record(conn, "created", "expert", expert_id,
                     after={k: v for k, v in values.items() if k != "created_at"})
    return expert_id


def remind_overdue(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Mail a reminder to the parties of every open request past its stage's service level
    (:data:`~.lifecycle.STAGE_DAYS`), recorded in the audit trail; how many mails."""
    from sdgbridge.assistance.notify import remind

    moment = now or _now()
    sent = 0
    with engine.begin() as conn:
        rows = conn.execute(select(t.ta_request).where(
            t.ta_request.c.state.not_in(FINAL))).mappings().all()
        for request in rows:
            due = due_at(request["state"], request["state_since"])
            if due is not None and due < moment:
                n = remind(conn, settings, request, due)
                sent += n
                audit.record(conn, "reminded", "request", request["id"],
                             after={"state": request["state"], "due": due.isoformat(),
                                    "mails": n})
    return sent

"""Reading technical-assistance requests: the list a reader may see, one request with its
thread, candidates, feedback and context, the overdue ones (service levels of
:data:`~.lifecycle.STAGE_DAYS`) and the dashboard of open requests.

Who reads what (the roles' record type ``request``): the Centre (analysts, administrators,
the command line) every request; a focal point its country's; a partner editor the requests
the requester shared with partners; a candidate the requests it is a candidate for.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Connection, Engine, false, or_, select, true
from sqlalchemy.engine import RowMapping

from sdgbridge.accounts.roles import role_of
from sdgbridge.actors import Actor, current_actor
from sdgbridge.assistance.attachments import attachments
from sdgbridge.assistance.lifecycle import FINAL, aware, due_at, next_states
from sdgbridge.assistance.service import CENTRE_ROLES, LOCAL_VIAS, parties_of
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound

LIST_COLUMNS = ("id", "title", "country", "requesting_body", "kind", "urgency", "targets",
                "state", "state_since", "due", "overdue", "created_at")


def readable(actor: Actor | None = None) -> ColumnElement[bool]:
    """The requests ``actor`` (default: the current one) may read, as a condition."""
    who = actor or current_actor()
    r = t.ta_request.c
    role = role_of(who)
    if who.via in LOCAL_VIAS or role in CENTRE_ROLES:
        return true()
    conds: list[ColumnElement[bool]] = []
    if role == "focal_point" and who.country:
        conds.append(r.country == who.country.upper())
    if who.account_id is not None:
        conds.append(r.account_id == who.account_id)
        mine = select(t.expert.c.id.cast(t.ta_candidate.c.candidate_key.type)).where(
            t.expert.c.account_id == who.account_id)
        conds.append(r.id.in_(select(t.ta_candidate.c.request_id).where(
            t.ta_candidate.c.kind == "expert", t.ta_candidate.c.candidate_key.in_(mine))))
    if role == "partner_editor":
        conds.append(r.share_with_partners == 1)
    return or_(*conds) if conds else false()


def list_requests(engine: Engine, *, country: str | None = None, state: str | None = None,
                  now: datetime | None = None) -> pl.DataFrame:
    """The requests the current actor may read, newest first, with their due date and
    whether they are overdue (:data:`LIST_COLUMNS`)."""
    r = t.ta_request.c
    stmt = select(r.id, r.title, r.country, r.requesting_body, r.kind, r.urgency, r.targets,
                  r.state, r.state_since, r.created_at).where(readable())
    if country:
        stmt = stmt.where(r.country == country.upper())
    if state:
        stmt = stmt.where(r.state == state)
    moment = now or datetime.now(UTC)
    with engine.connect() as conn:
        rows = [dict(x._mapping) for x in conn.execute(stmt.order_by(r.id.desc()))]
    for row in rows:
        due = due_at(row["state"], row["state_since"])
        row["due"], row["overdue"] = due, bool(due and due < moment)
        row["state_since"], row["created_at"] = (aware(row["state_since"]),
                                                 aware(row["created_at"]))
    return pl.DataFrame(rows, schema={
        "id": pl.Int64, "title": pl.Utf8, "country": pl.Utf8, "requesting_body": pl.Utf8,
        "kind": pl.Utf8, "urgency": pl.Utf8, "targets": pl.Utf8, "state": pl.Utf8,
        "state_since": pl.Datetime("us", "UTC"), "due": pl.Datetime("us", "UTC"),
        "overdue": pl.Boolean, "created_at": pl.Datetime("us", "UTC")}).select(LIST_COLUMNS)


def readable_request(conn: Connection, request_id: int) -> RowMapping:
    """Request ``request_id``'s row, when the current actor may read it
    (:func:`readable`); :class:`~sdgbridge.errors.NotFound` otherwise."""
    row = conn.execute(select(t.ta_request).where(t.ta_request.c.id == request_id,
                                                  readable())).mappings().first()
    if row is None:
        raise NotFound(N_("No request {id} that you may read. `sdgbridge requests list` "
                          "lists them."), id=request_id)
    return row


def request_detail(engine: Engine, request_id: int) -> dict[str, Any]:
    """One request with its transitions, comments, candidates, feedback, attachments, what
    the current actor is to it (its parties) and the states it may move it to."""
    with engine.connect() as conn:
        row = readable_request(conn, request_id)
        parties = parties_of(conn, current_actor(), row)

        def rows(table: Any, order: Any) -> list[dict[str, Any]]:
            return [{str(k): v for k, v in x.items()} for x in conn.execute(
                select(table).where(table.c.request_id == request_id).order_by(order)
            ).mappings()]

        transitions = rows(t.ta_transition, t.ta_transition.c.id)
        comments = rows(t.ta_comment, t.ta_comment.c.id)
        candidates = rows(t.ta_candidate, t.ta_candidate.c.score.desc())
        feedback = rows(t.ta_feedback, t.ta_feedback.c.request_id)
    for c in candidates:
        stored = [x if isinstance(x, dict) else {"text": x} for x in json.loads(c["reasons"])]
        c["reasons"] = [x["text"] for x in stored]  # in English
        c["why"] = [x for x in stored if "template" in x]  # what a page translates
    request = {str(k): v for k, v in row.items()}
    request["due"] = due_at(row["state"], row["state_since"])
    return {"request": request, "transitions": transitions, "comments": comments,
            "candidates": candidates, "feedback": feedback[0] if feedback else None,
            "attachments": attachments(engine, request_id),
            "parties": sorted(parties),
            "next_states": [] if row["state"] in FINAL else next_states(row["state"])}


def overdue(engine: Engine, now: datetime | None = None) -> pl.DataFrame:
    """The open requests past their stage's service level, the longest overdue first."""
    found = list_requests(engine, now=now).filter(pl.col("overdue"))
    return found.sort("due")


def dashboard(engine: Engine, now: datetime | None = None) -> dict[str, pl.DataFrame]:
    """Open requests by country and stage, by kind, and the days from submission to
    delivery of those delivered."""
    requests = list_requests(engine, now=now)
    open_ = requests.filter(~pl.col("state").is_in(list(FINAL)))
    by_country = open_.pivot(on="state", index="country", values="id",
                             aggregate_function="len").fill_null(0) if open_.height else \
        pl.DataFrame(schema={"country": pl.Utf8})
    by_kind = open_.group_by("kind").agg(pl.len().alias("open"),
                                         pl.col("overdue").sum().alias("overdue")).sort("kind")
    tr = t.ta_transition.c
    with engine.connect() as conn:
        moves = conn.execute(select(tr.request_id, tr.to_state, tr.at).where(
            tr.to_state.in_(("submitted", "delivered")), tr.request_id.in_(
                select(t.ta_request.c.id).where(readable())))).all()
    times: dict[int, dict[str, datetime]] = {}
    for rid, state, at in moves:
        times.setdefault(rid, {})[state] = aware(at)
    delivery = pl.DataFrame([{"id": rid, "days": (x["delivered"] - x["submitted"]).days}
                             for rid, x in times.items() if {"submitted", "delivered"} <= set(x)],
                            schema={"id": pl.Int64, "days": pl.Int64})
    return {"by_country": by_country, "by_kind": by_kind, "delivery": delivery,
            "overdue": requests.filter(pl.col("overdue"))}


def request_country(engine: Engine, request_id: int) -> str:
    """The country (ISO alpha-3) of request ``request_id``, whoever asks: what the roles
    are asked about before it is read."""
    with engine.connect() as conn:
        found = conn.execute(select(t.ta_request.c.country).where(
            t.ta_request.c.id == request_id)).scalar()
    if found is None:
        raise NotFound(N_("No request {id}. `sdgbridge requests list` lists them."),
                       id=request_id)
    return str(found)


def may_read(engine: Engine, actor: Actor, request_id: int) -> bool:
    """Whether ``actor`` may read request ``request_id``: the roles let it read the
    requests of its country (:func:`~sdgbridge.accounts.roles.can`), or it is one of the
    request's candidates (an expert reads the request it is proposed for whatever its
    role). An unknown request is :class:`~sdgbridge.errors.NotFound`."""
    from sdgbridge.accounts.roles import can

    country = request_country(engine, request_id)
    if can(actor, "read", "request", actor.organisation_id, country):
        return True
    with engine.connect() as conn:
        return conn.execute(select(t.ta_request.c.id).where(
            t.ta_request.c.id == request_id, readable(actor))).first() is not None

"""A technical-assistance request's lifecycle (issue 16): the whole way from a focal point's
draft to closing with feedback; every pair of states tried, the table's changes allowed to
their parties only, every other refused with nothing written; the bad input of the issue."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from sdgbridge.accounts import users
from sdgbridge.actors import Actor, acting_as
from sdgbridge.assistance.lifecycle import STATES, TRANSITIONS, transition
from sdgbridge.assistance.service import (
    IllegalTransition,
    add_expert,
    comment,
    file_request,
    give_feedback,
    move,
    pick,
    propose,
    respond,
)
from sdgbridge.db import tables as t
from sdgbridge.errors import Forbidden, SdgBridgeError

REQUEST = dict(title="Water use efficiency in irrigation",
               description="Advice on measuring and raising water use efficiency (6.4.1).",
               country="KGZ", requesting_body="Ministry of Agriculture", kind="policy_advice",
               targets=["6.4"], languages="ru,en")


@pytest.fixture
def people(engine: Engine) -> dict[str, Actor]:
    ids = {}
    for email in ("focal@gov.kg", "other@gov.tj", "analyst@centre.org", "expert@water.org"):
        users.create_account(engine, email, email.split("@")[0])
        with engine.connect() as conn:
            ids[email] = conn.execute(select(t.account.c.id).where(
                t.account.c.email == email)).scalar_one()
    with acting_as(Actor("cli:setup", "cli", role="administrator", administrator=True)):
        add_expert(engine, name="Aida Water", email="expert@water.org", languages="ru,ky",
                   targets="6.4", countries="KGZ", account_id=ids["expert@water.org"])
    return {
        "requester": Actor("focal@gov.kg", "web", account_id=ids["focal@gov.kg"],
                           role="focal_point", country="KGZ"),
        "other_country": Actor("other@gov.tj", "web", account_id=ids["other@gov.tj"],
                               role="focal_point", country="TJK"),
        "centre": Actor("analyst@centre.org", "web", account_id=ids["analyst@centre.org"],
                        role="analyst"),
        "candidate": Actor("expert@water.org", "web", account_id=ids["expert@water.org"],
                           role="reader"),
    }


def _expert_id(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(t.expert.c.id)).scalar_one())


def _state(engine: Engine, request_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(t.ta_request.c.state).where(
            t.ta_request.c.id == request_id)).scalar_one())


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_whole_way(engine: Engine, people: dict[str, Actor]) -> None:
    with acting_as(people["requester"]):
        rid = file_request(engine, **REQUEST, submit=True)
    assert _state(engine, rid) == "submitted"
    with acting_as(people["centre"]):
        move(engine, rid, "triaged")
        propose(engine, rid, [{"kind": "expert", "candidate_key": _expert_id(engine),
                               "name": "Aida Water", "score": 7.0,
                               "reasons": ["works on 6.4 in Kyrgyzstan", "speaks ru"]}])
        pick(engine, rid, "expert", _expert_id(engine))
    assert _state(engine, rid) == "matched"
    with acting_as(people["candidate"]):
        respond(engine, rid, accept=True)
        move(engine, rid, "in_progress")
        comment(engine, rid, "Field visit to Batken planned for May.")
        move(engine, rid, "delivered")
    with acting_as(people["requester"]):
        give_feedback(engine, rid, 5, "Useful: the method is now in our plan.", "6.4.1")
    assert _state(engine, rid) == "closed"
    with engine.connect() as conn:
        path = conn.execute(select(t.ta_transition.c.to_state, t.ta_transition.c.actor).where(
            t.ta_transition.c.request_id == rid).order_by(t.ta_transition.c.id)).all()
        events = conn.execute(select(t.audit_event.c.action).where(
            t.audit_event.c.record_type == "request",
            t.audit_event.c.record_key == str(rid)).order_by(t.audit_event.c.id)).scalars().all()
    assert [s for s, _ in path] == ["draft", "submitted", "triaged", "matched", "accepted",
                                    "in_progress", "delivered", "closed"]
    assert dict(path)["accepted"] == "expert@water.org"
    assert events == ["created", "moved", "moved", "proposed", "picked", "moved", "moved",
                      "moved", "commented", "moved", "feedback", "moved"]


def _set(engine: Engine, rid: int, state: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.ta_request).where(t.ta_request.c.id == rid).values(state=state))


def _ready(engine: Engine, rid: int, target: str, expert: str) -> None:
    """What a state needs besides the table: a picked candidate, the feedback."""
    with engine.begin() as conn:
        if target in ("matched", "accepted", "triaged", "in_progress", "delivered"):
            conn.execute(t.ta_candidate.insert().values(
                request_id=rid, kind="expert", candidate_key=expert, name="Aida", score=1,
                reasons="[]", state="picked", at=date.today()))
        if target == "closed":
            conn.execute(t.ta_feedback.insert().values(request_id=rid, rating=4, text="ok",
                                                       indicators="", at=date.today()))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_every_pair_of_states(engine: Engine, people: dict[str, Actor]) -> None:
    expert = _expert_id(engine)
    tried = allowed = 0
    for source, target in itertools.product(STATES, STATES):
        rule = transition(source, target)
        for party in ("requester", "centre", "candidate", "other_country"):
            with acting_as(people["requester"]):
                rid = file_request(engine, **REQUEST)
            _set(engine, rid, source)
            _ready(engine, rid, target, expert)
            before = _count(engine, t.ta_transition)
            may = rule is not None and party in rule.by
            with acting_as(people[party]):
                if may:
                    move(engine, rid, target, reason="a reason")
                    assert _state(engine, rid) == target
                    allowed += 1
                else:
                    with pytest.raises((IllegalTransition, Forbidden)) as err:
                        move(engine, rid, target, reason="a reason")
                    assert isinstance(err.value, IllegalTransition) == (rule is None)
                    assert _state(engine, rid) == source
                    assert _count(engine, t.ta_transition) == before
            tried += 1
    assert tried == len(STATES) ** 2 * 4
    assert allowed == sum(len(r.by) for r in TRANSITIONS)


def test_bad_input_changes_nothing(engine: Engine, people: dict[str, Actor]) -> None:
    with acting_as(people["requester"]):
        with pytest.raises(SdgBridgeError, match="No SDG target 6.99 in the framework"):
            file_request(engine, **{**REQUEST, "targets": ["6.4", "6.99"]})
        with pytest.raises(SdgBridgeError, match="Country XXX is not known"):
            file_request(engine, **{**REQUEST, "country": "XXX"})
        with pytest.raises(SdgBridgeError, match="before today"):
            file_request(engine, **REQUEST, wanted_by=date.today() - timedelta(days=1))
        with pytest.raises(Forbidden, match="may not create request"):
            file_request(engine, **{**REQUEST, "country": "TJK"})
        rid = file_request(engine, **REQUEST, submit=True)
        with pytest.raises(SdgBridgeError, match="Say why request"):
            move(engine, rid, "withdrawn")
    with acting_as(people["other_country"]), pytest.raises(Forbidden):
        move(engine, rid, "withdrawn", reason="not ours")
    candidate = {"kind": "expert", "candidate_key": _expert_id(engine), "name": "Aida Water",
                 "score": 1.0, "reasons": []}
    with acting_as(people["centre"]):
        move(engine, rid, "triaged")
        with pytest.raises(SdgBridgeError, match="Pick a candidate for request"):
            move(engine, rid, "matched")
        propose(engine, rid, [candidate])
        with pytest.raises(SdgBridgeError, match="Already a candidate for request"):
            propose(engine, rid, [candidate])
    assert _count(engine, t.ta_candidate) == 1
    assert _count(engine, t.ta_request) == 1 and _state(engine, rid) == "triaged"

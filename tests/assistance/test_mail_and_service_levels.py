"""The parties of a request hear of each step by mail, delivered to a real SMTP server
(aiosmtpd on 127.0.0.1), in their language; overdue requests are listed and reminded; the
dashboard counts them; the command line runs the whole lifecycle (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from sdgbridge import mail
from sdgbridge.accounts import users
from sdgbridge.actors import Actor, acting_as
from sdgbridge.assistance.queries import dashboard, list_requests, overdue, request_detail
from sdgbridge.assistance.service import (
    add_expert,
    file_request,
    give_feedback,
    move,
    pick,
    propose,
    remind_overdue,
    respond,
)
from sdgbridge.db import tables as t
from tests.test_mail import Collector, settings_for, smtp_server

CENTRE = Actor("analyst@centre.org", "web", role="analyst")
REQUEST = dict(title="Эффективность водопользования", description="Совет по 6.4.1.",
               country="KGZ", requesting_body="Министерство водных ресурсов",
               kind="policy_advice", targets=["6.4"], languages="ru")


def _focal(engine: Engine) -> Actor:
    users.create_account(engine, "focal@gov.kg", "Айгуль", languages="ru")
    with engine.connect() as conn:
        account = conn.execute(select(t.account.c.id).where(
            t.account.c.email == "focal@gov.kg")).scalar_one()
    return Actor("focal@gov.kg", "web", account_id=account, role="focal_point", country="KGZ")


def test_each_step_is_mailed_to_the_parties(engine: Engine) -> None:
    collector = Collector()
    with smtp_server(collector) as port:
        settings = settings_for(port, assistance_mail="ta@centre.org")
        focal = _focal(engine)
        with acting_as(CENTRE):
            expert = add_expert(engine, name="Aida", email="aida@water.org", languages="en",
                                targets="6.4")
        with acting_as(focal):
            rid = file_request(engine, **REQUEST, submit=True, settings=settings)
        with acting_as(CENTRE):
            move(engine, rid, "triaged", settings=settings)
            propose(engine, rid, [{"kind": "expert", "candidate_key": str(expert),
                                   "name": "Aida", "score": 3.0, "reasons": ["6.4"]}])
            pick(engine, rid, "expert", str(expert), settings)
            respond(engine, rid, True, settings=settings)
            move(engine, rid, "in_progress", settings=settings)
            move(engine, rid, "delivered", settings=settings)
        with acting_as(focal):
            give_feedback(engine, rid, 4, "Полезно", "6.4.1", settings)
        report = mail.send_due(engine, settings)
        assert report.failures == []
    got = [(m["To"], m["Subject"]) for m in collector.messages]
    # The focal point (in Russian) hears of every step but its own two; the Centre's inbox
    # of every step; the expert (in English) from the moment it is picked.
    focal_mail = [s for to, s in got if to == "focal@gov.kg"]
    assert focal_mail == [f"Запрос {rid}: {state} — Эффективность водопользования" for state in
                          ("рассмотрен", "подобран эксперт", "принят экспертом",
                           "выполняется", "выполнен")]
    assert len([s for to, s in got if to == "ta@centre.org"]) == 7
    expert_mail = [s for to, s in got if to == "aida@water.org"]
    assert expert_mail[0] == f"Request {rid} is matched to an expert: Эффективность водопользования"
    assert len(expert_mail) == 5  # matched, accepted, in progress, delivered, closed
    body = next(m for m in collector.messages if m["To"] == "focal@gov.kg").get_content()
    assert f"/requests/{rid}" in body


def test_overdue_requests_are_listed_reminded_and_counted(engine: Engine) -> None:
    with acting_as(CENTRE):
        rid = file_request(engine, **REQUEST, submit=True)
        fresh = file_request(engine, **REQUEST, submit=True)
    long_ago = datetime.now(UTC) - timedelta(days=6)  # submitted: 5 days to triage
    with engine.begin() as conn:
        conn.execute(update(t.ta_request).where(t.ta_request.c.id == rid).values(
            state_since=long_ago))
    assert overdue(engine)["id"].to_list() == [rid]
    listed = list_requests(engine)
    assert dict(zip(listed["id"], listed["overdue"], strict=True)) == {rid: True, fresh: False}
    collector = Collector()
    with smtp_server(collector) as port:
        settings = settings_for(port, assistance_mail="ta@centre.org")
        with acting_as(CENTRE):
            assert remind_overdue(engine, settings) == 1
        mail.send_due(engine, settings)
    assert collector.messages[0]["Subject"] == f"Overdue: request {rid}, Эффективность " \
                                               "водопользования"
    board = dashboard(engine)
    assert board["by_country"].row(0, named=True) == {"country": "KGZ", "submitted": 2}
    assert board["overdue"]["id"].to_list() == [rid]


def test_who_reads_which_request(engine: Engine) -> None:
    focal = _focal(engine)
    with acting_as(focal):
        mine = file_request(engine, **REQUEST)
    with acting_as(CENTRE):
        tajik = file_request(engine, **{**REQUEST, "country": "TJK"})
    with acting_as(focal):
        assert list_requests(engine)["id"].to_list() == [mine]
        with pytest.raises(Exception, match=f"No request {tajik} that you may read"):
            request_detail(engine, tajik)
        assert request_detail(engine, mine)["parties"] == ["requester"]
    partner = Actor("ed@undp.org", "web", account_id=None, role="partner_editor",
                    organisation_id=1)
    with acting_as(partner):
        assert list_requests(engine).height == 0  # none shared with partners
    with acting_as(CENTRE):
        assert set(list_requests(engine)["id"]) == {mine, tajik}

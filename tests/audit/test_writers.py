"""Every service function that writes records its audit events: the functions are found by
a scan of the library (:mod:`tests.audit.scan`), each is called on a small specimen, and the
new events must be exactly the declared ones, by the actor in force. A new writing function
without a specimen here fails :func:`test_every_writer_is_declared`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, select

from sdgbridge import audit
from sdgbridge.accounts import keys, sessions, users
from sdgbridge.actors import Actor, acting_as
from sdgbridge.assessment.store import Assessment, save
from sdgbridge.assistance import service as assistance
from sdgbridge.assistance.attachments import attach
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.ingest.load import ingest
from sdgbridge.knowledge.embed import HashingEmbedder
from sdgbridge.knowledge.service import (
    DocumentInput,
    add_document,
    add_documents,
    correct_tag,
    correct_tags,
    index_projects,
    remove_document,
    tag_document,
)
from sdgbridge.projects.editing import (
    archive_project,
    create_project,
    restore_project,
    update_project,
)
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import archive_org, create_org, restore_org, seed_from_iati, update_org
from sdgbridge.reference.framework import PACKAGED_FRAMEWORK, load_framework
from sdgbridge.reference.geography import define_group, delete_group, load_geography
from sdgbridge.roadmaps.reviews import ReviewRow, record_review
from sdgbridge.roadmaps.service import import_roadmap
from tests.audit.scan import writing_functions
from tests.helpers import IATI_CODELISTS, SDG_CSV, import_specimens

EMB = HashingEmbedder()
REF, PROJECT = "XM-TEST-0001", "XM-TEST-0001-P1"
TESTER = Actor("cli:tester", "cli")
EMAIL, PASSWORD = "ann@unicef.org", "amber-falcon-river-42"
SETTINGS = Settings(database_url="sqlite:///unused.db")
Event = tuple[str, str, str]
# A specimen: given the store, the code lists and a folder, it sets up what the write needs
# and returns the write (a thunk) and the events it must record (from the write's result).
Specimen = Callable[[Engine, Any, Path], tuple[Callable[[], Any], Callable[[Any], list[Event]]]]


def _org(engine: Engine, cl: Any) -> int:
    return create_org(engine, name_en="Aral Sea basin programme", type="40", ref=REF,
                      codelists=cl)


def _project(engine: Engine, cl: Any) -> str:
    _org(engine, cl)
    return create_project(engine, identifier=PROJECT, title_en="Water for schools",
                          reporting_org_ref=REF, status="2", countries=["KZ"],
                          sectors=["14030"], planned_start="2024-01-15", codelists=cl,
                          origin="test")


def _archived_project(engine: Engine, cl: Any) -> None:
    _project(engine, cl)
    archive_project(engine, PROJECT, "test")


def _doc(engine: Engine) -> int:
    report = add_document(engine, "Clean water for every village school of the district.",
                          title="Water", embedder=EMB, tag=False)
    assert report.document_id is not None
    return report.document_id


def _ids(engine: Engine, stmt: Any) -> list[str]:
    with engine.connect() as conn:
        return [str(v) for v in conn.execute(stmt).scalars()]


def _one(action: str, record_type: str, key: object) -> Callable[[Any], list[Event]]:
    return lambda _: [(action, record_type, str(key))]


def _account(engine: Engine, password: bool = False) -> int:
    account_id = users.create_account(engine, EMAIL, "Ann")
    if password:
        users.set_password(engine, EMAIL, PASSWORD)
    return account_id


def _member(engine: Engine, cl: Any) -> str:
    _org(engine, cl)
    _account(engine)
    users.set_membership(engine, EMAIL, REF, "partner_editor")
    return f"{EMAIL}@org:{users.org_id(engine, REF)}"


ACCOUNTS: dict[str, Specimen] = {
    "sdgbridge.accounts.users.create_account": lambda e, cl, _: (
        lambda: _account(e), _one("created", "account", EMAIL)),
    "sdgbridge.accounts.users.invite": lambda e, cl, _: (
        _account(e) and (lambda: users.invite(e, EMAIL, SETTINGS)),
        _one("invited", "account", EMAIL)),
    "sdgbridge.accounts.users.request_reset": lambda e, cl, _: (
        _account(e, password=True) and (lambda: users.request_reset(e, EMAIL, SETTINGS)),
        _one("reset_requested", "account", EMAIL)),
    "sdgbridge.accounts.users.accept_link": lambda e, cl, _: (
        _account(e) and (link := users.invite(e, EMAIL, SETTINGS)) and (
            lambda: users.accept_link(e, link, "invitation", PASSWORD)),
        _one("password_set", "account", EMAIL)),
    "sdgbridge.accounts.users.set_password": lambda e, cl, _: (
        _account(e) and (lambda: users.set_password(e, EMAIL, PASSWORD)),
        _one("password_set", "account", EMAIL)),
    "sdgbridge.accounts.users.sign_in": lambda e, cl, _: (  # a wrong password: test_trail
        _account(e, password=True) and (lambda: users.sign_in(e, EMAIL, PASSWORD, SETTINGS)),
        _one("signed_in", "account", EMAIL)),
    "sdgbridge.accounts.users.disable_account": lambda e, cl, _: (
        _account(e) and (lambda: users.disable_account(e, EMAIL)),
        _one("disabled", "account", EMAIL)),
    "sdgbridge.accounts.users.set_membership": lambda e, cl, _: (
        _org(e, cl) and _account(e) and (
            lambda: users.set_membership(e, EMAIL, REF, "partner_editor")),
        lambda _: [("created", "membership", f"{EMAIL}@org:{users.org_id(e, REF)}")]),
    "sdgbridge.accounts.users.remove_membership": lambda e, cl, _: (
        (key := _member(e, cl)) and (lambda: users.remove_membership(e, EMAIL, REF)),
        lambda _: [("archived", "membership", key)]),
    "sdgbridge.accounts.keys.create_key": lambda e, cl, _: (
        _account(e) and (lambda: keys.create_key(e, EMAIL, "ci", ["read"])),
        lambda new: [("created", "api_key", str(new.id))]),
    "sdgbridge.accounts.keys.revoke_key": lambda e, cl, _: (
        _account(e) and (new := keys.create_key(e, EMAIL, "ci", ["read"])) and (
            lambda: keys.revoke_key(e, new.id)),
        lambda _: [("revoked", "api_key", str(new.id))]),
    "sdgbridge.accounts.sessions.start_session": lambda e, cl, _: (
        (account_id := _account(e)) and (
            lambda: sessions.start_session(e, account_id, SETTINGS)),
        _one("session_started", "account", EMAIL)),
    "sdgbridge.accounts.sessions.end_session": lambda e, cl, _: (
        (account_id := _account(e)) and (
            session := sessions.start_session(e, account_id, SETTINGS)) and (
            lambda: sessions.end_session(e, session.id)),
        _one("signed_out", "account", EMAIL)),
}

SPECIMENS: dict[str, Specimen] = {
    "sdgbridge.projects.orgs.create_org": lambda e, cl, _: (
        lambda: _org(e, cl), _one("created", "organisation", REF)),
    "sdgbridge.projects.orgs.update_org": lambda e, cl, _: (
        _org(e, cl) and (lambda: update_org(e, REF, cl, "test", name_en="Aral basin")),
        _one("updated", "organisation", REF)),
    "sdgbridge.projects.orgs.archive_org": lambda e, cl, _: (
        _org(e, cl) and (lambda: archive_org(e, REF)), _one("archived", "organisation", REF)),
    "sdgbridge.projects.orgs.restore_org": lambda e, cl, _: (
        _org(e, cl) and archive_org(e, REF) and (lambda: restore_org(e, REF)),
        _one("restored", "organisation", REF)),
    "sdgbridge.projects.orgs.seed_from_iati": lambda e, cl, _: (
        import_specimens(e, "usda-kazakhstan.xml") and (lambda: seed_from_iati(e, cl)),
        lambda report: [("created", "organisation", ref) for ref in report.created]),
    "sdgbridge.projects.editing.create_project": lambda e, cl, _: (
        _org(e, cl) and (lambda: _project_only(e, cl)), _one("created", "activity", PROJECT)),
    "sdgbridge.projects.editing.update_project": lambda e, cl, _: (
        _project(e, cl) and (lambda: update_project(e, PROJECT, cl, "test", title_en="Water")),
        _one("updated", "activity", PROJECT)),
    "sdgbridge.projects.editing.archive_project": lambda e, cl, _: (
        _project(e, cl) and (lambda: archive_project(e, PROJECT, "test")),
        _one("archived", "activity", PROJECT)),
    "sdgbridge.projects.editing.restore_project": lambda e, cl, _: (
        _archived_project(e, cl) or (lambda: restore_project(e, PROJECT, "test")),
        _one("restored", "activity", PROJECT)),
    "sdgbridge.projects.store.import_batch": lambda e, cl, _: (
        lambda: import_specimens(e, "usda-kazakhstan.xml"),
        lambda report: [("imported", "iati_import", str(report.import_id))] + [
            ("created", "activity", i) for i in _ids(e, select(
                t.iati_activity.c.iati_identifier).where(
                t.iati_activity.c.import_id == report.import_id))]),
    "sdgbridge.ingest.load.ingest": lambda e, cl, _: (
        lambda: ingest(e, SDG_CSV / "SI_POV_DAY1.csv"),
        lambda report: [("created", "release", str(report.release_id))]),
    "sdgbridge.assessment.store.save": lambda e, cl, _: (
        lambda: save(e, Assessment("unsd", {"version": "1"}, pl.DataFrame(
            {"series": [], "area": []}, schema={"series": pl.Utf8, "area": pl.Utf8}),
            ["398"], [], "x"), publish=True),
        lambda run_id: [("published", "assessment_run", str(run_id))]),
    "sdgbridge.reference.framework.load_framework": lambda e, cl, _: (
        lambda: load_framework(e), _one("loaded", "framework", PACKAGED_FRAMEWORK.name)),
    "sdgbridge.reference.geography.load_geography": lambda e, cl, _: (
        lambda: load_geography(e), _one("loaded", "geography", "M49")),
    "sdgbridge.reference.geography.define_group": lambda e, cl, _: (
        lambda: define_group(e, "ARAL", "Aral basin", ["KAZ", "UZB"]),
        _one("defined", "group", "ARAL")),
    "sdgbridge.reference.geography.delete_group": lambda e, cl, _: (
        define_group(e, "ARAL", "Aral basin", ["KAZ"]) and (lambda: delete_group(e, "ARAL")),
        _one("removed", "group", "ARAL")),
    "sdgbridge.knowledge.service.add_document": lambda e, cl, _: (
        lambda: _doc(e), lambda doc_id: [("created", "document", str(doc_id))]),
    "sdgbridge.knowledge.service.add_documents": lambda e, cl, _: (
        lambda: add_documents(e, [DocumentInput(text="Solar power for rural clinics."),
                                  DocumentInput(text="Safe roads to every school.")],
                              embedder=EMB, tag=False),
        lambda reports: [("created", "document", str(r.document_id)) for r in reports]),
    "sdgbridge.knowledge.service.correct_tag": lambda e, cl, _: (
        (doc := _doc(e)) and (lambda: correct_tag(e, doc, "6")),
        lambda _: [("tag_corrected", "document", str(doc))]),
    "sdgbridge.knowledge.service.correct_tags": lambda e, cl, _: (
        (doc := _doc(e)) and (lambda: correct_tags(e, doc, ["6"], ["7"])),
        lambda _: [("tag_corrected", "document", str(doc))] * 2),
    "sdgbridge.knowledge.service.tag_document": lambda e, cl, _: (
        (doc := _doc(e)) and (lambda: tag_document(e, doc, embedder=EMB)),
        lambda _: [("retagged", "document", str(doc))]),
    "sdgbridge.knowledge.service.remove_document": lambda e, cl, _: (
        (doc := _doc(e)) and (lambda: remove_document(e, doc)),
        lambda _: [("removed", "document", str(doc))]),
    "sdgbridge.knowledge.service.index_projects": lambda e, cl, _: (
        import_specimens(e, "usda-kazakhstan.xml") and (
            lambda: index_projects(e, embedder=EMB, tag=False)),
        lambda _: [("created", "document", i) for i in _ids(e, select(t.document.c.id).where(
            t.document.c.kind == "project"))]),
}


SPECIMENS |= ACCOUNTS


def _request(engine: Engine, state: str = "draft") -> int:
    """A request (as the library, the Centre), brought to ``state`` along the lifecycle."""
    rid = assistance.file_request(
        engine, title="Water use efficiency", description="Advice on 6.4.1.", country="KGZ",
        requesting_body="Ministry of Agriculture", kind="policy_advice", targets=["6.4"])
    path = ["submitted", "triaged", "matched", "accepted", "in_progress", "delivered"]
    for step in path[:path.index(state) + 1] if state != "draft" else []:
        if step == "matched":
            _propose(engine, rid)
            assistance.pick(engine, rid, "expert", str(_expert(engine)))
        else:
            assistance.move(engine, rid, step)
    return rid


def _expert(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(t.expert.c.id)).scalar()
    return int(found) if found else assistance.add_expert(
        engine, name="Aida", email="aida@water.org", languages="ru", targets="6.4")


def _propose(engine: Engine, rid: int) -> int:
    return assistance.propose(engine, rid, [{"kind": "expert", "candidate_key": str(
        _expert(engine)), "name": "Aida", "score": 1.0, "reasons": ["6.4"]}])


def _last_document(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(t.document.c.id).order_by(t.document.c.id.desc())
                                ).scalar_one())


def _events(*actions: str) -> Callable[[Any], list[Event]]:
    return lambda rid: [(a, "request", str(rid)) for a in actions]


def _then(setup: Callable[[], int], write: Callable[[int], Any]) -> Callable[[], int]:
    rid = setup()
    return lambda: (write(rid), rid)[1]


ASSISTANCE: dict[str, Specimen] = {
    "sdgbridge.assistance.service.file_request": lambda e, cl, _: (
        lambda: _request(e), _events("created")),
    "sdgbridge.assistance.service.move": lambda e, cl, _: (
        _then(lambda: _request(e), lambda rid: assistance.move(e, rid, "submitted")),
        _events("moved")),
    "sdgbridge.assistance.service.comment": lambda e, cl, _: (
        _then(lambda: _request(e), lambda rid: assistance.comment(e, rid, "Noted.")),
        _events("commented")),
    "sdgbridge.assistance.service.propose": lambda e, cl, _: (
        _then(lambda: (_expert(e), _request(e, "triaged"))[1], lambda rid: _propose(e, rid)),
        _events("proposed")),
    "sdgbridge.assistance.service.pick": lambda e, cl, _: (
        _then(lambda: (rid := _request(e, "triaged"), _propose(e, rid))[0],
              lambda rid: assistance.pick(e, rid, "expert", str(_expert(e)))),
        _events("picked", "moved")),
    "sdgbridge.assistance.service.respond": lambda e, cl, _: (
        _then(lambda: _request(e, "matched"), lambda rid: assistance.respond(e, rid, True)),
        _events("moved")),
    "sdgbridge.assistance.service.give_feedback": lambda e, cl, _: (
        _then(lambda: _request(e, "delivered"),
              lambda rid: assistance.give_feedback(e, rid, 4, "Helpful.", "6.4.1")),
        _events("feedback", "moved")),
    "sdgbridge.assistance.service.remind_overdue": lambda e, cl, _: (
        _then(lambda: _request(e, "submitted"), lambda rid: assistance.remind_overdue(
            e, SETTINGS, now=datetime.now(UTC) + timedelta(days=30))),
        _events("reminded")),
    # a file attached to a request: the knowledge base stores it, the request records it
    "sdgbridge.assistance.attachments.attach": lambda e, cl, tmp: (
        _then(lambda: (_request(e), (tmp / "terms.md").write_text(
            "# Terms of reference\n\nWater metering in Batken.\n", encoding="utf-8"))[0],
            lambda rid: (rid, attach(e, rid, tmp / "terms.md", embedder=EMB))),
        lambda rid: [("attached", "request", str(rid)),
                     ("created", "document", str(_last_document(e)))]),
    "sdgbridge.assistance.service.add_expert": lambda e, cl, _: (
        lambda: _expert(e), lambda expert_id: [("created", "expert", str(expert_id))]),
}
SPECIMENS |= ASSISTANCE


def _roadmap(engine: Engine, cl: Any, folder: Path) -> Any:
    """A one-commitment roadmap file, its responsible organisation registered."""
    create_org(engine, name_en="EC INTPA", type="10", ref="XI-IATI-EC_INTPA", codelists=cl)
    path = folder / "plan.yaml"
    path.write_text("roadmap:\n  key: plan\n  title: A plan\n  areas:\n    - key: water\n"
                    "      title: Water\n      commitments:\n        - key: wue\n"
                    "          title: Use water well\n          responsible: [XI-IATI-EC_INTPA]\n"
                    "          countries: [KGZ]\n          targets: ['6.4']\n",
                    encoding="utf-8")
    return lambda: import_roadmap(engine, path).roadmap_id


SPECIMENS["sdgbridge.roadmaps.service.import_roadmap"] = lambda e, cl, tmp: (
    _roadmap(e, cl, tmp), lambda rid: [("created", "roadmap", str(rid))])
SPECIMENS["sdgbridge.roadmaps.reviews.record_review"] = lambda e, cl, tmp: (
    _then(lambda: _roadmap(e, cl, tmp)(), lambda rid: record_review(
        e, "plan", "2026", [ReviewRow("wue", "on_track", "Started")])),
    lambda rid: [("reviewed", "roadmap", str(rid))])


def _project_only(engine: Engine, cl: Any) -> str:
    return create_project(engine, identifier=PROJECT, title_en="Water for schools",
                          reporting_org_ref=REF, status="2", planned_start="2024-01-15",
                          codelists=cl, origin="test")


def test_every_writer_is_declared() -> None:
    """The scan finds exactly the declared writers: a new one needs a specimen (and an
    audit record); a declared one that no longer writes is dropped from the list."""
    assert writing_functions() == set(SPECIMENS)


def _last_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(t.audit_event.c.id).order_by(
            t.audit_event.c.id.desc()).limit(1)).scalar() or 0


@pytest.mark.parametrize("writer", sorted(SPECIMENS))
def test_writer_records_its_events(engine: Engine, tmp_path: Path, writer: str) -> None:
    cl = load_codelists(IATI_CODELISTS)
    write, expected = SPECIMENS[writer](engine, cl, tmp_path)
    before = _last_id(engine)
    with acting_as(TESTER):
        result = write()
    found = audit.events(engine, limit=audit.MAX_LIMIT).filter(pl.col("id") > before)
    want = expected(result)
    assert want, "the specimen must write something"
    assert sorted(found.select("action", "record_type", "record_key").iter_rows()) == \
        sorted(want)
    imports = writer.endswith("import_batch")
    assert set(found["actor"]) == ({f"iati import {result.import_id}"} if imports
                                   else {TESTER.label})
    assert set(found["via"]) == {"import" if imports else "cli"}
    assert set(found["outcome"]) == {"done"}

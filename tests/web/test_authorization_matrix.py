"""The authorization matrix, generated from the route table (issue 14).

* Every route of the app has a declared access (:data:`sdgbridge.web.access.ROUTES`), and
  every declared access is a route: a new route without a rule fails here.
* Every ``rule`` route is requested as every role (an administrator, a Centre analyst, a
  partner editor of the record's organisation and one of another, a government focal
  point of the record's country, a signed-in reader, the public), through the API with
  each one's key or on the pages with each one's session; the answer is a refusal exactly
  when :func:`sdgbridge.accounts.roles.can` says no.
* Every ``public`` read is requested as every role with documents of each visibility in
  the store (public, partners, internal of the own organisation, internal of another):
  no answer carries a document its caller may not read, and none is a server error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.accounts import keys, users
from sdgbridge.accounts.roles import can, can_read
from sdgbridge.actors import Actor
from sdgbridge.assistance.service import file_request
from sdgbridge.config import Settings
from sdgbridge.knowledge.service import add_document
from sdgbridge.projects.editing import create_project
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.web.access import ROUTES, route_keys
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS

PASSWORD = "correct horse battery staple"
OWN, OTHER = "XM-OWN-1", "XM-OTHER-2"
PROJECT = "XM-OWN-1-P1"
TEXT = "Drip irrigation in Batken saves water for farmers and raises yields. " * 4
# Each document's word: a read that shows the document shows it.
DOCS = {"public": ("zqpublicdoc", "public", OWN), "partners": ("zqpartnersdoc", "partners", OWN),
        "internal_own": ("zqinternalown", "internal", OWN),
        "internal_other": ("zqinternalother", "internal", OTHER)}
# Projects made by hand, one of each visibility: identifier -> (word, visibility, owner).
PROJECTS = {PROJECT: ("zqpublicproject", "public", OWN),
            f"{OWN}-P2": ("zqpartnersproject", "partners", OWN),
            f"{OTHER}-P3": ("zqinternalproject", "internal", OTHER)}
PEOPLE = {  # email: (organisation, role, country, administrator)
    "admin@centre.org": (None, None, None, True),
    "analyst@centre.org": (OTHER, "analyst", None, False),
    "editor@own.org": (OWN, "partner_editor", None, False),
    "editor@other.org": (OTHER, "partner_editor", None, False),
    "focal@gov.kg": (OTHER, "focal_point", "KGZ", False),
    "reader@x.org": (None, None, None, False),
}


@dataclass
class World:
    app: Any
    engine: Engine
    orgs: dict[str, int]
    docs: dict[str, int]
    keys: dict[str, str]
    sessions: dict[str, TestClient]
    actors: dict[str, Actor]
    victim_key: int


def _token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Any) -> Iterator[World]:
    import shutil

    from sdgbridge.db.engine import make_engine

    store = tmp_path_factory.mktemp("matrix") / "store.db"
    shutil.copy(sqlite_template, store)
    engine = make_engine(f"sqlite:///{store}")
    codelists = load_codelists(IATI_CODELISTS)
    orgs = {ref: create_org(engine, name_en=f"Organisation {ref}", type="40", ref=ref,
                            codelists=codelists) for ref in (OWN, OTHER)}
    for ident, (word, visibility, ref) in PROJECTS.items():
        create_project(engine, identifier=ident, title_en=f"Water for Batken {word}",
                       reporting_org_ref=ref, status="2", countries=["KG"],
                       codelists=codelists, planned_start="2025-01-01", origin="test",
                       visibility=visibility)
    from sdgbridge.knowledge.embed import get_embedder

    emb = get_embedder("hashing")
    docs = {}
    for name, (word, visibility, ref) in DOCS.items():
        docs[name] = int(add_document(engine, f"{word} {TEXT} {name}", embedder=emb,
                                      title=f"Practice {word}", countries=("KGZ",),
                                      visibility=visibility, organisation_id=orgs[ref]
                                      ).document_id or 0)
    secrets = {}
    for email, (org, role, country, admin) in PEOPLE.items():
        users.create_account(engine, email, email.split("@")[0], administrator=admin)
        if org:
            users.set_membership(engine, email, org, role, country)
        users.set_password(engine, email, PASSWORD)
        secrets[email] = keys.create_key(engine, email, "matrix", ["read", "write"],
                                         org).secret
    file_request(engine, title="Irrigation", description="Advice on 6.4.1.", country="KGZ",
                 requesting_body="Ministry of Water", kind="policy_advice", targets=["6.4"])
    users.create_account(engine, "victim@x.org", "Victim")
    users.set_membership(engine, "victim@x.org", OWN, "reader")
    victim_key = keys.create_key(engine, "victim@x.org", "v", ["read"]).id
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                        embedder="hashing", secure_cookies=False, page_cache_entries=0)
    app = create_app(settings, engine=engine)
    sessions, actors = {}, {}
    for email in PEOPLE:
        client = TestClient(app)
        form = client.get("/sign-in")
        answer = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                               "csrf": _token(form.text)},
                             follow_redirects=False)
        assert answer.status_code == 303, answer.text
        sessions[email] = client
        with engine.connect() as conn:
            account = users.find_account(conn, email)
            actors[email] = users.actor_of(conn, account, "web")
    sessions["public"] = TestClient(app)
    actors["public"] = Actor("public", "web")
    yield World(app, engine, orgs, docs, secrets, sessions, actors, victim_key)
    engine.dispose()


def test_every_route_has_a_declared_access(world: World) -> None:
    routes = set(route_keys(world.app))
    assert routes - set(ROUTES) == set(), "routes without a declared access"
    assert set(ROUTES) - routes == set(), "declared accesses of no route"
    assert len(routes) >= 70


# ---- the rule routes ------------------------------------------------------------------------

def _examples(w: World) -> dict[str, dict[str, Any]]:
    """A request for each rule route, on a record of OWN in Kyrgyzstan: its path, body and
    what the rule is asked about (the owner; for a create, the actor's own organisation)."""
    doc = w.docs["public"]
    return {
        "POST /api/v1/organisations": {"json": {"name_en": "New partner", "type": "40"},
                                       "owner": None},
        "PATCH /api/v1/organisations/{key:key}": {"path": f"/api/v1/organisations/{OWN}",
                                                  "json": {"name_ru": "Партнёр"}},
        "POST /api/v1/organisations/{key:key}/archive": {
            "path": f"/api/v1/organisations/{OWN}/archive", "last": True},
        "POST /api/v1/projects": {"json": {
            "identifier": f"{OWN}-NEW", "title_en": "New project", "reporting_org_ref": OWN,
            "status": "2", "countries": ["KG"], "planned_start": "2025-01-01"},
            "idempotent": False},
        "PATCH /api/v1/projects/{identifier:key}": {
            "path": f"/api/v1/projects/{PROJECT}", "json": {"title_ru": "Вода"}},
        "POST /api/v1/projects/{identifier:key}/archive": {
            "path": f"/api/v1/projects/{PROJECT}/archive", "last": True},
        "POST /api/v1/documents": {"json": {"title": "Typed in", "text": TEXT},
                                   "owner": "actor", "country": None, "idempotent": False},
        "POST /api/v1/documents/{doc_id}/tags": {
            "path": f"/api/v1/documents/{doc}/tags", "json": {"code": "6.4"},
            "country": None},
        "GET /api/v1/audit": {"owner": "actor"},
        "GET /knowledge/new": {"owner": "actor", "country": "actor"},
        "POST /knowledge/new": {"data": {"title": "Form", "text": TEXT, "kind": "practice",
                                         "visibility": "public"},
                                "owner": "actor", "country": "actor", "idempotent": False},
        "POST /knowledge/{doc_id}/tags": {"path": f"/knowledge/{doc}/tags",
                                          "data": {"add": "6.4"}},
        "GET /organisations/{key}/edit": {"path": f"/organisations/{OWN}/edit"},
        "POST /organisations/{key}/edit": {"path": f"/organisations/{OWN}/edit",
                                           "data": {"name_en": f"Organisation {OWN}"}},
        "GET /projects/new": {"owner": "actor", "needs_org": True},
        "POST /projects/new": {"data": {"code": "NEW2", "title_en": "By hand", "status": "2",
                                        "planned_start": "2025-01-01"},
                               "owner": "actor", "needs_org": True, "idempotent": False},
        "GET /projects/{identifier}/edit": {"path": f"/projects/{PROJECT}/edit"},
        "POST /projects/{identifier}/edit": {
            "path": f"/projects/{PROJECT}/edit",
            "data": {"title_en": "Water for Batken", "status": "2",
                     "planned_start": "2025-01-01"}},
        "GET /api/v1/requests": {},
        "GET /api/v1/requests/{request_id}/matches": {"path": "/api/v1/requests/1/matches"},
        "POST /api/v1/requests": {"json": {
            "title": "Water use efficiency", "description": "Advice on 6.4.1.",
            "country": "KGZ", "requesting_body": "Ministry of Water", "targets": ["6.4"]},
            "idempotent": False},
        "POST /api/v1/requests/{request_id}/candidates": {
            "path": "/api/v1/requests/1/candidates", "json": {"best": 1}},
        "POST /api/v1/roadmaps/{key}/reviews": {
            "path": "/api/v1/roadmaps/no-such-roadmap/reviews",
            "json": {"cycle": "2026", "items": [{"commitment": "c", "status": "on_track"}]}},
        "GET /roadmaps/{key}/review": {"path": "/roadmaps/no-such-roadmap/review"},
        "POST /roadmaps/{key}/review": {"path": "/roadmaps/no-such-roadmap/review",
                                        "data": {"cycle": "2026"}},
        "GET /requests/new": {"owner": "actor", "country": "actor"},
        "POST /requests/new": {"data": {
            "title": "Water use efficiency", "description": "Advice on 6.4.1.",
            "country": "KGZ", "requesting_body": "Ministry of Water", "targets": "6.4"},
            "idempotent": False},
        "POST /requests/{request_id}/propose": {"path": "/requests/1/propose",
                                                "data": {"best": "1"}},
        "GET /admin": {}, "GET /admin/keys": {},
        "GET /admin/users/{email}": {"path": "/admin/users/victim@x.org"},
        "POST /admin/invite": {"data": {"email": "invited@x.org", "name": "Invited"},
                               "idempotent": False},
        "POST /admin/users/{email}/memberships": {
            "path": "/admin/users/victim@x.org/memberships",
            "data": {"organisation": str(w.orgs[OTHER]), "role": "reader"}},
        "POST /admin/users/{email}/memberships/{organisation}/end": {
            "path": f"/admin/users/victim@x.org/memberships/{w.orgs[OWN]}/end"},
        "POST /admin/users/{email}/disable": {"path": "/admin/users/victim@x.org/disable"},
        "POST /admin/keys/{key_id}/revoke": {"path": f"/admin/keys/{w.victim_key}/revoke"},
    }


def _expected(actor: Actor, action: str, record_type: str, example: dict[str, Any],
              w: World) -> bool:
    owner = example.get("owner", "record")
    owner_org = (actor.organisation_id if owner == "actor" else w.orgs[OWN]
                 if owner == "record" else None)
    if example.get("needs_org") and actor.organisation_id is None:
        return False  # a page that adds for the organisation one acts for: none, nothing
    country = example.get("country", "record")
    kgz = "KGZ" if country == "record" else actor.country if country == "actor" else None
    return can(actor, action, record_type, owner_org, kgz)


def _request(w: World, who: str, key: str, example: dict[str, Any]) -> Any:
    method, template = key.split(" ", 1)
    path = example.get("path", template)
    if path.startswith("/api/"):
        client = TestClient(w.app)
        headers = {} if who == "public" else {"Authorization": f"Bearer {w.keys[who]}"}
        return client.request(method, path, json=example.get("json"), headers=headers,
                              follow_redirects=False)
    client = w.sessions[who]
    data = dict(example.get("data", {}))
    if method == "POST":
        page = client.get("/sign-in" if who == "public" else "/account")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        data["csrf"] = found.group(1) if found else ""
    return client.request(method, path, data=data or None, follow_redirects=False)


def _refused(answer: Any) -> bool:
    return answer.status_code in (401, 403) or (
        answer.status_code == 303 and answer.headers["location"].startswith("/sign-in"))


def test_each_rule_route_refuses_exactly_whom_the_rules_refuse(world: World) -> None:
    examples = _examples(world)
    rule_routes = [k for k, a in ROUTES.items() if a.kind == "rule"]
    assert set(rule_routes) == set(examples), "a rule route without an example here"
    ordered = sorted(rule_routes, key=lambda k: examples[k].get("last", False))
    seen, wrong = 0, []
    for key in ordered:
        access, example = ROUTES[key], examples[key]
        for who, actor in world.actors.items():
            allowed = _expected(actor, access.action or "", access.record_type or "",
                                example, world)
            if who == "public":
                allowed = False  # the public never writes nor reads what a rule guards
            answer = _request(world, who, key, example)
            seen += 1
            if _refused(answer) == allowed or answer.status_code >= 500:
                message = re.search(r'<p class="error"[^>]*>(.*?)</p>|"error":"([^"]*)"',
                                    answer.text, re.S)
                wrong.append((key, who, allowed, answer.status_code,
                               message.group(0)[:300] if message else answer.text[:200]))
    assert not wrong, wrong
    assert seen == len(rule_routes) * len(world.actors)


def test_signed_in_routes_send_the_public_to_sign_in(world: World) -> None:
    public = world.sessions["public"]
    for key, access in ROUTES.items():
        if access.kind != "signed_in":
            continue
        method, path = key.split(" ", 1)
        path = path.replace("{key_id}", "1")
        answer = public.request(method, path, data={"csrf": "x", "name": "n",
                                                    "organisation": "1"},
                                follow_redirects=False)
        assert answer.status_code == 303 or key == "POST /sign-out", (key, answer.status_code)
        if key != "POST /sign-out":
            assert answer.headers["location"].startswith("/sign-in"), key


# ---- the public reads and visibility ----------------------------------------------------------

def _read_paths(w: World) -> list[str]:
    d = w.docs
    concrete = {
        "/api/v1/assessments/{run_id}": ["/api/v1/assessments/1"],
        "/api/v1/projects/{identifier:key}/history": [f"/api/v1/projects/{p}/history"
                                                      for p in PROJECTS],
        "/api/v1/projects/{identifier:key}": [f"/api/v1/projects/{p}" for p in PROJECTS],
        "/api/v1/projects": ["/api/v1/projects", "/api/v1/projects?country=KG"],
        "/api/v1/organisations/{key:key}/history": [f"/api/v1/organisations/{OWN}/history"],
        "/api/v1/organisations/{key:key}": [f"/api/v1/organisations/{OWN}"],
        "/api/v1/documents/{doc_id}": [f"/api/v1/documents/{i}" for i in d.values()],
        "/api/v1/documents/{doc_id}/similar": [f"/api/v1/documents/{i}/similar"
                                               for i in d.values()],
        "/api/v1/search": ["/api/v1/search?q=irrigation", "/api/v1/search?q=ZQINTERNALOWN"],
        "/country/{code}": ["/country/KGZ"], "/country/{code}/goal/{goal}":
            ["/country/KGZ/goal/6"],
        # (a query in capitals: the page repeats the query, and a hidden word must not be found)
        "/knowledge": ["/knowledge", "/knowledge?q=irrigation", "/knowledge?q=ZQPARTNERSDOC"],
        "/knowledge/{doc_id}": [f"/knowledge/{i}" for i in d.values()],
        "/api/v1/observations": ["/api/v1/observations?limit=5"],
        "/organisations/{key:key}": [f"/organisations/{OWN}", f"/organisations/{OTHER}"],
        "/projects/{identifier:key}": [f"/projects/{p}" for p in PROJECTS],
        "/coordination/imports/{import_id}": ["/coordination/imports/1"],
        "/roadmaps/{key}": ["/roadmaps/no-such-roadmap"],
        "/roadmaps/reviews/{review_id}": ["/roadmaps/reviews/1"],
        "/api/v1/roadmaps/{key}": ["/api/v1/roadmaps/no-such-roadmap"],
    }
    out = []
    for key, access in ROUTES.items():
        method, path = key.split(" ", 1)
        if access.kind == "public" and method == "GET":
            out += concrete.get(path, [path])
    return out


def test_no_read_shows_a_document_its_caller_may_not_read(world: World) -> None:
    paths = _read_paths(world)
    leaks, errors, checked = [], [], 0
    records = {**{f"doc:{k}": v for k, v in DOCS.items()},
               **{f"project:{k}": v for k, v in PROJECTS.items()}}
    for who, actor in world.actors.items():
        client = world.sessions[who]
        hidden = [word for word, visibility, ref in records.values()
                  if not can_read(actor, visibility, world.orgs[ref])]
        shown = [word for word, _, _ in records.values() if word not in hidden]
        assert ("zqpublicdoc" in shown) and (who != "public" or len(hidden) == 5)
        seen_words: set[str] = set()
        for path in paths:
            answer = client.get(path)
            checked += 1
            if answer.status_code >= 500:
                errors.append((who, path, answer.status_code))
            for word in hidden:
                if word in answer.text:
                    leaks.append((who, path, word))
            seen_words |= {w for w in shown if w in answer.text}
        assert seen_words == set(shown), (who, seen_words, shown)  # the reads can show them
    assert not errors, errors
    assert not leaks, leaks
    assert checked == len(paths) * len(world.actors)

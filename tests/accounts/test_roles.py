"""The role table: complete, and what it says (own organisation, country, visibility)."""

from __future__ import annotations

import itertools

import pytest

from sdgbridge.accounts import roles
from sdgbridge.accounts.roles import ACTIONS, RECORD_TYPES, ROLES, RULES, SCOPES, can, can_read
from sdgbridge.actors import LOCAL, PUBLIC, Actor
from sdgbridge.errors import Forbidden
from tests.helpers import ROOT

EDITOR = Actor("e@own.org", "api", account_id=1, organisation_id=10, role="partner_editor",
               scopes=frozenset({"read", "write"}))
READER = Actor("r@own.org", "web", account_id=2, role="reader")
ANALYST = Actor("a@centre.org", "web", account_id=3, organisation_id=99, role="analyst")
FOCAL = Actor("f@gov.kz", "web", account_id=4, organisation_id=20, role="focal_point",
              country="KAZ")


def test_every_role_action_and_record_type_has_one_rule() -> None:
    keys = [(r.role, r.record_type) for r in RULES]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(itertools.product(ROLES, RECORD_TYPES))
    for role, action, record_type in itertools.product(ROLES, ACTIONS, RECORD_TYPES):
        assert roles.scope_of(role, action, record_type) in SCOPES
    assert set(roles.VISIBILITY) == set(ROLES)


def test_the_table_is_printed_in_the_docs() -> None:
    doc = (ROOT / "docs" / "accounts.md").read_text(encoding="utf-8")
    for r in RULES:
        assert f"| {r.role} | {r.record_type} | {r.read} | {r.create} | {r.update} | " \
               f"{r.archive} |" in doc


def test_a_partner_editor_edits_its_own_organisations_projects_only() -> None:
    assert can(EDITOR, "update", "project", owner_org=10)
    assert can(EDITOR, "create", "document", owner_org=10)
    assert not can(EDITOR, "update", "project", owner_org=11)
    assert not can(EDITOR, "update", "project")  # an owner that is not known: no
    assert can(EDITOR, "update", "organisation", owner_org=10)
    assert not can(EDITOR, "update", "organisation", owner_org=11)
    assert not can(EDITOR, "create", "organisation")
    with pytest.raises(Forbidden) as err:
        roles.check(EDITOR, "update", "project", owner_org=11, what="XM-1-P")
    assert err.value.status == 403
    assert str(err.value).startswith("e@own.org (role partner_editor) may not update project "
                                     "XM-1-P. Ask the Centre's administrators for a "
                                     "partner_editor membership of that organisation")


def test_administrators_and_analysts_edit_everything_the_public_nothing() -> None:
    for actor in (LOCAL, ANALYST, Actor("x", "web", role="reader", administrator=True)):
        assert can(actor, "update", "organisation", owner_org=5)
        assert can(actor, "archive", "project", owner_org=5)
    assert not can(ANALYST, "create", "account")
    for action, record_type in itertools.product(("create", "update", "archive"),
                                                 RECORD_TYPES):
        assert not can(PUBLIC, action, record_type, owner_org=5, country="KAZ")
        assert not can(READER, action, record_type, owner_org=5, country="KAZ")


def test_a_focal_point_acts_for_its_country() -> None:
    assert can(FOCAL, "update", "document", country="kaz")
    assert not can(FOCAL, "update", "document", country="KGZ")
    assert not can(FOCAL, "update", "project", owner_org=20)


def test_self_rules_need_the_same_account() -> None:
    assert can(READER, "create", "api_key", owner_account=2)
    assert not can(READER, "create", "api_key", owner_account=3)
    assert not can(READER, "read", "account", owner_account=None)


@pytest.mark.parametrize(("actor", "sees"), [
    (PUBLIC, {"public"}), (READER, {"public", "partners"}),
    (FOCAL, {"public", "partners"}), (EDITOR, {"public", "partners"}),
    (ANALYST, {"public", "partners", "internal"}), (LOCAL, {"public", "partners", "internal"}),
])
def test_visibility(actor: Actor, sees: set[str]) -> None:
    assert {v for v in roles.VISIBILITIES if can_read(actor, v)} == sees


def test_a_partner_editor_reads_its_own_internal_records() -> None:
    assert can_read(EDITOR, "internal", owner_org=10)
    assert not can_read(EDITOR, "internal", owner_org=11)
    assert not can_read(READER, "internal", owner_org=None)
    with pytest.raises(ValueError, match="visibility 'secret'"):
        can_read(PUBLIC, "secret")


def test_an_unknown_role_is_the_public() -> None:
    ghost = Actor("g", "web", role="owner")
    assert roles.role_of(ghost) == "public"
    assert not can(ghost, "update", "project", owner_org=None)


def test_key_scopes() -> None:
    roles.need_scope(EDITOR, "write")
    reading = Actor("k", "api", role="analyst", scopes=frozenset({"read"}))
    with pytest.raises(Forbidden, match="lacks the 'write' scope \\(it has: read\\)"):
        roles.need_scope(reading, "write")
    roles.need_scope(reading.through("web"), "write")  # only keys carry scopes

"""Who may do what: the one declared table of roles and rules (issue 14).

:data:`RULES` has one row per role and record type, naming for each action (read, create,
update, archive) the scope it applies to:

* ``any``: every record of that type;
* ``own_org``: the records of the organisation the actor acts for;
* ``own_country``: the records of a government focal point's country;
* ``self``: the actor's own account (and its API keys);
* ``none``: never.

What a role *reads* is narrowed further by the visibility of a record (public, partners,
internal: :data:`VISIBILITY`): the public sees public records only, a signed-in reader the
partners' records too, the Centre's analysts everything, a partner editor also its own
organisation's internal records. An account with ``administrator`` set may do everything,
whatever its membership's role. The table is data: ``docs/accounts.md`` prints it and a test
enumerates it; the services and the web call :func:`can`, :func:`can_read` and
:func:`check`, never a check of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from sdgbridge.actors import Actor, current_actor
from sdgbridge.errors import N_, Forbidden, Phrase

ROLES = ("administrator", "analyst", "partner_editor", "focal_point", "reader", "public")
ACTIONS = ("read", "create", "update", "archive")
RECORD_TYPES = ("project", "organisation", "document", "account", "membership", "api_key",
                "audit", "request", "expert", "roadmap")
SCOPES = ("any", "own_org", "own_country", "self", "none")
VISIBILITIES = ("public", "partners", "internal")
KEY_SCOPES = ("read", "write", "admin")  # what an API key may be used for


class Rule(NamedTuple):
    """One row of the table: a role's scope for each action on one record type."""

    role: str
    record_type: str
    read: str
    create: str
    update: str
    archive: str


def _rows(role: str, spec: dict[str, str]) -> tuple[Rule, ...]:
    """A role's rows from ``record_type: "read create update archive"``."""
    return tuple(Rule(role, record_type, *scopes.split()) for record_type, scopes in spec.items())


RULES: tuple[Rule, ...] = (
    *_rows("administrator", dict.fromkeys(RECORD_TYPES, "any any any any")),
    *_rows("analyst", {
        "project": "any any any any", "organisation": "any any any any",
        "document": "any any any any", "account": "any none self none",
        "membership": "any none none none", "api_key": "self self none self",
        "audit": "any none none none", "request": "any any any any",
        "expert": "any any any any", "roadmap": "any any any any"}),
    *_rows("partner_editor", {
        "project": "any own_org own_org own_org", "organisation": "any none own_org none",
        "document": "any own_org own_org own_org", "account": "self none self none",
        "membership": "own_org none none none", "api_key": "self self none self",
        "audit": "own_org none none none", "request": "any none none none",
        "expert": "none none none none", "roadmap": "any none none none"}),
    *_rows("focal_point", {
        "project": "any none none none", "organisation": "any none none none",
        "document": "any own_country own_country none", "account": "self none self none",
        "membership": "none none none none", "api_key": "self self none self",
        "audit": "none none none none", "request": "own_country own_country own_country none",
        "expert": "none none none none", "roadmap": "any none none none"}),
    *_rows("reader", {
        "project": "any none none none", "organisation": "any none none none",
        "document": "any none none none", "account": "self none self none",
        "membership": "none none none none", "api_key": "self self none self",
        "audit": "none none none none", "request": "none none none none",
        "expert": "none none none none", "roadmap": "any none none none"}),
    *_rows("public", {
        "project": "any none none none", "organisation": "any none none none",
        "document": "any none none none", "account": "none none none none",
        "membership": "none none none none", "api_key": "none none none none",
        "audit": "none none none none", "request": "none none none none",
        "expert": "none none none none", "roadmap": "any none none none"}),
)

# The visibilities each role reads; a partner editor also reads its own organisation's
# internal records (:func:`can_read`).
VISIBILITY: dict[str, tuple[str, ...]] = {
    "administrator": VISIBILITIES, "analyst": VISIBILITIES,
    "partner_editor": ("public", "partners"), "focal_point": ("public", "partners"),
    "reader": ("public", "partners"), "public": ("public",),
}

_TABLE: dict[tuple[str, str], Rule] = {(r.role, r.record_type): r for r in RULES}

# Who to ask for a right, by the role that grants it.
_ASK = {"own_org": N_("a partner_editor membership of that organisation"),
        "own_country": N_("a focal_point membership for that country"),
        "any": N_("the analyst role"), "self": N_("to act as the account itself")}
# The words of a refusal (:func:`check`), translated on the pages: roles, actions, records.
_WORDS = (N_("administrator"), N_("analyst"), N_("partner_editor"), N_("focal_point"),
          N_("reader"), N_("public"), N_("read"), N_("create"), N_("update"), N_("archive"))
_RECORDS = {"project": (N_("project"), N_("this project")),
            "organisation": (N_("organisation"), N_("this organisation")),
            "document": (N_("document"), N_("this document")),
            "account": (N_("account"), N_("this account")),
            "membership": (N_("membership"), N_("this membership")),
            "api_key": (N_("api_key"), N_("this api_key")),
            "audit": (N_("audit"), N_("this audit")),
            "request": (N_("request"), N_("this request")),
            "expert": (N_("expert"), N_("this expert")),
            "roadmap": (N_("roadmap"), N_("this roadmap"))}


def role_of(actor: Actor) -> str:
    """The role the rules apply to: ``administrator`` for an administrator account, else
    the role of the membership the actor acts for (``public`` when it is unknown)."""
    if actor.administrator:
        return "administrator"
    return actor.role if actor.role in VISIBILITY else "public"


def scope_of(role: str, action: str, record_type: str) -> str:
    """The scope of ``action`` on ``record_type`` for ``role`` (from :data:`RULES`)."""
    if action not in ACTIONS:
        raise ValueError(f"action {action!r}: one of {', '.join(ACTIONS)}")
    rule = _TABLE.get((role, record_type))
    if rule is None:
        raise ValueError(f"no rule for role {role!r} on {record_type!r}")
    return str(getattr(rule, action))


def can(actor: Actor, action: str, record_type: str, owner_org: int | None = None,
        country: str | None = None, owner_account: int | None = None) -> bool:
    """Whether ``actor`` may ``action`` a ``record_type`` record owned by organisation
    ``owner_org``, of ``country`` (ISO alpha-3), belonging to account ``owner_account``."""
    scope = scope_of(role_of(actor), action, record_type)
    if scope == "any":
        return True
    if scope == "own_org":
        return owner_org is not None and owner_org == actor.organisation_id
    if scope == "own_country":
        return country is not None and actor.country is not None \
            and country.upper() == actor.country.upper()
    if scope == "self":
        return owner_account is not None and owner_account == actor.account_id
    return False


def can_read(actor: Actor, visibility: str, owner_org: int | None = None) -> bool:
    """Whether ``actor`` may see a record of ``visibility`` owned by ``owner_org``."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility {visibility!r}: one of {', '.join(VISIBILITIES)}")
    role = role_of(actor)
    if visibility in VISIBILITY[role]:
        return True
    return role == "partner_editor" and owner_org is not None \
        and owner_org == actor.organisation_id


READS_ALL_VIAS = ("cli", "system", "import")  # who runs the program reads everything


def read_limits(actor: Actor) -> tuple[tuple[str, ...], int | None] | None:
    """What ``actor`` may read, for a query to narrow by: None when it reads every record
    (the command line, an import, library code, an analyst, an administrator); else the
    visibilities it reads and the organisation whose records it reads whatever their
    visibility (a partner editor's own; None for the others)."""
    if actor.via in READS_ALL_VIAS:
        return None
    role = role_of(actor)
    if set(VISIBILITY[role]) == set(VISIBILITIES):
        return None
    return VISIBILITY[role], (actor.organisation_id if role == "partner_editor" else None)


def readable_condition(visibility: Any, owned_by: Callable[[int], Any],
                       actor: Actor | None = None) -> Any:
    """The records ``actor`` (default: the current one) may read, as an SQL condition: their
    ``visibility`` column in what it reads, or ``owned_by(organisation id)`` for a partner
    editor's own; None when it reads them all (:func:`read_limits`)."""
    limits = read_limits(actor or current_actor())
    if limits is None:
        return None
    visibilities, own = limits
    cond = visibility.in_(visibilities)
    return cond | owned_by(own) if own is not None else cond


def check(actor: Actor, action: str, record_type: str, owner_org: int | None = None,
          country: str | None = None, owner_account: int | None = None,
          what: str | None = None) -> None:
    """Raise :class:`Forbidden` unless :func:`can`; ``what`` names the record."""
    if can(actor, action, record_type, owner_org, country, owner_account):
        return
    role = role_of(actor)
    needed = next((s for s in ("own_org", "own_country", "any")
                   if any(getattr(r, action) == s for r in RULES
                          if r.record_type == record_type and r.role != "administrator")),
                  "any")
    ask = (N_("an administrator") if needed == "any" and record_type in
           ("account", "membership", "audit") else _ASK[needed])
    named, this = _RECORDS.get(record_type, (record_type, f"this {record_type}"))
    values = {"who": actor.label, "role": Phrase(role), "action": Phrase(action),
              "ask": Phrase(ask)}
    if what:
        raise Forbidden(N_("{who} (role {role}) may not {action} {record} {what}. Ask the "
                           "Centre's administrators for {ask}, or act for the organisation "
                           "that owns it."), record=Phrase(named), what=what, **values)
    raise Forbidden(N_("{who} (role {role}) may not {action} {record}. Ask the Centre's "
                       "administrators for {ask}, or act for the organisation that owns it."),
                    record=Phrase(this), **values)


def need_scope(actor: Actor, scope: str) -> None:
    """Raise :class:`Forbidden` when an API key acts without ``scope`` (only keys carry
    scopes: a web session or the command line is not limited by them)."""
    if actor.via == "api" and scope not in actor.scopes:
        have = ", ".join(sorted(actor.scopes)) or Phrase(N_("none"))
        raise Forbidden(N_("This API key lacks the {scope!r} scope (it has: {have}). Create a "
                           "key with `--scope {scope}` (`sdgbridge keys create`) and use it."),
                        scope=scope, have=have)

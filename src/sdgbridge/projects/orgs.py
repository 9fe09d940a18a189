"""The organisations registry: partners of every kind, with their IATI identifier if any.

An organisation is named by its IATI ``ref`` (``US-GOV-19``) or, without one, by
``org:<id>``; that name is the ``record_key`` of its rows in ``record_change`` (one row per
change: created, updated or archived, with ``details`` = field -> [old, new]). Organisations
are archived, never deleted. :func:`seed_from_iati` registers the reporting and participating
organisations of the stored IATI activities. The code checks here (:func:`check_code`,
:func:`check_countries`) and :func:`write_change` also serve :mod:`.editing`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.engine import RowMapping

from sdgbridge import audit
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound, Phrase, SdgBridgeError

Codelists = Mapping[str, frozenset[str]]
FIELDS = ("ref", "name_en", "name_ru", "type", "un_entity", "countries", "contacts")
CONTACT_KEYS = ("name", "email", "phone", "role")
_ID_KEY = re.compile(r"org:(\d+)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# ---------------------------------------------------------------- checks shared with editing

def check_code(codelists: Codelists, listname: str, field_name: str, code: str,
               hint: str = "") -> str:
    """``code`` if it is in the IATI code list ``listname``; else SdgBridgeError naming it."""
    codes = codelists.get(listname)
    if codes is None:
        raise SdgBridgeError(N_("The IATI code list {listname} is not in the code list folder "
                                "(SDGBRIDGE_IATI_CODELISTS); add its XML file there."),
                             listname=listname)
    if code not in codes:
        if len(codes) <= 20:
            raise SdgBridgeError(N_("{field} {code!r} is not an IATI {listname} code. Use one "
                                    "of {codes}."), field=field_name, code=code,
                                 listname=listname, codes=", ".join(sorted(codes, key=_natural)))
        raise SdgBridgeError(N_("{field} {code!r} is not in the IATI {listname} code list. "
                                "Use {hint}."), field=field_name, code=code, listname=listname,
                             hint=hint)
    return code


def _natural(code: str) -> tuple[int, str]:
    return (int(code), "") if code.isdecimal() else (1 << 30, code)


def check_countries(codelists: Codelists, countries: Iterable[str]) -> list[str]:
    """ISO 3166 alpha-2 codes (upper-cased, repeats dropped) checked against Country."""
    out: list[str] = []
    for raw in countries:
        code = str(raw).strip().upper()
        check_code(codelists, "Country", Phrase(N_("country")), code,
                   Phrase(N_("an ISO 3166 alpha-2 code, e.g. KZ, KG, TJ")))
        if code not in out:
            out.append(code)
    return out


def check_text(field_name: str, value: str | None, what: str, max_len: int | None = None,
               required: bool = False) -> str | None:
    """Stripped text; None stays None unless ``required``; empty text is refused."""
    if value is None and not required:
        return None
    text = (value or "").strip()
    if not text:
        raise SdgBridgeError(N_("{field} is empty: give {what}.") if required else
                             N_("{field} is empty: give {what}, or leave it out."),
                             field=field_name, what=what)
    if max_len is not None and len(text) > max_len:
        raise SdgBridgeError(N_("{field} is {length} characters long; at most {limit} fit. "
                                "Shorten it."), field=field_name, length=len(text),
                             limit=max_len)
    return text


def write_change(conn: Connection, record_type: str, key: str, origin: str, change: str,
                 details: Mapping[str, Any]) -> None:
    """One ``record_change`` row (details: field -> [old, new])."""
    conn.execute(insert(t.record_change).values(
        record_type=record_type, record_key=key, changed_at=datetime.now(UTC),
        origin=origin, change=change, details=json.dumps(details, default=str,
                                                          ensure_ascii=False)))


# ---------------------------------------------------------------- validation of fields

def _check_ref(ref: str | None) -> str | None:
    ref = check_text("ref", ref, Phrase(N_("the IATI organisation identifier (e.g. "
                                           "US-GOV-19)")), 255)
    if ref is not None and (re.search(r"\s", ref) or _ID_KEY.fullmatch(ref)):
        raise SdgBridgeError(N_("ref {ref!r}: an IATI organisation identifier has no spaces and "
                                "does not look like org:<number> (sdgbridge's name for "
                                "organisations without a ref)."), ref=ref)
    return ref


def _check_contacts(contacts: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    for i, contact in enumerate(contacts):
        extra = set(contact) - set(CONTACT_KEYS)
        if extra:
            raise SdgBridgeError(N_("contacts[{index}]: unknown key(s) {keys}; a contact has "
                                    "{known}."), index=i, keys=", ".join(sorted(extra)),
                                 known=", ".join(CONTACT_KEYS))
        clean = {k: str(v).strip() for k, v in contact.items() if v and str(v).strip()}
        if not clean.keys() & {"name", "email", "phone"}:
            raise SdgBridgeError(N_("contacts[{index}]: give at least a name, an email or a "
                                    "phone."), index=i)
        if "email" in clean and not _EMAIL.fullmatch(clean["email"]):
            raise SdgBridgeError(N_("contacts[{index}].email {email!r} is not an e-mail "
                                    "address; write it as name@domain.org."),
                                 index=i, email=clean["email"])
        out.append(clean)
    return out


def _clean(codelists: Codelists, values: Mapping[str, Any]) -> dict[str, Any]:
    """The organisation ``values`` checked and normalised (only the keys given)."""
    checks = {
        "ref": _check_ref,
        "name_en": lambda v: check_text("name_en", v, Phrase(N_(
            "the organisation's English name")), required=True),
        "name_ru": lambda v: check_text("name_ru", v, Phrase(N_("the Russian name"))),
        "type": lambda v: check_code(codelists, "OrganisationType", Phrase(N_("type")),
                                     str(v).strip() if v is not None else ""),
        "un_entity": lambda v: check_text("un_entity", v, Phrase(N_(
            "the UN entity's short code (UNDP, UNICEF …)")), 32),
        "countries": lambda v: check_countries(codelists, v or ()),
        "contacts": lambda v: _check_contacts(v or ()),
    }
    unknown = set(values) - set(checks)
    if unknown:
        raise SdgBridgeError(N_("Unknown organisation field(s) {fields}; the fields are "
                                "{known}."), fields=", ".join(sorted(unknown)),
                             known=", ".join(FIELDS))
    return {k: checks[k](v) for k, v in values.items()}


# ---------------------------------------------------------------- reading

def org_key(row: Mapping[str, Any] | RowMapping) -> str:
    """The ``record_key`` of an organisation: its ref, else ``org:<id>``."""
    return row["ref"] or f"org:{row['id']}"


def _as_values(row: RowMapping) -> dict[str, Any]:
    """A stored row's FIELDS, with the JSON lists decoded."""
    values = {k: row[k] for k in FIELDS}
    for k in ("countries", "contacts"):
        values[k] = json.loads(values[k]) if values[k] else []
    return values


def _find(conn: Connection, id_or_ref: int | str) -> RowMapping:
    """The organisation with this id (int or ``org:<id>``) or this ref."""
    o = t.organisation.c
    match = _ID_KEY.fullmatch(id_or_ref) if isinstance(id_or_ref, str) else None
    if isinstance(id_or_ref, int) or match:
        where = o.id == (int(match.group(1)) if match else id_or_ref)
    else:
        where = o.ref == id_or_ref
    row = conn.execute(select(t.organisation).where(where)).mappings().first()
    if row is None:
        raise no_such_org(id_or_ref)
    return row


def no_such_org(id_or_ref: int | str) -> NotFound:
    """The error of an organisation not found (also of one a reader may not see)."""
    return NotFound(N_("No organisation {key!r}. Name one by its ref or as org:<id>; "
                       "`sdgbridge orgs list --include-archived` lists them."), key=id_or_ref)


def _ensure_ref_free(conn: Connection, ref: str | None, org_id: int | None = None) -> None:
    if ref is None:
        return
    o = t.organisation.c
    holder = conn.execute(select(o.id, o.name_en, o.archived).where(o.ref == ref)).first()
    if holder is not None and holder.id != org_id:
        state = Phrase(N_(", archived")) if holder.archived else ""
        raise SdgBridgeError(N_(
            "ref {ref!r} is already used by organisation org:{id} ({name}{state}). Each ref "
            "names one organisation: choose another ref, or change that organisation with "
            "`sdgbridge orgs update {ref}`."), ref=ref, id=holder.id, name=holder.name_en,
            state=state)


# ---------------------------------------------------------------- writing

def _insert(conn: Connection, values: Mapping[str, Any], origin: str) -> int:
    """Insert a checked organisation and its ``created`` history row."""
    _ensure_ref_free(conn, values.get("ref"))
    row = {k: values.get(k) for k in FIELDS}
    stored = {**row, "countries": json.dumps(row["countries"] or []),
              "contacts": json.dumps(row["contacts"] or [], ensure_ascii=False)}
    org_id = conn.execute(insert(t.organisation).values(
        **stored, archived=False, updated_at=datetime.now(UTC))
        .returning(t.organisation.c.id)).scalar_one()
    details = {k: [None, v] for k, v in row.items() if v not in (None, [])}
    key = org_key({"ref": row["ref"], "id": org_id})
    write_change(conn, "organisation", key, origin, "created", details)
    audit.record(conn, "created", "organisation", key, after={"id": org_id, **row})
    return org_id


def create_org(engine: Engine, *, name_en: str, type: str, ref: str | None = None,
               name_ru: str | None = None, un_entity: str | None = None,
               countries: Sequence[str] = (), contacts: Sequence[Mapping[str, Any]] = (),
               codelists: Codelists, origin: str = "library") -> int:
    """Register an organisation; returns its id. SdgBridgeError names any invalid field."""
    values = _clean(codelists, {"ref": ref, "name_en": name_en, "name_ru": name_ru,
                                "type": type, "un_entity": un_entity,
                                "countries": countries, "contacts": contacts})
    with engine.begin() as conn:
        return _insert(conn, values, origin)


def update_org(engine: Engine, org_id_or_ref: int | str, codelists: Codelists, origin: str,
               **changes: Any) -> dict[str, list[Any]]:
    """Change some fields of an organisation; returns field -> [old, new] of what changed
    (nothing is written when nothing changes). ``ref=None`` removes the ref."""
    if not changes:
        raise SdgBridgeError(N_("Nothing to change; the fields are {fields}."),
                             fields=", ".join(FIELDS))
    new = _clean(codelists, changes)
    with engine.begin() as conn:
        row = _find(conn, org_id_or_ref)
        old = _as_values(row)
        diff = {k: [old[k], v] for k, v in new.items() if old[k] != v}
        if not diff:
            return {}
        if "ref" in diff:
            _ensure_ref_free(conn, new["ref"], row["id"])
        stored = {k: json.dumps(v, ensure_ascii=False) if k in ("countries", "contacts")
                  else v for k, v in new.items() if k in diff}
        conn.execute(update(t.organisation).where(t.organisation.c.id == row["id"])
                     .values(**stored, updated_at=datetime.now(UTC)))
        key = org_key({"ref": new.get("ref", row["ref"]), "id": row["id"]})
        write_change(conn, "organisation", key, origin, "updated", diff)
        audit.record(conn, "updated", "organisation", key,
                     before={k: v[0] for k, v in diff.items()},
                     after={k: v[1] for k, v in diff.items()})
    return diff


def archive_org(engine: Engine, org_id_or_ref: int | str, origin: str = "library") -> bool:
    """Archive an organisation (kept, but left out of lists); False if it already was."""
    return _set_archived(engine, org_id_or_ref, origin, True)


def restore_org(engine: Engine, org_id_or_ref: int | str, origin: str = "library") -> bool:
    """Undo :func:`archive_org` (recorded as "restored"); False if it was not archived."""
    return _set_archived(engine, org_id_or_ref, origin, False)


def _set_archived(engine: Engine, org_id_or_ref: int | str, origin: str,
                  archived: bool) -> bool:
    with engine.begin() as conn:
        row = _find(conn, org_id_or_ref)
        if row["archived"] == archived:
            return False
        conn.execute(update(t.organisation).where(t.organisation.c.id == row["id"])
                     .values(archived=archived, updated_at=datetime.now(UTC)))
        change = "archived" if archived else "restored"
        write_change(conn, "organisation", org_key(row), origin, change,
                     {"archived": [not archived, archived]})
        audit.record(conn, change, "organisation", org_key(row),
                     before={"archived": not archived}, after={"archived": archived})
    return True


# ---------------------------------------------------------------- listing and history

def list_orgs(engine: Engine, type: str | None = None, country: str | None = None,
              include_archived: bool = False) -> pl.DataFrame:
    """The organisations (by id); ``countries`` comma-separated, ``contacts`` as JSON."""
    o = t.organisation.c
    stmt = select(t.organisation).order_by(o.id)
    if type is not None:
        stmt = stmt.where(o.type == type)
    if not include_archived:
        stmt = stmt.where(o.archived.is_(False))
    with engine.connect() as conn:
        rows = [_as_values(r) | {"id": r["id"], "archived": r["archived"]}
                for r in conn.execute(stmt).mappings()]
    if country is not None:
        rows = [r for r in rows if country.strip().upper() in r["countries"]]
    schema = {"id": pl.Int64, "ref": pl.Utf8, "name_en": pl.Utf8, "name_ru": pl.Utf8,
              "type": pl.Utf8, "un_entity": pl.Utf8, "countries": pl.Utf8,
              "contacts": pl.Utf8, "archived": pl.Boolean}
    return pl.DataFrame([{**r, "countries": ",".join(r["countries"]),
                          "contacts": json.dumps(r["contacts"], ensure_ascii=False)}
                         for r in rows], schema=schema)


def one_org(engine: Engine, id_or_ref: int | str) -> pl.DataFrame:
    """One organisation (by id, ``org:<id>`` or ref; archived too) as :func:`list_orgs`
    lists it."""
    with engine.connect() as conn:
        org_id = _find(conn, id_or_ref)["id"]
    return list_orgs(engine, include_archived=True).filter(pl.col("id") == org_id)


def org_history(engine: Engine, id_or_ref: int | str) -> pl.DataFrame:
    """Every change of one organisation, oldest first, under all the refs it has had."""
    with engine.connect() as conn:
        rows = _history_rows(conn, _find(conn, id_or_ref))
    return pl.DataFrame([{k: r[k] for k in ("changed_at", "record_key", "origin", "change",
                                             "details")} for r in rows],
                        schema={"changed_at": pl.Datetime, "record_key": pl.Utf8,
                                "origin": pl.Utf8, "change": pl.Utf8, "details": pl.Utf8})


def _ref_change(row: RowMapping) -> list[str | None] | None:
    return json.loads(row["details"] or "{}").get("ref")


def _history_rows(conn: Connection, org: RowMapping) -> list[RowMapping]:
    """The organisation's rows, walking back through its keys: under each key, the rows
    from the one where it took that key (created, or a ref change) on."""
    ch = t.record_change.c
    key, upper = org_key(org), None
    out: list[RowMapping] = []
    while True:
        stmt = select(t.record_change).where(ch.record_type == "organisation",
                                             ch.record_key == key).order_by(ch.id)
        got = list(conn.execute(stmt if upper is None else stmt.where(ch.id < upper))
                   .mappings())
        held = None if key.startswith("org:") else key
        starts = [i for i, r in enumerate(got) if r["change"] == "created"
                  or (_ref_change(r) or [None, "-"])[1] == held]
        if not starts:  # no start under this key (should not happen): keep what there is
            return got + out
        first = got[starts[-1]]
        out = got[starts[-1]:] + out
        if first["change"] == "created":
            return out
        key, upper = (_ref_change(first) or [None])[0] or f"org:{org['id']}", first["id"]


# ---------------------------------------------------------------- seeding from IATI

@dataclass
class SeedReport:
    """What :func:`seed_from_iati` did: refs registered, refs already there, refs left out
    (with why), and how many participating organisations had no ref (not registered)."""

    created: list[str] = field(default_factory=list)
    existing: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    without_ref: int = 0


def _iati_orgs(conn: Connection) -> tuple[dict[str, Counter], int]:
    """Per ref found in the stored activities, a Counter of its (name, type); and the
    number of distinct participant names without a ref."""
    a, p = t.iati_activity.c, t.iati_participant.c
    seen: dict[str, Counter] = {}
    reporting = select(a.reporting_org_ref, a.reporting_org_name, a.reporting_org_type)
    for ref, name, type_ in [*conn.execute(reporting), *conn.execute(
            select(p.ref, p.name, p.type))]:
        ref = (ref or "").strip()
        if ref:
            seen.setdefault(ref, Counter())[(name and name.strip() or None, type_)] += 1
    no_ref = conn.execute(select(p.name).where((p.ref.is_(None)) | (p.ref == ""))
                          .distinct()).all()
    return seen, len(no_ref)


def _most_common(counts: Counter, position: int) -> str | None:
    """The most frequent non-null value at ``position`` of the (name, type) keys."""
    tally: Counter = Counter()
    for key, n in counts.items():
        if key[position] is not None:
            tally[key[position]] += n
    return min(tally, key=lambda v: (-tally[v], v)) if tally else None


def seed_from_iati(engine: Engine, codelists: Codelists, origin: str = "iati") -> SeedReport:
    """Register every reporting and participating organisation ref of the stored activities
    that is not registered yet (archived ones count as registered), with its most frequent
    name (the ref when none is given) and type. Running it again adds nothing."""
    report = SeedReport()
    with engine.begin() as conn:
        seen, report.without_ref = _iati_orgs(conn)
        known = {r for (r,) in conn.execute(select(t.organisation.c.ref)) if r}
        for ref in sorted(seen):
            if ref in known:
                report.existing += 1
                continue
            type_ = _most_common(seen[ref], 1)
            if type_ is None or type_ not in codelists.get("OrganisationType", ()):
                report.skipped[ref] = f"no valid OrganisationType (found {type_!r})"
                continue
            try:
                values = _clean(codelists, {"ref": ref, "type": type_,
                                            "name_en": _most_common(seen[ref], 0) or ref})
            except SdgBridgeError as exc:
                report.skipped[ref] = str(exc)
                continue
            _insert(conn, values, origin)
            report.created.append(ref)
    return report

"""Manual projects: activities entered by hand rather than imported from IATI files.

They are stored like imported ones (``iati_activity`` with ``source_file = "manual"`` and
child rows for recipient countries, DAC sectors and participating organisations), so the
lists, 3W, flat and IATI exports see them too. ``content_sha256`` is computed as the import
computes it (:func:`.store.content_digests`), over the row and its children. Each change
writes a ``record_change`` row (record_type ``activity``) as the import does: field ->
[old, new]. Only manual projects are edited or archived here; an imported one changes
at its publisher and comes back with the next import.

The reporting organisation must be registered (:mod:`.orgs`): its name and type are copied
onto the activity. Countries and sectors share 100 % equally (two decimals, the rounding
remainder on the last). Without ``participants`` the reporting organisation is listed as
the accountable one (role 2): an IATI activity needs at least one participating
organisation and at least one activity date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.engine import RowMapping

from sdgbridge import audit
from sdgbridge.accounts.roles import VISIBILITIES
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, NotFound, Phrase, SdgBridgeError
from sdgbridge.files import public_name
from sdgbridge.projects.model import FRAMES, IatiBatch
from sdgbridge.projects.orgs import (
    Codelists,
    check_code,
    check_countries,
    check_text,
    write_change,
)
from sdgbridge.projects.store import CHILDREN, content_digests

MANUAL = "manual"
DATES = ("planned_start", "actual_start", "planned_end", "actual_end")
EDITABLE = ("title_en", "title_ru", "description_en", "description_ru", "status", *DATES,
            "visibility")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# ---------------------------------------------------------------- checks

def _check_date(field_name: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        date.fromisoformat(text)
    except ValueError:
        raise SdgBridgeError(N_("{field} {value!r}: write the date as yyyy-mm-dd "
                                "(e.g. 2024-03-31)."), field=field_name, value=text) from None
    return text


def _check_dates(row: Mapping[str, Any]) -> None:
    """At least one date; no end before its start."""
    if not any(row.get(d) for d in DATES):
        raise SdgBridgeError(N_("Give planned_start or planned_end (yyyy-mm-dd): an IATI "
                                "activity needs at least one activity date."))
    for kind in ("planned", "actual"):
        start, end = row.get(f"{kind}_start"), row.get(f"{kind}_end")
        if start and end and end < start:
            raise SdgBridgeError(N_("{kind}_end {end} is before {kind}_start {start}; swap or "
                                    "correct the dates."), kind=kind, end=end, start=start)


def _check_fields(codelists: Codelists, values: Mapping[str, Any]) -> dict[str, Any]:
    """The activity-row ``values`` checked (only the keys given)."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise SdgBridgeError(N_("Cannot set {fields} here; the fields that can be changed are "
                                "{editable}."), fields=", ".join(sorted(unknown)),
                             editable=", ".join(EDITABLE))
    texts = {"title_en": (N_("the English title"), True),
             "title_ru": (N_("the Russian title"), False),
             "description_en": (N_("the English description"), False),
             "description_ru": (N_("the Russian description"), False)}
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k in texts:
            out[k] = check_text(k, v, Phrase(texts[k][0]), required=texts[k][1])
        elif k == "status":
            out[k] = check_code(codelists, "ActivityStatus", Phrase(N_("status")),
                                str(v or "").strip())
        elif k == "visibility":
            if v not in VISIBILITIES:
                raise SdgBridgeError(N_("visibility {value!r}: one of {choices} (who may read "
                                        "the project)."),
                                     value=v, choices=", ".join(VISIBILITIES))
            out[k] = v
        else:
            out[k] = _check_date(k, v)
    return out


def _check_sectors(codelists: Codelists, sectors: Sequence[str]) -> list[str]:
    out: list[str] = []
    for raw in sectors:
        code = check_code(codelists, "Sector", Phrase(N_("sector")), str(raw).strip(),
                          Phrase(N_("a 5-digit DAC purpose code (vocabulary 1), e.g. 12220 "
                                    "basic health care")))
        if code not in out:
            out.append(code)
    return out


def _check_identifier(identifier: str) -> str:
    ident = check_text("identifier", identifier, Phrase(N_(
        "the project's IATI identifier (the reporting organisation's ref, a hyphen, your own "
        "code)")), 255, required=True)
    if re.search(r"\s", ident or ""):
        raise SdgBridgeError(N_("identifier {identifier!r}: an IATI identifier has no spaces; "
                                "use hyphens (e.g. XM-DAC-41114-PROJ-0042)."), identifier=ident)
    return ident  # type: ignore[return-value]


def shares(n: int) -> list[float]:
    """``n`` equal percentages summing to 100 (two decimals, the remainder on the last)."""
    if n == 0:
        return []
    each = round(100 / n, 2)
    return [each] * (n - 1) + [round(100 - each * (n - 1), 2)]


# ---------------------------------------------------------------- reading

def _org(conn: Connection, ref: str) -> RowMapping:
    """The registered, not archived organisation with this ref."""
    o = t.organisation.c
    row = conn.execute(select(t.organisation).where(o.ref == ref)).mappings().first()
    if row is not None and row["archived"]:
        raise SdgBridgeError(N_("organisation {ref!r} is archived. Restore it first "
                                "(`sdgbridge orgs restore {ref}`)."), ref=ref)
    if row is None:
        raise SdgBridgeError(N_("organisation {ref!r} is not registered. Register it first "
                                "(`sdgbridge orgs add --ref {ref} …`, or `sdgbridge orgs "
                                "seed-from-iati`); `sdgbridge orgs list` lists them."), ref=ref)
    return row


def _activity(conn: Connection, identifier: str) -> RowMapping:
    """A stored manual project; NotFound or SdgBridgeError for others."""
    a = t.iati_activity.c
    row = conn.execute(select(t.iati_activity).where(a.iati_identifier == identifier)
                       ).mappings().first()
    if row is None:
        raise NotFound(N_("No project {identifier!r}. `sdgbridge projects list` lists them."),
                       identifier=identifier)
    if row["source_file"] != MANUAL:
        raise _naming_file(N_(
            "Project {identifier!r} was imported from {file}: change it at its publisher "
            "and import it again. Only projects made with `sdgbridge projects create` are "
            "edited here."), row["source_file"], audit.Refusal, identifier=identifier)
    return row


def _children(conn: Connection, identifier: str) -> dict[str, pl.DataFrame]:
    """The stored child rows of one activity, as the parser's frames."""
    out = {}
    for kind, table in CHILDREN.items():
        cols = list(FRAMES[kind])
        rows = conn.execute(select(*[table.c[c] for c in cols])
                            .where(table.c.iati_identifier == identifier)).all()
        out[kind] = pl.DataFrame([tuple(r) for r in rows], schema=FRAMES[kind], orient="row")
    return out


def _digest(row: Mapping[str, Any], children: Mapping[str, pl.DataFrame]) -> str:
    """``content_sha256`` as the import computes it."""
    acts = pl.DataFrame([{k: row.get(k) for k in FRAMES["activities"]}],
                        schema=FRAMES["activities"])
    return content_digests(IatiBatch(frames={"activities": acts, **children}))[
        row["iati_identifier"]]


# ---------------------------------------------------------------- writing

def _child_frames(ident: str, countries: list[str], sectors: list[str],
                  participants: list[tuple[str, RowMapping]]) -> dict[str, pl.DataFrame]:
    frames = {kind: pl.DataFrame(schema=FRAMES[kind]) for kind in CHILDREN}
    frames["countries"] = pl.DataFrame(
        {"iati_identifier": [ident] * len(countries), "code": countries,
         "percentage": shares(len(countries))}, schema=FRAMES["countries"])
    frames["sectors"] = pl.DataFrame(
        {"iati_identifier": [ident] * len(sectors), "vocabulary": ["1"] * len(sectors),
         "code": sectors, "percentage": shares(len(sectors))}, schema=FRAMES["sectors"])
    frames["participants"] = pl.DataFrame(
        [{"iati_identifier": ident, "seq": i, "role": role, "ref": org["ref"],
          "type": org["type"], "name": org["name_en"]}
         for i, (role, org) in enumerate(participants)], schema=FRAMES["participants"])
    return frames


def _participants(conn: Connection, codelists: Codelists,
                  given: Sequence[tuple[str, str]], reporting: RowMapping
                  ) -> list[tuple[str, RowMapping]]:
    """(role, organisation) pairs; the reporting organisation as accountable by default."""
    if not given:
        return [("2", reporting)]
    return [(check_code(codelists, "OrganisationRole", Phrase(N_("participant role")),
                        str(role).strip()),
             _org(conn, ref)) for role, ref in given]


def create_project(engine: Engine, *, identifier: str, title_en: str, reporting_org_ref: str,
                   status: str, countries: Sequence[str] = (), sectors: Sequence[str] = (),
                   title_ru: str | None = None, description_en: str | None = None,
                   planned_start: str | None = None, planned_end: str | None = None,
                   participants: Sequence[tuple[str, str]] = (), codelists: Codelists,
                   origin: str, visibility: str = "public") -> str:
    """Store a new manual project; returns its identifier. ``participants``: (role, ref)
    pairs of registered organisations (OrganisationRole: 1 funding … 4 implementing);
    ``visibility``: who may read it (public, partners, internal)."""
    ident = _check_identifier(identifier)
    fields = _check_fields(codelists, {
        "title_en": title_en, "title_ru": title_ru, "description_en": description_en,
        "status": status, "planned_start": planned_start, "planned_end": planned_end,
        "visibility": visibility})
    _check_dates(fields)
    codes, dac = check_countries(codelists, countries), _check_sectors(codelists, sectors)
    with engine.begin() as conn:
        _ensure_new(conn, ident)
        org = _org(conn, (reporting_org_ref or "").strip())
        row = {**dict.fromkeys(FRAMES["activities"]), **fields, "iati_identifier": ident,
               "reporting_org_ref": org["ref"], "reporting_org_name": org["name_en"],
               "reporting_org_type": org["type"], "source_file": MANUAL,
               "last_updated": _now()}
        children = _child_frames(ident, codes, dac,
                                 _participants(conn, codelists, participants, org))
        _insert(conn, row, children)
        details: dict[str, Any] = {k: [None, v] for k, v in row.items()
                                   if v is not None and k not in ("last_updated", "line")}
        details |= {k: [None, v] for k, v in (("countries", codes), ("sectors", dac)) if v}
        write_change(conn, "activity", ident, origin, "created", details)
        audit.record(conn, "created", "activity", ident,
                     after={k: v[1] for k, v in details.items()})
    return ident


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _ensure_new(conn: Connection, ident: str) -> None:
    a = t.iati_activity.c
    found = conn.execute(select(a.source_file, a.archived).where(a.iati_identifier == ident)
                         ).first()
    if found is not None:
        state = Phrase(N_(", archived")) if found.archived else ""
        if found.source_file == MANUAL:
            raise SdgBridgeError(N_(
                "identifier {identifier!r} is already a project (made by hand{state}). Choose "
                "another identifier, or change that project with `sdgbridge projects update "
                "{identifier}`."), identifier=ident, state=state)
        raise _naming_file(N_(
            "identifier {identifier!r} is already a project (imported from {file}{state}). "
            "Choose another identifier, or change it in its IATI file and import the file "
            "again."), found.source_file, identifier=ident, state=state)


def _naming_file(template: str, source_file: str,
                 kind: type[SdgBridgeError] = SdgBridgeError, **values: object
                 ) -> SdgBridgeError:
    """The error of ``template`` naming a project's ``{file}``: its whole path for the
    command line, its name only for public answers (no server paths)."""
    error = kind(template, file=source_file, **values)
    error.public_params = {"file": public_name(source_file) or ""}
    return error


def _insert(conn: Connection, row: dict[str, Any], children: dict[str, pl.DataFrame]) -> None:
    conn.execute(insert(t.iati_activity).values(
        **row, import_id=None, archived=False, content_sha256=_digest(row, children)))
    for kind, df in children.items():
        if df.height:
            conn.execute(insert(CHILDREN[kind]), df.to_dicts())


def update_project(engine: Engine, identifier: str, codelists: Codelists, origin: str,
                   **changes: Any) -> dict[str, list[Any]]:
    """Change fields of a manual project's row (EDITABLE); returns field -> [old, new] of
    what changed (nothing is written when nothing changes)."""
    if not changes:
        raise SdgBridgeError(N_("Nothing to change; the fields are {fields}."),
                             fields=", ".join(EDITABLE))
    new = _check_fields(codelists, changes)
    with audit.refusing(engine, "updated", "activity", identifier), engine.begin() as conn:
        old = _activity(conn, identifier)
        diff = {k: [old[k], v] for k, v in new.items() if old[k] != v}
        if not diff:
            return {}
        row = {**{k: old[k] for k in (*FRAMES["activities"], "visibility")}, **new,
               "last_updated": _now()}
        _check_dates(row)
        conn.execute(update(t.iati_activity)
                     .where(t.iati_activity.c.iati_identifier == identifier)
                     .values(**{k: row[k] for k in (*diff, "last_updated")},
                             content_sha256=_digest(row, _children(conn, identifier))))
        write_change(conn, "activity", identifier, origin, "updated", diff)
        audit.record(conn, "updated", "activity", identifier,
                     before={k: v[0] for k, v in diff.items()},
                     after={k: v[1] for k, v in diff.items()})
    return diff


def archive_project(engine: Engine, identifier: str, origin: str) -> bool:
    """Archive a manual project (kept, with its history, left out of listings, 3W and the
    flat export); False if it already was."""
    return _set_archived(engine, identifier, origin, True)


def restore_project(engine: Engine, identifier: str, origin: str) -> bool:
    """Undo :func:`archive_project` (recorded as "restored"); False if it was not archived."""
    return _set_archived(engine, identifier, origin, False)


def _set_archived(engine: Engine, identifier: str, origin: str, archived: bool) -> bool:
    change = "archived" if archived else "restored"
    with audit.refusing(engine, change, "activity", identifier), engine.begin() as conn:
        if _activity(conn, identifier)["archived"] == archived:
            return False
        conn.execute(update(t.iati_activity)
                     .where(t.iati_activity.c.iati_identifier == identifier)
                     .values(archived=archived))
        write_change(conn, "activity", identifier, origin, change,
                     {"archived": [not archived, archived]})
        audit.record(conn, change, "activity", identifier,
                     before={"archived": not archived}, after={"archived": archived})
    return True


def manual_projects(engine: Engine, reporting_org_ref: str) -> list[dict[str, Any]]:
    """The projects made by hand that ``reporting_org_ref`` reports, by identifier:
    identifier, English title, status, archived."""
    a = t.iati_activity.c
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(a.iati_identifier, a.title_en, a.status, a.archived).where(
                a.reporting_org_ref == reporting_org_ref, a.source_file == MANUAL)
            .order_by(a.iati_identifier)).mappings()]

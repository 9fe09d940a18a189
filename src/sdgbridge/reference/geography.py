"""Areas and groups: UN M49 countries with ISO 3166 codes, M49 regions, the SDG regional
groupings, LDC/LLDC/SIDS, the Centre's region, and user-defined groups.

Source of ``data/m49.csv``: UNSD, *Standard country or area codes for statistical use (M49)*,
with Russian short names from ISO 3166-1 (the Debian iso-codes translations shipped in pycountry).
``data/m49_ru.csv`` overrides those with the UN's own Russian names where they differ
("Кыргызстан", not "Киргизия"; "Иран (Исламская Республика)") and names the regions and groups
in Russian: UNSD's M49 page in Russian and the UN terminology database (UNTERM), reviewed by
hand for the project (see ``data/README.md``).
SDG regional groupings follow the UNSD SDG regional groups (the grouping of M49 sub-regions
used in the SDG Report and the Global SDG Indicators Database).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from sqlalchemy import Connection, Engine, delete, insert, or_, select

from sdgbridge import audit
from sdgbridge.db import tables as t
from sdgbridge.errors import SdgBridgeError, UnknownArea

CENTRE_GROUP = "CARSDG"
CENTRE_MEMBERS = ("398", "417", "762", "795", "860", "4")  # KAZ KGZ TJK TKM UZB AFG
CENTRE_NAME_RU = "Центральная Азия и Афганистан (Региональный центр по ЦУР)"
M49_SOURCE = "UNSD M49 standard (unstats.un.org/unsd/methodology/m49)"

# SDG regional groupings as unions of M49 (sub-)regions: code -> (name, M49 parts).
SDG_REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "202": ("Sub-Saharan Africa", ("202",)),
    "747": ("Northern Africa and Western Asia", ("15", "145")),
    "62": ("Central and Southern Asia", ("143", "34")),
    "753": ("Eastern and South-Eastern Asia", ("30", "35")),
    "419": ("Latin America and the Caribbean", ("419",)),
    "543": ("Oceania (exc. Australia and New Zealand)", ("54", "57", "61")),
    "53": ("Australia and New Zealand", ("53",)),
    "513": ("Europe and Northern America", ("150", "21")),
}
# Special groups: group code -> (UNSD aggregate area code, name, flag column in m49.csv).
SPECIAL = {"LDC": ("199", "Least Developed Countries (LDCs)", "ldc"),
           "LLDC": ("432", "Landlocked developing countries (LLDCs)", "lldc"),
           "SIDS": ("722", "Small island developing States (SIDS)", "sids")}


@dataclass(frozen=True)
class GeographyCounts:
    areas: int
    groups: int


@cache
def un_russian_names() -> dict[str, str]:
    """M49 code -> the UN's Russian name, where it differs from ISO 3166's (countries), and
    for the regions and groups (``data/m49_ru.csv``)."""
    text = files("sdgbridge.reference").joinpath("data/m49_ru.csv").read_text(encoding="utf-8")
    return {r["code"]: r["name_ru"] for r in csv.DictReader(text.splitlines())}


def _m49_rows() -> list[dict[str, str]]:
    text = files("sdgbridge.reference").joinpath("data/m49.csv").read_text(encoding="utf-8")
    ru = un_russian_names()
    return [{**r, "name_ru": ru.get(r["m49"], r["name_ru"])}
            for r in csv.DictReader(text.splitlines())]


@cache
def iso3_to_m49() -> dict[str, str]:
    """ISO 3166 alpha-3 code -> M49 code (no leading zeros) of the countries in the shipped
    M49 table (``KGZ`` -> ``417``), for sources that name countries by ISO3."""
    return {r["iso3"]: r["m49"] for r in _m49_rows() if r["iso3"]}


def _regions(rows: list[dict[str, str]]) -> dict[str, tuple[str, str, list[str]]]:
    """M49 region code -> (name, parent, member countries)."""
    regions: dict[str, tuple[str, str, list[str]]] = {"1": ("World", "", [])}
    for r in rows:
        regions["1"][2].append(r["m49"])
        parent = "1"
        for level in ("region", "sub_region", "intermediate_region"):
            code = r[level]
            if not code:
                continue
            regions.setdefault(code, (r[f"{level}_name"], parent, []))[2].append(r["m49"])
            parent = code
    return regions


def load_geography(engine: Engine) -> GeographyCounts:
    """(Re)load the M49 areas and the standard groups; user groups are kept."""
    rows = _m49_rows()
    regions = _regions(rows)
    areas: list[dict[str, object]] = [
        {"code": r["m49"], "iso3": r["iso3"], "iso2": r["iso2"], "name_en": r["name_en"],
         "name_ru": r["name_ru"] or None, "kind": "country",
         "parent": r["intermediate_region"] or r["sub_region"] or r["region"] or "1",
         "source": M49_SOURCE}
        for r in rows
    ]
    ru = un_russian_names()
    areas += [{"code": c, "iso3": None, "iso2": None, "name_en": n, "name_ru": ru.get(c),
               "kind": "region",
               "parent": p or None, "source": M49_SOURCE} for c, (n, p, _) in regions.items()]
    # Group codes never collide with area codes: "143" is UNSD's published Central Asia
    # aggregate (an area), "M49_143" the group of its member countries.
    groups: dict[str, tuple[str, str, str | None, list[str]]] = {
        f"M49_{c}": (n, "m49", c, m) for c, (n, _, m) in regions.items()}
    names_ru = {f"M49_{c}": ru.get(c) for c in regions} | {
        f"SDG_{c}": ru.get(c) for c in SDG_REGIONS} | {
        g: ru.get(m49) for g, (m49, _, _) in SPECIAL.items()} | {CENTRE_GROUP: CENTRE_NAME_RU}
    for code, (name, parts) in SDG_REGIONS.items():
        members = sorted({m for p in parts for m in regions[p][2]})
        groups[f"SDG_{code}"] = (name, "sdg", code, members)
    for code, (m49, name, flag) in SPECIAL.items():
        groups[code] = (name, "special", m49, [r["m49"] for r in rows if r[flag] == "1"])
    groups[CENTRE_GROUP] = ("Central Asia and Afghanistan (Regional SDG Centre)", "centre",
                            None, list(CENTRE_MEMBERS))
    with engine.begin() as conn:
        standard = select(t.area_group.c.code).where(t.area_group.c.kind != "user")
        conn.execute(delete(t.group_member).where(t.group_member.c.group_code.in_(standard)))
        conn.execute(delete(t.area_group).where(t.area_group.c.kind != "user"))
        _upsert_areas(conn, areas + [_aggregate(c, n) for c, (n, _) in SDG_REGIONS.items()
                                     if c not in regions]
                      + [_aggregate(c, n) for c, n, _ in SPECIAL.values()])
        for code, (name, kind, group_m49, members) in groups.items():
            _insert_group(conn, code, name, kind, members, m49=group_m49,
                          name_ru=names_ru.get(code))
        counts = GeographyCounts(areas=len(areas), groups=len(groups))
        audit.record(conn, "loaded", "geography", "M49",
                     after={"source": M49_SOURCE, "areas": counts.areas,
                            "groups": counts.groups})
    return counts


def _aggregate(code: str, name: str) -> dict[str, object]:
    return {"code": code, "iso3": None, "iso2": None, "name_en": name,
            "name_ru": un_russian_names().get(code),
            "kind": "aggregate",
            "parent": None, "source": M49_SOURCE}


def _upsert_areas(conn: Connection, rows: Sequence[dict[str, object]]) -> None:
    known = set(conn.execute(select(t.area.c.code)).scalars())
    new = [r for r in rows if r["code"] not in known]
    if new:
        conn.execute(insert(t.area), new)
    for r in rows:
        if r["code"] in known and r["kind"] != "aggregate":
            conn.execute(t.area.update().where(t.area.c.code == r["code"]).values(**r))
        elif r["code"] in known and r["name_ru"]:  # an aggregate a source declared: its name
            conn.execute(t.area.update().where(t.area.c.code == r["code"]).values(
                name_ru=r["name_ru"]))


def declare_areas(conn: Connection, rows: Iterable[dict[str, object]]) -> int:
    """Add areas a source names that the store does not know yet (aggregates, sub-national
    areas); known areas are left as they are. Returns how many were added."""
    known = set(conn.execute(select(t.area.c.code)).scalars())
    new = {str(r["code"]): r for r in rows if str(r["code"]) not in known}
    if new:
        conn.execute(insert(t.area), [
            {"iso3": None, "iso2": None, "name_ru": None, "parent": None, **r}
            for r in new.values()])
    return len(new)


def _insert_group(conn: Connection, code: str, name: str, kind: str, members: Sequence[str],
                  m49: str | None = None, name_ru: str | None = None) -> None:
    conn.execute(insert(t.area_group).values(code=code, name_en=name, name_ru=name_ru,
                                             kind=kind, m49=m49, source=M49_SOURCE
                                             if kind != "user" else "user"))
    if members:
        conn.execute(insert(t.group_member),
                     [{"group_code": code, "area_code": m} for m in sorted(set(members))])


def define_group(engine: Engine, code: str, name: str, areas: Sequence[str]) -> list[str]:
    """Create or replace a user-defined group; areas may be M49, ISO3 or group codes.

    The code is what users type in ``--areas`` and ``areas=``: letters, digits, ``_`` or
    ``-`` with at least one letter, and never an area's M49 or ISO3 code (a group would
    shadow the country: ``--areas KAZ`` would answer for the group's members)."""
    if not _GROUP_CODE.fullmatch(code) or code.isdigit():
        raise SdgBridgeError(f"Group code {code!r}: use 2-32 Latin letters, digits, '_' or '-', "
                             "with at least one letter (e.g. ARAL_BASIN).")
    if not name.strip():
        raise SdgBridgeError(f"Group {code!r}: give it a name.")
    with audit.refusing(engine, "defined", "group", code), engine.begin() as conn:
        clash = conn.execute(select(t.area.c.code, t.area.c.name_en).where(
            or_(t.area.c.code == code, t.area.c.iso3 == code.upper()))).first()
        if clash is not None:
            raise SdgBridgeError(f"Group code {code!r} is already the code of {clash.name_en} "
                                 f"(M49 {clash.code}); choose another group code.")
        existing = conn.execute(select(t.area_group.c.kind).where(t.area_group.c.code == code))
        kind = existing.scalar()
        if kind is not None and kind != "user":
            raise audit.Refusal(
                f"Group {code!r} is a standard group and cannot be redefined; choose another code."
            )
        members = _resolve(conn, areas)
        before = _user_group(conn, code) if kind is not None else None
        conn.execute(delete(t.group_member).where(t.group_member.c.group_code == code))
        conn.execute(delete(t.area_group).where(t.area_group.c.code == code))
        _insert_group(conn, code, name, "user", members)
        audit.record(conn, "defined", "group", code, before=before,
                     after={"name": name, "members": members})
    return members


def _user_group(conn: Connection, code: str) -> dict[str, object]:
    """A stored group's name and members, as its audit events show them."""
    name = conn.execute(select(t.area_group.c.name_en).where(t.area_group.c.code == code)
                        ).scalar()
    members = conn.execute(select(t.group_member.c.area_code).where(
        t.group_member.c.group_code == code).order_by(t.group_member.c.area_code)).scalars()
    return {"name": name, "members": list(members)}


_GROUP_CODE = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9_-]{2,32}")


def delete_group(engine: Engine, code: str) -> None:
    with audit.refusing(engine, "removed", "group", code), engine.begin() as conn:
        kind = conn.execute(select(t.area_group.c.kind).where(t.area_group.c.code == code)).scalar()
        if kind is None:
            raise UnknownArea([code])
        if kind != "user":
            raise audit.Refusal(f"Group {code!r} is a standard group and cannot be deleted.")
        before = _user_group(conn, code)
        conn.execute(delete(t.group_member).where(t.group_member.c.group_code == code))
        conn.execute(delete(t.area_group).where(t.area_group.c.code == code))
        audit.record(conn, "removed", "group", code, before=before)


def _resolve(conn: Connection, tokens: Sequence[str]) -> list[str]:
    out: list[str] = []
    unknown = []
    for raw in tokens:
        tok = raw.strip()
        if conn.execute(select(t.area_group.c.code).where(t.area_group.c.code == tok)).scalar():
            out += conn.execute(select(t.group_member.c.area_code).where(
                t.group_member.c.group_code == tok).order_by(t.group_member.c.area_code)).scalars()
            continue
        norm = (tok.lstrip("0") or "0") if tok.isdigit() else tok
        code = conn.execute(select(t.area.c.code).where(
            or_(t.area.c.code == norm, t.area.c.iso3 == tok.upper()))).scalar()
        if code is None:
            unknown.append(tok)
        else:
            out.append(code)
    if unknown:
        if conn.execute(select(t.area.c.code).limit(1)).first() is None:
            raise SdgBridgeError(
                "The store holds no areas yet: it is new or empty. Run `sdgbridge init` (or "
                "`sdgbridge demo`), or check --db / SDGBRIDGE_DATABASE_URL.")
        raise UnknownArea(unknown)
    return list(dict.fromkeys(out))


def resolve_areas(engine: Engine, tokens: Sequence[str]) -> list[str]:
    """Area codes for a mix of M49 codes, ISO3 codes and group codes (groups expand)."""
    with engine.connect() as conn:
        return _resolve(conn, tokens)

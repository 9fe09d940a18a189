"""A roadmap as a table, out and in: one row per KPI (a commitment without KPIs has one row
with the KPI columns empty), with the roadmap's, the area's and the commitment's fields
repeated on each row, and the commitment's latest review (cycle, status, comment). Written
as CSV (spreadsheet-safe, :mod:`sdgbridge.csvsafe`) or Excel; a CSV of these columns is read
back as a roadmap (:func:`read_roadmap_csv`), so that export and import round-trip: the
same roadmap in another store. Milestones are one cell, one per line,
``due|title in English|title in Russian``. A KPI on one of the roadmap's own series carries
that series' definition (name, units, indicators) on its row; an own series no KPI uses is
not in the table.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.errors import N_, InputError
from sdgbridge.roadmaps.model import RoadmapDef, parse_roadmap
from sdgbridge.roadmaps.queries import roadmap_detail
from sdgbridge.roadmaps.yamlfile import Mapping, read_text

ROADMAP = ("roadmap_key", "roadmap_title_en", "roadmap_title_ru", "kind", "example",
           "description_en", "description_ru")
AREA = ("area_key", "area_title_en", "area_title_ru")
COMMITMENT = ("commitment_key", "commitment_title_en", "commitment_title_ru",
              "commitment_description", "deadline", "responsible", "countries", "targets",
              "projects", "milestones")
KPI = ("kpi_key", "series", "publisher", "direction", "target", "baseline_year",
       "target_year", "kpi_countries", "note_en", "note_ru")
# The KPI's series when it is one of the roadmap's own (empty for a series of the store).
OWN_SERIES = ("series_name_en", "series_name_ru", "series_units", "series_indicators")
REVIEW = ("review_cycle", "review_status", "review_comment")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = ROADMAP + AREA + COMMITMENT + KPI + OWN_SERIES + REVIEW


def _latest_reviews(engine: Engine, roadmap_id: int) -> dict[int, dict[str, Any]]:
    it, rv = t.review_item.c, t.roadmap_review.c
    with engine.connect() as conn:
        rows = conn.execute(select(it.commitment_id, rv.cycle, it.status, it.comment).join(
            t.roadmap_review, rv.id == it.review_id).where(rv.roadmap_id == roadmap_id)
            .order_by(rv.reviewed_at, rv.id)).all()
    return {cid: {"review_cycle": cycle, "review_status": status, "review_comment": comment}
            for cid, cycle, status, comment in rows}


def roadmap_table(engine: Engine, key: str) -> pl.DataFrame:
    """The roadmap ``key`` as a table of :data:`COLUMNS`, in the file's order."""
    d = roadmap_detail(engine, key)
    latest = _latest_reviews(engine, d["id"])
    head = {"roadmap_key": d["key"], "roadmap_title_en": d["title_en"],
            "roadmap_title_ru": d["title_ru"], "kind": d["kind"],
            "example": "true" if d["example"] else "false",
            "description_en": d["description"], "description_ru": d["description_ru"]}
    own = {(x["code"], x["publisher"]): {
        "series_name_en": x["description"], "series_name_ru": x["description_ru"],
        "series_units": x["units"], "series_indicators": " ".join(x["indicators"]) or None}
        for x in d["series"]}
    rows = []
    for area in d["areas"]:
        a = {"area_key": area["key"], "area_title_en": area["title_en"],
             "area_title_ru": area["title_ru"]}
        for c in area["commitments"]:
            cm = {"commitment_key": c["key"], "commitment_title_en": c["title_en"],
                  "commitment_title_ru": c["title_ru"],
                  "commitment_description": c["description"],
                  "deadline": c["deadline"].isoformat() if c["deadline"] else None,
                  "responsible": " ".join(p["ref"] for p in c["responsible"]),
                  "countries": c["countries"].replace(",", " "),
                  "targets": c["targets"].replace(",", " "),
                  "projects": c["projects"].replace("\n", " "),
                  "milestones": "\n".join(
                      f"{m['due'].isoformat() if m['due'] else ''}|{m['title_en']}|"
                      f"{m['title_ru'] or ''}" for m in c["milestones"]) or None,
                  **latest.get(c["id"], {})}
            for k in c["kpis"] or [None]:
                kp = {} if k is None else {
                    "kpi_key": k["key"], "series": k["series"], "publisher": k["publisher"],
                    "direction": k["direction"], "target": k["target"],
                    "baseline_year": str(k["baseline_year"]),
                    "target_year": str(k["target_year"]),
                    "kpi_countries": k["countries"].replace(",", " "),
                    "note_en": k["note_en"], "note_ru": k["note_ru"],
                    **own.get((k["series"], k["publisher"]), {})}
                rows.append({**head, **a, **cm, **kp})
    return pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.Utf8)).select(COLUMNS)


def _cell(value: str | None) -> str | None:
    """A cell as written: empty is none; a spreadsheet-safe quote before a formula sign is
    taken off (:mod:`sdgbridge.csvsafe` adds it)."""
    if value is None or not value.strip():
        return None
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def _mapping(line: int, **fields: Any) -> Mapping:
    m = Mapping({k: v for k, v in fields.items() if v is not None})
    m.line, m.lines = line, dict.fromkeys(m, line)
    return m


def _table_reader(path: Path) -> csv.DictReader[str]:
    reader = csv.DictReader(io.StringIO(read_text(path, "CSV")))
    missing = [c for c in ("roadmap_key", "area_key", "commitment_key")
               if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(N_("{file}, line 1: the header lacks {columns}; it is {header}."),
                         file=path.name, columns=", ".join(missing),
                         header=",".join(COLUMNS))
    return reader


def read_roadmap_csv(path: Path) -> RoadmapDef:
    """The roadmap in a CSV of :data:`COLUMNS` (as :func:`roadmap_table` writes it), checked
    as a YAML file is; each message names the CSV line."""
    reader = _table_reader(path)
    roadmap: Mapping | None = None
    areas: dict[str, Mapping] = {}
    commitments: dict[tuple[str, str], Mapping] = {}
    series: dict[str, Mapping] = {}
    for line, raw in enumerate(reader, start=2):
        row = {k: _cell(v) for k, v in raw.items() if k}
        if roadmap is None:
            roadmap = _mapping(
                line, key=row.get("roadmap_key"),
                title=_mapping(line, en=row.get("roadmap_title_en"),
                               ru=row.get("roadmap_title_ru")),
                kind=row.get("kind"), example=(row.get("example") or "").lower() == "true",
                description=_mapping(line, en=row.get("description_en"),
                                     ru=row.get("description_ru"))
                if row.get("description_en") else None, areas=[])
        elif row.get("roadmap_key") != roadmap["key"]:
            raise InputError(N_("{file}, line {line}, roadmap_key: {value} is another roadmap "
                                "than the first line's {key}; one roadmap per file."),
                             file=path.name, line=line, value=row.get("roadmap_key"),
                             key=roadmap["key"])
        akey = row.get("area_key") or ""
        if akey not in areas:
            areas[akey] = _mapping(line, key=akey, title=_mapping(
                line, en=row.get("area_title_en"), ru=row.get("area_title_ru")),
                commitments=[])
            roadmap["areas"].append(areas[akey])
        ckey = (akey, row.get("commitment_key") or "")
        if ckey not in commitments:
            commitments[ckey] = _commitment(line, row)
            areas[akey]["commitments"].append(commitments[ckey])
        if row.get("kpi_key"):
            commitments[ckey]["kpis"].append(_kpi(line, row))
        if row.get("series_units") and (row.get("series") or "") not in series:
            series[row.get("series") or ""] = _series(line, row)
    if roadmap is None:
        raise InputError(N_("{file}: no rows under the header."), file=path.name)
    if series:
        roadmap["series"] = list(series.values())
    return parse_roadmap(_mapping(1, roadmap=roadmap), path.name)


def _commitment(line: int, row: dict[str, str | None]) -> Mapping:
    milestones = []
    for part in (row.get("milestones") or "").splitlines():
        due, _, rest = part.partition("|")
        en, _, ru = rest.partition("|")
        milestones.append(_mapping(line, title=_mapping(line, en=en or None, ru=ru or None),
                                   due=due or None))
    words = {k: (row.get(k) or "").split() for k in ("responsible", "countries", "targets",
                                                     "projects")}
    return _mapping(line, key=row.get("commitment_key"),
                    title=_mapping(line, en=row.get("commitment_title_en"),
                                   ru=row.get("commitment_title_ru")),
                    description=row.get("commitment_description"),
                    deadline=row.get("deadline"), milestones=milestones, kpis=[], **words)


def _kpi(line: int, row: dict[str, str | None]) -> Mapping:
    def year(name: str) -> int | str | None:
        value = row.get(name)
        return int(value) if value and value.isdigit() else value

    return _mapping(line, key=row.get("kpi_key"), series=row.get("series"),
                    publisher=row.get("publisher"), direction=row.get("direction"),
                    target=row.get("target"), baseline_year=year("baseline_year"),
                    target_year=year("target_year"),
                    countries=(row.get("kpi_countries") or "").split() or None,
                    note=_mapping(line, en=row.get("note_en"), ru=row.get("note_ru"))
                    if row.get("note_en") else None)


def _series(line: int, row: dict[str, str | None]) -> Mapping:
    return _mapping(line, code=row.get("series"), publisher=row.get("publisher"),
                    name=_mapping(line, en=row.get("series_name_en"),
                                  ru=row.get("series_name_ru")),
                    units=row.get("series_units"),
                    indicators=(row.get("series_indicators") or "").split() or None)


def roadmap_bytes(engine: Engine, key: str, fmt: str) -> bytes:
    """The roadmap ``key`` with each commitment's latest review as ``csv`` (UTF-8,
    spreadsheet-safe) or ``xlsx`` bytes: what :func:`export_roadmap` writes."""
    from sdgbridge.csvsafe import write_csv

    table = roadmap_table(engine, key)
    if fmt == "csv":
        return (write_csv(table) or "").encode("utf-8")
    if fmt != "xlsx":
        raise InputError(N_("{fmt}: a roadmap is exported as csv or xlsx."), fmt=fmt)
    out = io.BytesIO()
    table.write_excel(out, worksheet="roadmap", autofit=True)
    return out.getvalue()


def export_roadmap(engine: Engine, key: str, path: Path) -> Path:
    """Write the roadmap ``key`` with each commitment's latest review to ``path``: CSV or
    Excel by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(N_("{file}: end the file name in .csv or .xlsx."), file=path.name)
    path.write_bytes(roadmap_bytes(engine, key, suffix[1:]))
    return path

"""Stored IATI activities back out: into the frames of the parser, and as an IATI 2.03 file.

:func:`stored_batch` reads the store into an :class:`IatiBatch` equal to what the parser
made of the imported files (same columns and dtypes; activities in the order of the files
they came from, children in document order), so its :func:`content_digests` are the stored
``content_sha256``. :func:`export_activities` writes those frames as an ``iati-activities``
2.03 file and validates it against the IATI schema; importing that file again changes
nothing, except ``iati_version``, which becomes 2.03 (one file has one version).

What is stored is all that can be written: the parser keeps one name per organisation, the
English and Russian descriptions, the first DAC and first other sector of a transaction and
the first document category, and resolves the activity's default flow, finance and aid types
onto each transaction, where they are written back. Provider and receiver organisation types
are checked on import but not stored, so they are not exported. Results are written with what
:mod:`.results` keeps of them (one title and description each, the first baseline,
target and actual).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeAlias

import polars as pl
from lxml import etree
from sqlalchemy import Connection, Engine, Table, select

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound, SdgBridgeError
from sdgbridge.outputs import output_path
from sdgbridge.projects.iati.activity import DATE_COLUMNS
from sdgbridge.projects.iati.elements import XML_LANG
from sdgbridge.projects.iati.files import validate_schema
from sdgbridge.projects.model import FRAMES, IatiBatch
from sdgbridge.projects.store import CHILDREN

IATI_VERSION = "2.03"
def _default_schema() -> Path:
    return Settings().iati_schema
CHUNK = 500  # identifiers per IN (...) query (SQLite limits bound parameters)
# "[fr] a title\n[de] ein Titel": the lines of ``title_other`` (a title may span lines).
_OTHER_TITLE = re.compile(r"\[([^\]\n]*)\] (.*?)(?=\n\[[^\]\n]*\] |\Z)", re.S)
Row = dict[str, Any]
Element: TypeAlias = etree._Element


# ---------------------------------------------------------------- the store into frames

def stored_batch(engine: Engine, identifiers: Sequence[str] | None = None) -> IatiBatch:
    """The stored activities (all, or ``identifiers``) as the frames the parser produces.

    Raises NotFound when an identifier is not in the store."""
    ids = None if identifiers is None else list(dict.fromkeys(identifiers))
    with engine.connect() as conn:
        acts = stored_frame(conn, t.iati_activity, "activities", ids).sort(
            "source_file", "line", "iati_identifier", nulls_last=True)
        _check_found(ids, acts)
        order = acts.select("iati_identifier").with_row_index("_order")
        frames = {"activities": acts} | {
            kind: _in_order(stored_frame(conn, table, kind, ids), order, table)
            for kind, table in CHILDREN.items()}
    files = acts["source_file"].drop_nulls().unique(maintain_order=True).to_list()
    return IatiBatch(frames=frames, files=files)


def stored_frame(conn: Connection, table: Table, kind: str,
                 ids: list[str] | None) -> pl.DataFrame:
    """The rows of ``table`` (of the activities ``ids``, or all) as the ``kind`` frame."""
    query = select(*[table.c[column] for column in FRAMES[kind]])
    if ids is None:
        rows = conn.execute(query).all()
    else:
        rows = [row for i in range(0, len(ids), CHUNK) for row in conn.execute(
            query.where(table.c.iati_identifier.in_(ids[i:i + CHUNK]))).all()]
    return pl.DataFrame([tuple(row) for row in rows], schema=FRAMES[kind], orient="row")


def _in_order(df: pl.DataFrame, order: pl.DataFrame, table: Table) -> pl.DataFrame:
    """Child rows in the order of their activities, then by ``seq`` (or code)."""
    keys = [c.name for c in table.primary_key.columns if c.name != "iati_identifier"]
    return df.join(order, on="iati_identifier", how="left").sort(
        "_order", *keys, nulls_last=True).drop("_order")


def _check_found(ids: list[str] | None, acts: pl.DataFrame) -> None:
    missing = [] if ids is None else sorted(set(ids) - set(acts["iati_identifier"]))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more"
                                          if len(missing) > 5 else "")
        raise NotFound(f"No IATI activity {shown} in the store. `sdgbridge projects list` "
                       "lists the stored ones.")


# ---------------------------------------------------------------- frames into XML

def export_activities(engine: Engine, path: Path, identifiers: Sequence[str] | None = None,
                      *, schema_path: Path | None = None) -> Path:
    """Write the stored activities (all, or ``identifiers``) to ``path`` as an IATI 2.03
    activity file, and validate it against ``schema_path`` (default: the setting's default).

    The file is written beside ``path`` first and moved there once valid; an invalid one
    (a bug) is kept for inspection and SdgBridgeError names its first schema error."""
    batch = stored_batch(engine, identifiers)
    if batch.frames["activities"].is_empty():
        raise NotFound("No IATI activities in the store to export; import some first "
                       "(`sdgbridge projects import`).")
    path = output_path(path, "IATI file")
    draft = path.with_name(path.name + ".part")
    etree.ElementTree(activities_xml(batch)).write(
        str(draft), encoding="UTF-8", xml_declaration=True, pretty_print=True)
    errors = validate_schema(draft, Path(schema_path or _default_schema()))
    if errors:
        first = errors[0]
        raise SdgBridgeError(
            f"{draft}:{first.line}: the exported file is not valid IATI {IATI_VERSION} "
            f"({len(errors)} errors; first at {first.field}: {first.message}). This is a bug "
            "in sdgbridge's export; the file is kept for inspection.")
    draft.replace(path)
    return path


def activities_xml(batch: IatiBatch) -> Element:
    """The ``iati-activities`` element of the frames of ``batch``."""
    root = etree.Element("iati-activities", {
        "version": IATI_VERSION,
        "generated-datetime": datetime.now(UTC).isoformat(timespec="seconds")})
    children = {kind: _by_activity(batch.frames[kind]) for kind in CHILDREN}
    for act in batch.frames["activities"].iter_rows(named=True):
        rows = {kind: children[kind].get(act["iati_identifier"], []) for kind in CHILDREN}
        _activity(root, act, rows)
    return root


def _by_activity(df: pl.DataFrame) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in df.iter_rows(named=True):
        groups[row["iati_identifier"]].append(row)
    return groups


def _sub(parent: Element, tag: str, attrs: dict[str, str | None] | None = None,
         text: str | None = None) -> Element:
    """A child element; attributes that are None are left out."""
    el = etree.SubElement(parent, tag, {k: v for k, v in (attrs or {}).items() if v is not None})
    el.text = text
    return el


def _texts(parent: Element, tag: str, texts: Iterable[tuple[str | None, str | None]],
           attrs: dict[str, str | None] | None = None) -> Element:
    """``<tag>`` with a narrative per (language, text) that has text; one empty narrative
    when none has (the schema wants one; the parser reads it as nothing)."""
    el = _sub(parent, tag, attrs)
    for lang, text in texts:
        if text is not None:
            _sub(el, "narrative", {XML_LANG: lang}, text)
    if not len(el):
        _sub(el, "narrative")
    return el


def _named(parent: Element, tag: str, attrs: dict[str, str | None], name: str | None,
           required: bool = False) -> Element:
    """An organisation-like element whose name is one narrative (the parser keeps one)."""
    if name is None and not required:
        return _sub(parent, tag, attrs)
    return _texts(parent, tag, [(None, name)], attrs)


def _number(value: float | None) -> str | None:
    """An xsd:decimal (never an exponent) that reads back as the same float."""
    if value is None:
        return None
    text = format(Decimal(repr(value)), "f")
    return text.removesuffix(".0")


def _activity(root: Element, act: Row, rows: dict[str, list[Row]]) -> None:
    """One ``iati-activity``, its elements in the order of the schema."""
    el = _sub(root, "iati-activity", {
        "last-updated-datetime": act["last_updated"], XML_LANG: act["default_lang"],
        "default-currency": act["default_currency"], "hierarchy": act["hierarchy"]})
    _sub(el, "iati-identifier", text=act["iati_identifier"])
    _named(el, "reporting-org", {"ref": act["reporting_org_ref"] or "",
                                 "type": act["reporting_org_type"] or ""},
           act["reporting_org_name"], required=True)
    others = _OTHER_TITLE.findall(act["title_other"] or "")
    _texts(el, "title", [("en", act["title_en"]), ("ru", act["title_ru"]), *others])
    _texts(el, "description", [("en", act["description_en"]), ("ru", act["description_ru"])])
    for org in rows["participants"]:
        _named(el, "participating-org", {"ref": org["ref"], "type": org["type"],
                                         "role": org["role"] or ""}, org["name"])
    _sub(el, "activity-status", {"code": act["status"] or ""})
    for code, column in DATE_COLUMNS.items():
        if act[column] is not None:
            _sub(el, "activity-date", {"type": code, "iso-date": act[column]})
    _shares(el, rows)
    for budget in rows["budgets"]:
        _budget(el, budget)
    for tr in rows["transactions"]:
        _transaction(el, tr)
    for doc in rows["documents"]:
        link = _sub(el, "document-link", {"url": doc["url"] or "", "format": doc["format"] or ""})
        _texts(link, "title", [(None, doc["title"])])
        _sub(link, "category", {"code": doc["category"] or ""})
    if rows["results"]:
        _results(el, rows)


def _flag(value: bool | None) -> str | None:
    return None if value is None else ("1" if value else "0")


def _by_parent(rows: list[Row], *keys: str) -> dict[tuple[Any, ...], list[Row]]:
    out: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for row in rows:
        out[tuple(row[k] for k in keys)].append(row)
    return out


def _results(el: Element, rows: dict[str, list[Row]]) -> None:
    """The activity's results, each with its indicators, their references and periods."""
    indicators = _by_parent(rows["indicators"], "result_seq")
    refs = _by_parent(rows["indicator_refs"], "result_seq", "indicator_seq")
    periods = _by_parent(rows["periods"], "result_seq", "indicator_seq")
    for res in rows["results"]:
        result = _sub(el, "result", {"type": res["type"] or "",
                                     "aggregation-status": _flag(res["aggregation_status"])})
        _texts(result, "title", [(None, res["title"])])
        if res["description"] is not None:
            _texts(result, "description", [(None, res["description"])])
        for ind in indicators[(res["seq"],)]:
            key = ind["result_seq"], ind["seq"]
            _indicator(result, ind, refs[key], periods[key])


def _indicator(result: Element, ind: Row, refs: list[Row], periods: list[Row]) -> None:
    """One indicator: title, description, references, baseline, periods (schema order)."""
    el = _sub(result, "indicator", {"measure": ind["measure"] or "",
                                    "ascending": _flag(ind["ascending"]),
                                    "aggregation-status": _flag(ind["aggregation_status"])})
    _texts(el, "title", [(None, ind["title"])])
    if ind["description"] is not None:
        _texts(el, "description", [(None, ind["description"])])
    for ref in refs:
        _sub(el, "reference", {"vocabulary": ref["vocabulary"] or "", "code": ref["code"] or "",
                               "indicator-uri": ref["indicator_uri"]})
    if ind["baseline_year"] is not None:
        _sub(el, "baseline", {"iso-date": ind["baseline_iso_date"],
                              "year": str(ind["baseline_year"]),
                              "value": ind["baseline_value"]})
    for period in periods:
        p = _sub(el, "period")
        _sub(p, "period-start", {"iso-date": period["period_start"] or ""})
        _sub(p, "period-end", {"iso-date": period["period_end"] or ""})
        for tag in ("target", "actual"):
            if period[f"{tag}_value"] is not None:
                _sub(p, tag, {"value": period[f"{tag}_value"]})


def _shares(el: Element, rows: dict[str, list[Row]]) -> None:
    """Activity-level recipient countries and regions, sectors and tags."""
    for row in rows["countries"]:
        _sub(el, "recipient-country", {"code": row["code"] or "",
                                       "percentage": _number(row["percentage"])})
    for tag, kind in (("recipient-region", "regions"), ("sector", "sectors")):
        for row in rows[kind]:
            _sub(el, tag, {"code": row["code"] or "", "vocabulary": row["vocabulary"],
                           "percentage": _number(row["percentage"])})
    for row in rows["tags"]:
        _sub(el, "tag", {"code": row["code"] or "", "vocabulary": row["vocabulary"] or "1"})


def _value(parent: Element, row: Row) -> None:
    _sub(parent, "value", {"currency": row["currency"], "value-date": row["value_date"]},
         _number(row["value"]))


def _budget(el: Element, row: Row) -> None:
    budget = _sub(el, "budget", {"type": row["type"], "status": row["status"]})
    _sub(budget, "period-start", {"iso-date": row["period_start"]})
    _sub(budget, "period-end", {"iso-date": row["period_end"]})
    _value(budget, row)


def _transaction(el: Element, row: Row) -> None:
    """One transaction: its elements in the order of the schema."""
    tr = _sub(el, "transaction")
    _sub(tr, "transaction-type", {"code": row["type"] or ""})
    _sub(tr, "transaction-date", {"iso-date": row["date"]})
    _value(tr, row)
    if row["description"] is not None:
        _texts(tr, "description", [(None, row["description"])])
    for end in ("provider", "receiver"):
        if row[f"{end}_ref"] is not None or row[f"{end}_name"] is not None:
            _named(tr, f"{end}-org", {"ref": row[f"{end}_ref"]}, row[f"{end}_name"])
    if row["sector_dac"] is not None:
        _sub(tr, "sector", {"vocabulary": "1", "code": row["sector_dac"]})
    if row["sector_other_vocabulary"] is not None:
        _sub(tr, "sector", {"vocabulary": row["sector_other_vocabulary"],
                            "code": row["sector_other"] or ""})
    if row["country"] is not None:
        _sub(tr, "recipient-country", {"code": row["country"]})
    if row["region"] is not None:  # "vocabulary:code" outside the DAC vocabulary (1)
        vocabulary, code = row["region"].split(":", 1) if ":" in row["region"] \
            else ("1", row["region"])
        _sub(tr, "recipient-region", {"code": code, "vocabulary": vocabulary})
    for tag, column in (("flow-type", "flow_type"), ("finance-type", "finance_type"),
                        ("aid-type", "aid_type")):
        if row[column] is not None:
            _sub(tr, tag, {"code": row[column]})

"""Read IATI 2.0x activity files into the frames of :mod:`sdgbridge.projects.model`.

Files are parsed safely (no DTD, no entities), validated against the IATI schema, and each
``iati-activity`` becomes rows of the frames, its codes checked against the IATI code lists.
An activity with any problem (schema, unknown code, bad number, conflicting duplicate) gets
Rejections and none of its rows are kept; an unreadable file raises InputError.

Quirks of real files handled here (see ``shared/data/iati/README.md``):

* US Government files put recipient country / region and sectors on each ``transaction``,
  not on the activity; both levels are read (:func:`recipient_countries` combines them).
* Publisher extensions in their own namespaces (``usg:treasury-account``, …) sit among the
  IATI elements; lookups by plain tag name skip them.
* Narratives carry ``xml:lang`` or inherit the activity's ``xml:lang``.
* The same activity is published in several files (registry records pointing at one URL).
* A ``vocabulary`` attribute left out means vocabulary 1 (IATI's rule), and is stored so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from sdgbridge.errors import InputError, Rejection
from sdgbridge.ingest.xml import parse_xml, parser
from sdgbridge.projects.model import FRAMES, IatiBatch

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DATE_COLUMNS = {"1": "planned_start", "2": "actual_start", "3": "planned_end", "4": "actual_end"}
REQUIRED_LISTS = ("ActivityStatus", "TransactionType", "OrganisationRole", "OrganisationType",
                  "Country", "Region", "Sector", "Currency", "BudgetType", "BudgetStatus")
NOT_CONTENT = ("source_file", "line")
# libxml2's path of a schema error's node (no [n] when the file has a single activity).
_ERROR_PATH = re.compile(r"^/iati-activities/iati-activity(?:\[(\d+)\])?(?:/(.*))?$")
# xsd:decimal: no exponent, no NaN/inf, no "1_000" (which Python's float() would accept).
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
Row = dict[str, Any]
Content = tuple[Row, dict[str, list[Row]]]


@dataclass
class ParsedBatch(IatiBatch):
    """An :class:`IatiBatch` plus what happened to duplicates and rejected activities."""

    duplicates_identical: int = 0  # later copies of an identifier, same content: skipped
    duplicates_conflicting: int = 0  # later copies with different content: rejected
    activities_rejected: int = 0  # one activity may have several rejections


def _attr(el: etree._Element | None, name: str) -> str | None:
    """The stripped attribute, or None when the element or the value is missing or empty."""
    value = None if el is None else el.get(name)
    return (value.strip() or None) if value is not None else None


def _text(el: etree._Element | None) -> str | None:
    return (el.text.strip() or None) if el is not None and el.text else None


def _first_code(parent: etree._Element, tag: str) -> str | None:
    """The code of the first ``tag`` child in vocabulary 1 (the OECD-DAC list)."""
    for el in parent.iterfind(tag):
        if (_attr(el, "vocabulary") or "1") == "1":
            return _attr(el, "code")
    return None


# ---------------------------------------------------------------- files and the schema

def read_tree(path: Path) -> etree._ElementTree:
    """Parse ``path`` safely and check that it is an IATI 2.0x activity file."""
    tree = parse_xml(path)  # refuses DTDs and entities anywhere; broken XML -> InputError
    root = tree.getroot()
    qname = etree.QName(root)
    if root.tag == "iati-activities":
        if not (root.get("version") or "2").startswith("1"):
            return tree
        what = f"an IATI {root.get('version')} file (only IATI 2.0x is read)"
    elif qname.localname == "iati-activities":  # right name, wrong namespace
        what = f"<iati-activities> in namespace {qname.namespace}, but IATI has no namespace"
    elif qname.localname == "iati-organisations":
        what = "an IATI organisation file, not an activity file"
    else:
        what = f"<{root.tag}>, not an IATI activity file (<iati-activities>)"
    raise InputError(f"{path}:{root.sourceline}: the root element is {what}. Give IATI 2.0x "
                     "activity files only (fetch them again from the IATI Registry).")


@lru_cache(maxsize=4)
def _schema(path: Path) -> etree.XMLSchema:
    """The IATI activity schema, loaded once per resolved path."""
    try:
        return etree.XMLSchema(etree.parse(str(path), parser()))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise InputError(f"{path}: cannot load the IATI activity schema ({exc}). Point at "
                         "iati-activities-schema.xsd, beside iati-common.xsd and xml.xsd.") from exc


def validate_schema(path: Path, schema_path: Path) -> list[Rejection]:
    """Schema errors of ``path``, one Rejection per error inside an ``iati-activity``; an
    error outside every activity (the root, a stray element) raises InputError."""
    found = _schema_errors(read_tree(path), path, schema_path)
    return [r for rejections in found.values() for r in rejections]


def _schema_errors(tree: etree._ElementTree, path: Path,
                   schema_path: Path) -> dict[int, list[Rejection]]:
    """Schema errors by the index of the activity they fall in."""
    schema = _schema(Path(schema_path).resolve())
    if schema.validate(tree):
        return {}
    spans = _activity_spans(tree.getroot())
    found: dict[int, list[Rejection]] = {}
    for err in schema.error_log:
        where = _locate(err, spans)
        if where is None:
            raise InputError(f"{path}:{err.line}: not a valid IATI activity file outside its "
                             f"activities ({err.message}). Fetch it again from its publisher.")
        found.setdefault(where[0], []).append(
            Rejection(str(path), err.line, where[1], f"schema: {err.message}"))
    return found


def _activity_spans(root: etree._Element) -> list[tuple[int, int]]:
    """(first line, last element line) of each activity, for errors that carry no path."""
    return [(act.sourceline, max(el.sourceline for el in act.iter()))
            for act in root.iterchildren("iati-activity")]


def _locate(err: Any, spans: list[tuple[int, int]]) -> tuple[int, str] | None:
    """(activity index, field) of a schema error, or None when outside every activity."""
    if err.path:
        match = _ERROR_PATH.match(err.path)
        return (int(match.group(1) or 1) - 1, match.group(2) or "iati-activity") \
            if match else None
    # No path: fall back to the line ranges (on one-line files the first activity wins).
    hits = [i for i, (first, last) in enumerate(spans) if first <= err.line <= last]
    return (hits[0], "iati-activity") if hits else None


# ---------------------------------------------------------------- one activity

class _Activity:
    """The rows and the rejections of one ``iati-activity`` element."""

    def __init__(self, el: etree._Element, path: Path, version: str | None,
                 codelists: dict[str, frozenset[str]]) -> None:
        self.el, self.file, self.codelists = el, str(path), codelists
        self.lang = _attr(el, XML_LANG)
        self.ident = _text(el.find("iati-identifier"))
        self.currency = _attr(el, "default-currency")
        self.rejections: list[Rejection] = []
        self.rows: dict[str, list[Row]] = {kind: [] for kind in FRAMES}
        if self.ident is None:
            self.reject(el, "iati-identifier", "missing: every activity needs one")
        self.code(el, "@default-currency", "Currency", self.currency)
        self.rows["activities"].append(self._activity_row(version))
        for build in (self._participants, self._geography_sectors_tags, self._transactions,
                      self._budgets, self._documents):
            build()

    def reject(self, el: etree._Element, field: str, message: str) -> None:
        self.rejections.append(Rejection(self.file, el.sourceline, field, message))

    def code(self, el: etree._Element | None, field: str, codelist: str,
             code: str | None) -> None:
        """Reject an unknown code (None, i.e. absent, is not checked here: the schema is)."""
        if code is not None and el is not None and code not in self.codelists[codelist]:
            self.reject(el, field, f"unknown {codelist} code {code!r}")

    def number(self, el: etree._Element | None, field: str, text: str | None) -> float | None:
        if el is None or text is None:
            return None
        if _DECIMAL.fullmatch(text):
            return float(text)
        self.reject(el, field, f"not a number: {text!r}")
        return None

    def add(self, kind: str, **values: Any) -> None:
        self.rows[kind].append({"iati_identifier": self.ident, **values})

    def content(self) -> Content:
        """Everything but where it was read from: equal content = the same activity."""
        row = {k: v for k, v in self.rows["activities"][0].items() if k not in NOT_CONTENT}
        return row, {k: v for k, v in self.rows.items() if k != "activities"}

    def texts(self, elements: list[etree._Element], sep: str = "\n") -> dict[str, str]:
        """Narrative texts by language: the narrative's ``xml:lang``, else the activity's
        (the IATI default), else ``und``; several in one language are joined by ``sep``."""
        out: dict[str, str] = {}
        for parent in elements:
            for narrative in parent.iterfind("narrative"):
                text = _text(narrative)
                lang = (_attr(narrative, XML_LANG) or self.lang or "und").lower().split("-")[0]
                if text:
                    out[lang] = f"{out[lang]}{sep}{text}" if lang in out else text
        return out

    def name(self, el: etree._Element | None) -> str | None:
        """The English narrative of ``el``, else its first one."""
        texts = self.texts([] if el is None else [el])
        return texts.get("en") or next(iter(texts.values()), None)

    def _activity_row(self, version: str | None) -> Row:
        el, org = self.el, self.el.find("reporting-org")
        titles = self.texts(el.findall("title"))
        descriptions = self.texts(el.findall("description"), "\n\n")
        status_el = el.find("activity-status")
        status = _attr(status_el, "code")
        self.code(status_el, "activity-status", "ActivityStatus", status)
        self.code(org, "reporting-org/@type", "OrganisationType", _attr(org, "type"))
        dates = {DATE_COLUMNS[d.get("type")]: _attr(d, "iso-date")  # the first of each type
                 for d in reversed(el.findall("activity-date")) if d.get("type") in DATE_COLUMNS}
        others = [f"[{lang}] {text}" for lang, text in titles.items() if lang not in ("en", "ru")]
        return {"iati_identifier": self.ident, "reporting_org_ref": _attr(org, "ref"),
                "reporting_org_name": self.name(org), "reporting_org_type": _attr(org, "type"),
                "title_en": titles.get("en"), "title_ru": titles.get("ru"),
                "title_other": "\n".join(others) or None,
                "description_en": descriptions.get("en"), "description_ru": descriptions.get("ru"),
                "status": status, "default_currency": self.currency, "default_lang": self.lang,
                **{column: dates.get(column) for column in DATE_COLUMNS.values()},
                "hierarchy": _attr(el, "hierarchy"),
                "last_updated": _attr(el, "last-updated-datetime"), "iati_version": version,
                "source_file": self.file, "line": el.sourceline}

    def _participants(self) -> None:
        for seq, org in enumerate(self.el.iterfind("participating-org")):
            field = f"participating-org[{seq + 1}]"
            role, kind = _attr(org, "role"), _attr(org, "type")
            self.code(org, f"{field}/@role", "OrganisationRole", role)
            self.code(org, f"{field}/@type", "OrganisationType", kind)
            self.add("participants", seq=seq, role=role, ref=_attr(org, "ref"), type=kind,
                     name=self.name(org))

    def _shares(self, tag: str, kind: str, codelist: str) -> None:
        """Activity-level countries, regions or sectors (rare in US Government files) with
        their percentages; codes are checked in vocabulary 1, the one with a code list."""
        for i, el in enumerate(self.el.iterfind(tag)):
            field, code = f"{tag}[{i + 1}]", _attr(el, "code")
            vocabulary = _attr(el, "vocabulary") or "1"  # countries have none: always checked
            if vocabulary == "1":
                self.code(el, field, codelist, code)
            extra = {} if kind == "countries" else {"vocabulary": vocabulary}
            self.add(kind, code=code, **extra, percentage=self.number(
                el, f"{field}/@percentage", _attr(el, "percentage")))

    def _geography_sectors_tags(self) -> None:
        self._shares("recipient-country", "countries", "Country")
        self._shares("recipient-region", "regions", "Region")
        self._shares("sector", "sectors", "Sector")
        for el in self.el.iterfind("tag"):
            self.add("tags", vocabulary=_attr(el, "vocabulary") or "1", code=_attr(el, "code"))

    def _transactions(self) -> None:
        for seq, tr in enumerate(self.el.iterfind("transaction")):
            field = f"transaction[{seq + 1}]"
            type_el, value = tr.find("transaction-type"), tr.find("value")
            kind = _attr(type_el, "code")
            self.code(type_el, f"{field}/transaction-type", "TransactionType", kind)
            ends = {}
            for end in ("provider", "receiver"):
                org = tr.find(f"{end}-org")
                self.code(org, f"{field}/{end}-org/@type", "OrganisationType", _attr(org, "type"))
                ends |= {f"{end}_ref": _attr(org, "ref"), f"{end}_name": self.name(org)}
            self.add("transactions", seq=seq, type=kind,
                     date=_attr(tr.find("transaction-date"), "iso-date"),
                     value=self.number(value, f"{field}/value", _text(value)),
                     currency=self._currency(value, f"{field}/value/@currency"),
                     value_date=_attr(value, "value-date"), **ends,
                     description=self.name(tr.find("description")),
                     **self._transaction_place(tr, field), **self._transaction_sectors(tr, field),
                     **self._transaction_types(tr))

    def _currency(self, value: etree._Element | None, field: str) -> str | None:
        """The value's own currency, else the activity's ``default-currency``."""
        currency = _attr(value, "currency")
        self.code(value, field, "Currency", currency)
        return currency or self.currency

    def _transaction_place(self, tr: etree._Element, field: str) -> Row:
        """The transaction's country and region (IATI allows one of each at most). A region
        in another vocabulary than DAC (1) is stored as ``vocabulary:code``."""
        country_el, region_el = tr.find("recipient-country"), tr.find("recipient-region")
        country, region = _attr(country_el, "code"), _attr(region_el, "code")
        self.code(country_el, f"{field}/recipient-country", "Country", country)
        vocabulary = _attr(region_el, "vocabulary") or "1"
        if vocabulary == "1":
            self.code(region_el, f"{field}/recipient-region", "Region", region)
        elif region is not None:
            region = f"{vocabulary}:{region}"
        return {"country": country, "region": region}

    def _transaction_sectors(self, tr: etree._Element, field: str) -> Row:
        """The DAC sector (vocabulary 1) and the first sector of any other vocabulary (US
        files add vocabulary 99, their own codes; a few also add 10, humanitarian clusters,
        which is not kept: the frame holds one other sector)."""
        out: Row = {"sector_dac": None, "sector_other": None, "sector_other_vocabulary": None}
        for i, el in enumerate(tr.iterfind("sector")):
            code, vocabulary = _attr(el, "code"), _attr(el, "vocabulary") or "1"
            if vocabulary == "1" and out["sector_dac"] is None:
                self.code(el, f"{field}/sector[{i + 1}]", "Sector", code)
                out["sector_dac"] = code
            elif vocabulary != "1" and out["sector_other"] is None:
                out |= {"sector_other": code, "sector_other_vocabulary": vocabulary}
        return out

    def _transaction_types(self, tr: etree._Element) -> Row:
        """Flow, finance and aid type: the transaction's own, else the activity default."""
        return {column: _first_code(tr, tag) or _first_code(self.el, f"default-{tag}")
                for column, tag in (("flow_type", "flow-type"), ("finance_type", "finance-type"),
                                    ("aid_type", "aid-type"))}

    def _budgets(self) -> None:
        for seq, el in enumerate(self.el.iterfind("budget")):
            field, value = f"budget[{seq + 1}]", el.find("value")
            kind, status = _attr(el, "type"), _attr(el, "status")
            self.code(el, f"{field}/@type", "BudgetType", kind)
            self.code(el, f"{field}/@status", "BudgetStatus", status)
            self.add("budgets", seq=seq, type=kind, status=status,
                     period_start=_attr(el.find("period-start"), "iso-date"),
                     period_end=_attr(el.find("period-end"), "iso-date"),
                     value=self.number(value, f"{field}/value", _text(value)),
                     currency=self._currency(value, f"{field}/value/@currency"),
                     value_date=_attr(value, "value-date"))

    def _documents(self) -> None:
        """Document links; ``category`` is the first category (the store keeps one)."""
        for seq, el in enumerate(self.el.iterfind("document-link")):
            self.add("documents", seq=seq, url=_attr(el, "url"), format=_attr(el, "format"),
                     title=self.name(el.find("title")), category=_first_code(el, "category"))


# ---------------------------------------------------------------- the batch

def parse_activities(paths: list[Path], codelists: dict[str, frozenset[str]],
                     schema_path: Path | None) -> ParsedBatch:
    """Parse IATI activity files into one :class:`ParsedBatch` (see the module docstring);
    ``schema_path`` None skips schema validation (the code checks still run)."""
    missing = [name for name in REQUIRED_LISTS if name not in codelists]
    if missing:
        raise InputError(f"The IATI code lists {', '.join(missing)} are missing; load both the "
                         "embedded and the non-embedded IATI code lists.")
    batch = ParsedBatch(files=[str(p) for p in paths])
    rows: dict[str, list[Row]] = {kind: [] for kind in FRAMES}
    firsts: dict[str, tuple[str, int, Content]] = {}
    for path in paths:
        tree = read_tree(path)
        invalid = _schema_errors(tree, path, schema_path) if schema_path else {}
        version = tree.getroot().get("version")
        for index, el in enumerate(tree.getroot().iterchildren("iati-activity")):
            if index in invalid:  # not built: the rows of a schema-invalid activity are moot
                batch.rejections += invalid[index]
                batch.activities_rejected += 1
                continue
            _keep(_Activity(el, path, version, codelists), firsts, batch, rows)
    batch.frames = {kind: pl.DataFrame(rows[kind], schema=schema, orient="row")
                    for kind, schema in FRAMES.items()}
    return batch


def _keep(act: _Activity, firsts: dict[str, tuple[str, int, Content]], batch: ParsedBatch,
          rows: dict[str, list[Row]]) -> None:
    """Add the rows of ``act``, or skip it as a duplicate, or reject it."""
    first = firsts.get(act.ident) if act.ident else None
    if first is not None and first[2] == act.content():
        batch.duplicates_identical += 1  # the same activity published in another file
        return
    if first is not None:
        batch.duplicates_conflicting += 1
        act.reject(act.el.find("iati-identifier"), "iati-identifier",
                   f"duplicate of {act.ident!r} at {first[0]}:{first[1]}, which differs; "
                   "the first one is kept")
    elif act.ident:
        firsts[act.ident] = (act.file, act.el.sourceline, act.content())
    if act.rejections:
        batch.rejections += act.rejections
        batch.activities_rejected += 1
        return
    for kind, kind_rows in act.rows.items():
        rows[kind] += kind_rows


def recipient_countries(batch: IatiBatch) -> pl.DataFrame:
    """Each activity's recipient countries, declared on the activity or on its transactions
    (US Government files use transactions only); ``level`` says which."""
    declared = batch.frames["countries"].select(
        "iati_identifier", "code", level=pl.lit("activity"))
    from_transactions = batch.frames["transactions"].filter(pl.col("country").is_not_null()) \
        .select("iati_identifier", code=pl.col("country"), level=pl.lit("transaction"))
    return pl.concat([declared, from_transactions]).unique(maintain_order=True)

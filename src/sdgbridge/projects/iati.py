"""Read IATI 2.0x activity files into the frames of :mod:`sdgbridge.projects.model`
(reading and validating the files themselves: :mod:`.iati_files`).

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

Results (``result`` with its indicators, references and periods) are read by
:mod:`.iati_results`, only for the activities that have any.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from sdgbridge.errors import InputError, Rejection
from sdgbridge.projects.iati_files import checked_trees, read_tree, validate_schema
from sdgbridge.projects.model import FRAMES, IatiBatch

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DATE_COLUMNS = {"1": "planned_start", "2": "actual_start", "3": "planned_end", "4": "actual_end"}
REQUIRED_LISTS = ("ActivityStatus", "TransactionType", "OrganisationRole", "OrganisationType",
                  "Country", "Region", "Sector", "Currency", "BudgetType", "BudgetStatus",
                  "ResultType", "IndicatorMeasure", "IndicatorVocabulary")
NOT_CONTENT = ("source_file", "line")
TRANSACTION_TYPES = (("flow_type", "flow-type"), ("finance_type", "finance-type"),
                     ("aid_type", "aid-type"))
REPEATED = frozenset(["sector", *(tag for _, tag in TRANSACTION_TYPES)])  # in a transaction
# xsd:decimal: no exponent, no NaN/inf, no "1_000" (which Python's float() would accept).
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
__all__ = ["ParsedBatch", "gc_paused", "parse_activities", "read_tree",
           "recipient_countries", "validate_schema"]
Row = dict[str, Any]
Rows = dict[str, list[Any]]  # the activity's row (a dict), then child rows (tuples) by kind
Content = tuple[Row, Rows]


@dataclass
class ParsedBatch(IatiBatch):
    """An :class:`IatiBatch` plus what happened to duplicates and rejected activities."""

    duplicates_identical: int = 0  # later copies of an identifier, same content: skipped
    duplicates_conflicting: int = 0  # later copies with different content: rejected
    activities_rejected: int = 0  # one activity may have several rejections
    file_sha256: dict[str, str] = field(default_factory=dict)  # of the files as read
    # The rows the frames were built from (tuples in FRAMES order; activities as dicts):
    # the store inserts these directly when it writes every row of a kind.
    rows: dict[str, list[Any]] = field(default_factory=dict, repr=False)


def _attr(el: etree._Element | None, name: str) -> str | None:
    """The stripped attribute, or None when the element or the value is missing or empty."""
    value = None if el is None else el.get(name)
    return (value.strip() or None) if value is not None else None


def _text(el: etree._Element | None) -> str | None:
    return (el.text.strip() or None) if el is not None and el.text else None


# ---------------------------------------------------------------- one activity

def _children(el: etree._Element) -> dict[Any, list[etree._Element]]:
    """The child elements of ``el`` by tag, in document order: one pass in C over the
    children instead of one ElementPath search per field (the import's hot path)."""
    out: dict[Any, list[etree._Element]] = {}
    for child in el:
        if child.tag in out:
            out[child.tag].append(child)
        else:
            out[child.tag] = [child]
    return out


def _first(kids: dict[Any, list[etree._Element]], tag: str) -> etree._Element | None:
    found = kids.get(tag)
    return found[0] if found else None


def _first_code(elements: list[etree._Element] | None) -> str | None:
    """The code of the first of ``elements`` in vocabulary 1 (the OECD-DAC list)."""
    for el in elements or ():
        if (_attr(el, "vocabulary") or "1") == "1":
            return _attr(el, "code")
    return None


class _Activity:
    """The rows and the rejections of one ``iati-activity`` element."""

    def __init__(self, el: etree._Element, path: Path, version: str | None,
                 codelists: dict[str, frozenset[str]]) -> None:
        self.el, self.file, self.codelists = el, str(path), codelists
        self.kids = _children(el)
        self.lang = _attr(el, XML_LANG)
        self.default_lang = (self.lang or "und").lower().split("-")[0]
        self.ident = _text(_first(self.kids, "iati-identifier"))
        self.currency = _attr(el, "default-currency")
        self.rejections: list[Rejection] = []
        self.rows: Rows = {kind: [] for kind in FRAMES}
        if self.ident is None:
            self.reject(el, "iati-identifier", "missing: every activity needs one")
        self.code(el, "@default-currency", "Currency", self.currency)
        self.rows["activities"].append(self._activity_row(version))
        # Flow, finance and aid type of the activity: the default of every transaction.
        self.defaults = {column: _first_code(self.kids.get(f"default-{tag}"))
                         for column, tag in TRANSACTION_TYPES}
        for build in (self._participants, self._geography_sectors_tags, self._transactions,
                      self._budgets, self._documents):
            build()
        if "result" in self.kids:  # rare (none in the shared files): read only when there
            from sdgbridge.projects.iati_results import add_results  # it imports this module

            add_results(self)

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

    def add(self, kind: str, *values: Any) -> None:
        """A row of a child frame: its values in the order of :data:`FRAMES` (after the
        identifier); tuples, not dicts, on the import's hot path."""
        self.rows[kind].append((self.ident, *values))

    def texts(self, elements: list[etree._Element] | None, sep: str = "\n") -> dict[str, str]:
        """Narrative texts by language: the narrative's ``xml:lang``, else the activity's
        (the IATI default), else ``und``; several in one language are joined by ``sep``."""
        out: dict[str, str] = {}
        for parent in elements or ():
            for narrative in parent:
                text = narrative.text
                if narrative.tag != "narrative" or not text or not (text := text.strip()):
                    continue
                own = narrative.get(XML_LANG)
                lang = own.strip().lower().split("-")[0] if own and own.strip() \
                    else self.default_lang
                out[lang] = f"{out[lang]}{sep}{text}" if lang in out else text
        return out

    def name(self, el: etree._Element | None) -> str | None:
        """The English narrative of ``el``, else its first one."""
        if el is None:
            return None
        if len(el) == 1 and el[0].tag == "narrative":  # the common case: one narrative
            text = el[0].text
            return (text.strip() or None) if text else None
        texts = self.texts([el])
        return texts.get("en") or next(iter(texts.values()), None)

    def _activity_row(self, version: str | None) -> Row:
        el, kids = self.el, self.kids
        org = _first(kids, "reporting-org")
        titles = self.texts(kids.get("title"))
        descriptions = self.texts(kids.get("description"), "\n\n")
        status_el = _first(kids, "activity-status")
        status = _attr(status_el, "code")
        self.code(status_el, "activity-status", "ActivityStatus", status)
        self.code(org, "reporting-org/@type", "OrganisationType", _attr(org, "type"))
        dates = {DATE_COLUMNS[d.get("type")]: _attr(d, "iso-date")  # the first of each type
                 for d in reversed(kids.get("activity-date", ()))
                 if d.get("type") in DATE_COLUMNS}
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
        for seq, org in enumerate(self.kids.get("participating-org", ())):
            field = f"participating-org[{seq + 1}]"
            role, kind = _attr(org, "role"), _attr(org, "type")
            self.code(org, f"{field}/@role", "OrganisationRole", role)
            self.code(org, f"{field}/@type", "OrganisationType", kind)
            self.add("participants", seq, role, _attr(org, "ref"), kind, self.name(org))

    def _shares(self, tag: str, kind: str, codelist: str) -> None:
        """Activity-level countries, regions or sectors (rare in US Government files) with
        their percentages; codes are checked in vocabulary 1, the one with a code list."""
        for i, el in enumerate(self.kids.get(tag, ())):
            field, code = f"{tag}[{i + 1}]", _attr(el, "code")
            vocabulary = _attr(el, "vocabulary") or "1"  # countries have none: always checked
            if vocabulary == "1":
                self.code(el, field, codelist, code)
            share = self.number(el, f"{field}/@percentage", _attr(el, "percentage"))
            if kind == "countries":
                self.add(kind, code, share)
            elif kind == "regions":
                self.add(kind, code, vocabulary, share)
            else:
                self.add(kind, vocabulary, code, share)

    def _geography_sectors_tags(self) -> None:
        self._shares("recipient-country", "countries", "Country")
        self._shares("recipient-region", "regions", "Region")
        self._shares("sector", "sectors", "Sector")
        for el in self.kids.get("tag", ()):
            self.add("tags", _attr(el, "vocabulary") or "1", _attr(el, "code"))

    def _transactions(self) -> None:
        for seq, tr in enumerate(self.kids.get("transaction", ())):
            self._transaction(seq, tr)

    def _transaction(self, seq: int, tr: etree._Element) -> None:
        """One row of the transactions frame (the import's hottest path: one pass over the
        transaction's children, no dicts)."""
        field, first = f"transaction[{seq + 1}]", {}
        many: dict[str, list[etree._Element]] = {}  # of the tags in REPEATED
        for child in tr:
            tag = child.tag
            if tag in REPEATED:
                if tag in many:
                    many[tag].append(child)
                else:
                    many[tag] = [child]
            elif tag not in first:
                first[tag] = child
        type_el, value = first.get("transaction-type"), first.get("value")
        kind = _attr(type_el, "code")
        self.code(type_el, f"{field}/transaction-type", "TransactionType", kind)
        provider, receiver = first.get("provider-org"), first.get("receiver-org")
        self.code(provider, f"{field}/provider-org/@type", "OrganisationType",
                  _attr(provider, "type"))
        self.code(receiver, f"{field}/receiver-org/@type", "OrganisationType",
                  _attr(receiver, "type"))
        self.add("transactions", seq, kind, _attr(first.get("transaction-date"), "iso-date"),
                 self.number(value, f"{field}/value", _text(value)),
                 self._currency(value, f"{field}/value/@currency"), _attr(value, "value-date"),
                 _attr(provider, "ref"), self.name(provider),
                 _attr(receiver, "ref"), self.name(receiver),
                 self.name(first.get("description")),
                 *self._transaction_place(first, field),
                 *self._transaction_sectors(many.get("sector", ()), field),
                 *[_first_code(many.get(tag)) or self.defaults[column]
                   for column, tag in TRANSACTION_TYPES])

    def _currency(self, value: etree._Element | None, field: str) -> str | None:
        """The value's own currency, else the activity's ``default-currency``."""
        currency = _attr(value, "currency")
        self.code(value, field, "Currency", currency)
        return currency or self.currency

    def _transaction_place(self, first: dict[str, etree._Element],
                           field: str) -> tuple[str | None, str | None]:
        """The transaction's country and region (IATI allows one of each at most). A region
        in another vocabulary than DAC (1) is stored as ``vocabulary:code``."""
        country_el, region_el = first.get("recipient-country"), first.get("recipient-region")
        country, region = _attr(country_el, "code"), _attr(region_el, "code")
        self.code(country_el, f"{field}/recipient-country", "Country", country)
        vocabulary = _attr(region_el, "vocabulary") or "1"
        if vocabulary == "1":
            self.code(region_el, f"{field}/recipient-region", "Region", region)
        elif region is not None:
            region = f"{vocabulary}:{region}"
        return country, region

    def _transaction_sectors(self, sectors: Sequence[etree._Element],
                             field: str) -> tuple[str | None, str | None, str | None]:
        """The DAC sector (vocabulary 1) and the first sector of any other vocabulary (US
        files add vocabulary 99, their own codes; a few also add 10, humanitarian clusters,
        which is not kept: the frame holds one other sector)."""
        dac = other = other_vocabulary = None
        for i, el in enumerate(sectors):
            code, vocabulary = _attr(el, "code"), _attr(el, "vocabulary") or "1"
            if vocabulary == "1" and dac is None:
                self.code(el, f"{field}/sector[{i + 1}]", "Sector", code)
                dac = code
            elif vocabulary != "1" and other is None:
                other, other_vocabulary = code, vocabulary
        return dac, other, other_vocabulary

    def _budgets(self) -> None:
        for seq, el in enumerate(self.kids.get("budget", ())):
            field, kids = f"budget[{seq + 1}]", _children(el)
            value = _first(kids, "value")
            kind, status = _attr(el, "type"), _attr(el, "status")
            self.code(el, f"{field}/@type", "BudgetType", kind)
            self.code(el, f"{field}/@status", "BudgetStatus", status)
            self.add("budgets", seq, kind, status,
                     _attr(_first(kids, "period-start"), "iso-date"),
                     _attr(_first(kids, "period-end"), "iso-date"),
                     self.number(value, f"{field}/value", _text(value)),
                     self._currency(value, f"{field}/value/@currency"),
                     _attr(value, "value-date"))

    def _documents(self) -> None:
        """Document links; ``category`` is the first category (the store keeps one)."""
        for seq, el in enumerate(self.kids.get("document-link", ())):
            kids = _children(el)
            self.add("documents", seq, _attr(el, "url"), _attr(el, "format"),
                     self.name(_first(kids, "title")), _first_code(kids.get("category")))


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
    rows: Rows = {kind: [] for kind in FRAMES}
    firsts: dict[str, tuple[str, int, Rows]] = {}
    with gc_paused():
        _parse_into(paths, codelists, schema_path, batch, rows, firsts)
    batch.frames = {kind: _frame(rows[kind], schema) for kind, schema in FRAMES.items()}
    batch.rows = rows
    return batch


def _frame(rows: list[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows (dicts for activities, else tuples) into a frame, built column by column (a
    third faster than Polars' row-wise construction)."""
    if not rows:
        return pl.DataFrame(schema=schema)
    if isinstance(rows[0], dict):
        return pl.DataFrame({c: [row[c] for row in rows] for c in schema}, schema=schema)
    return pl.DataFrame(dict(zip(schema, map(list, zip(*rows, strict=True)), strict=True)),
                        schema=schema)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector off while rows are built and stored: the import makes about
    a million short-lived, acyclic objects (element proxies, strings, row tuples), and the
    collector's repeated passes over them cost a tenth of the parse, and a full pass when
    the rows are handed to the database another 0.07 s. Restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse_into(paths: list[Path], codelists: dict[str, frozenset[str]],
                schema_path: Path | None, batch: ParsedBatch, rows: Rows,
                firsts: dict[str, tuple[str, int, Rows]]) -> None:
    for path, tree, invalid, sha256 in checked_trees(paths, schema_path):
        batch.file_sha256[str(path)] = sha256
        version = tree.getroot().get("version")
        for index, el in enumerate(tree.getroot().iterchildren("iati-activity")):
            if index in invalid:  # not built: the rows of a schema-invalid activity are moot
                batch.rejections += invalid[index]
                batch.activities_rejected += 1
                continue
            _keep(_Activity(el, path, version, codelists), firsts, batch, rows)


def _content(rows: Rows) -> Content:
    """Everything but where it was read from: equal content = the same activity."""
    row = {k: v for k, v in rows["activities"][0].items() if k not in NOT_CONTENT}
    return row, {k: v for k, v in rows.items() if k != "activities"}


def _keep(act: _Activity, firsts: dict[str, tuple[str, int, Rows]],
          batch: ParsedBatch, rows: Rows) -> None:
    """Add the rows of ``act``, or skip it as a duplicate, or reject it. The content of the
    first copy of an identifier is only compared when a second copy turns up."""
    first = firsts.get(act.ident) if act.ident else None
    if first is not None and _content(first[2]) == _content(act.rows):
        batch.duplicates_identical += 1  # the same activity published in another file
        return
    if first is not None:
        batch.duplicates_conflicting += 1
        ident_el = _first(act.kids, "iati-identifier")
        act.reject(act.el if ident_el is None else ident_el, "iati-identifier",
                   f"duplicate of {act.ident!r} at {first[0]}:{first[1]}, which differs; "
                   "the first one is kept")
    elif act.ident:
        firsts[act.ident] = (act.file, act.el.sourceline, act.rows)
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

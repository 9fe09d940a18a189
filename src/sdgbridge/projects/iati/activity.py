"""One ``iati-activity`` element into rows of the frames of :mod:`sdgbridge.projects.model`
(the files and the batch: :mod:`.parse`, whose docstring lists the quirks of real files
handled here; results: :mod:`.results`; reading elements: :mod:`.elements`).

:class:`Activity` reads the activity's children in one pass, builds one tuple per child row
in the column order of :data:`~sdgbridge.projects.model.FRAMES`, and checks codes against
the code lists; every problem becomes a Rejection naming the file, line and field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from sdgbridge.errors import Rejection
from sdgbridge.projects.iati.elements import (
    XML_LANG,
    attr,
    children_by_tag,
    first_child,
    text_of,
)
from sdgbridge.projects.iati.results import add_results
from sdgbridge.projects.model import FRAMES

DATE_COLUMNS = {"1": "planned_start", "2": "actual_start", "3": "planned_end", "4": "actual_end"}
TRANSACTION_TYPES = (("flow_type", "flow-type"), ("finance_type", "finance-type"),
                     ("aid_type", "aid-type"))
REPEATED = frozenset(["sector", *(tag for _, tag in TRANSACTION_TYPES)])  # in a transaction
# xsd:decimal: no exponent, no NaN/inf, no "1_000" (which Python's float() would accept).
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
Row = dict[str, Any]
Rows = dict[str, list[Any]]  # the activity's row (a dict), then child rows (tuples) by kind


def _first_code(elements: list[etree._Element] | None) -> str | None:
    """The code of the first of ``elements`` in vocabulary 1 (the OECD-DAC list)."""
    for el in elements or ():
        if (attr(el, "vocabulary") or "1") == "1":
            return attr(el, "code")
    return None


class Activity:
    """The rows and the rejections of one ``iati-activity`` element."""

    def __init__(self, el: etree._Element, path: Path, version: str | None,
                 codelists: dict[str, frozenset[str]]) -> None:
        self.el, self.file, self.codelists = el, str(path), codelists
        self.kids = children_by_tag(el)
        self.lang = attr(el, XML_LANG)
        self.default_lang = (self.lang or "und").lower().split("-")[0]
        self.ident = text_of(first_child(self.kids, "iati-identifier"))
        self.currency = attr(el, "default-currency")
        self.rejections: list[Rejection] = []
        self.rows: Rows = {kind: [] for kind in FRAMES}
        if self.ident is None:
            self.reject(el, "iati-identifier", "missing: every activity needs one")
        self.code(el, "@default-currency", "Currency", self.currency)
        self.rows["activities"].append(self._activity_row(version))
        # Flow, finance and aid type of the activity: the default of every transaction.
        self.defaults = {column: _first_code(self.kids.get(f"default-{tag}"))
                         for column, tag in TRANSACTION_TYPES}
        self.default_types = tuple(self.defaults.values())  # in TRANSACTION_TYPES order
        for build in (self._participants, self._geography_sectors_tags, self._transactions,
                      self._budgets, self._documents):
            build()
        if "result" in self.kids:  # rare (none in the shared files): read only when there
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

    def amount(self, seq: int, value: etree._Element | None) -> float | None:
        """The text of a transaction's ``value`` as a number (:meth:`number`, its field
        name made only for a rejection)."""
        if value is None or not (text := value.text) or not (text := text.strip()):
            return None
        if _DECIMAL.fullmatch(text):
            return float(text)
        return self.number(value, f"transaction[{seq + 1}]/value", text)

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
        org = first_child(kids, "reporting-org")
        titles = self.texts(kids.get("title"))
        descriptions = self.texts(kids.get("description"), "\n\n")
        status_el = first_child(kids, "activity-status")
        status = attr(status_el, "code")
        self.code(status_el, "activity-status", "ActivityStatus", status)
        self.code(org, "reporting-org/@type", "OrganisationType", attr(org, "type"))
        dates = {DATE_COLUMNS[d.get("type")]: attr(d, "iso-date")  # the first of each type
                 for d in reversed(kids.get("activity-date", ()))
                 if d.get("type") in DATE_COLUMNS}
        others = [f"[{lang}] {text}" for lang, text in titles.items() if lang not in ("en", "ru")]
        return {"iati_identifier": self.ident, "reporting_org_ref": attr(org, "ref"),
                "reporting_org_name": self.name(org), "reporting_org_type": attr(org, "type"),
                "title_en": titles.get("en"), "title_ru": titles.get("ru"),
                "title_other": "\n".join(others) or None,
                "description_en": descriptions.get("en"), "description_ru": descriptions.get("ru"),
                "status": status, "default_currency": self.currency, "default_lang": self.lang,
                **{column: dates.get(column) for column in DATE_COLUMNS.values()},
                "hierarchy": attr(el, "hierarchy"),
                "last_updated": attr(el, "last-updated-datetime"), "iati_version": version,
                "source_file": self.file, "line": el.sourceline}

    def _participants(self) -> None:
        roles, kinds = self.codelists["OrganisationRole"], self.codelists["OrganisationType"]
        for seq, org in enumerate(self.kids.get("participating-org", ())):
            role, kind = attr(org, "role"), attr(org, "type")
            if role is not None and role not in roles:  # field names only for a rejection
                self.code(org, f"participating-org[{seq + 1}]/@role", "OrganisationRole", role)
            if kind is not None and kind not in kinds:
                self.code(org, f"participating-org[{seq + 1}]/@type", "OrganisationType", kind)
            self.add("participants", seq, role, attr(org, "ref"), kind, self.name(org))

    def _shares(self, tag: str, kind: str, codelist: str) -> None:
        """Activity-level countries, regions or sectors (rare in US Government files) with
        their percentages; codes are checked in vocabulary 1, the one with a code list."""
        for i, el in enumerate(self.kids.get(tag, ())):
            field, code = f"{tag}[{i + 1}]", attr(el, "code")
            vocabulary = attr(el, "vocabulary") or "1"  # countries have none: always checked
            if vocabulary == "1":
                self.code(el, field, codelist, code)
            share = self.number(el, f"{field}/@percentage", attr(el, "percentage"))
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
            self.add("tags", attr(el, "vocabulary") or "1", attr(el, "code"))

    def _transactions(self) -> None:
        for seq, tr in enumerate(self.kids.get("transaction", ())):
            self._transaction(seq, tr)

    def _transaction(self, seq: int, tr: etree._Element) -> None:
        """One row of the transactions frame (the import's hottest path: one pass over the
        transaction's children, each code checked as it is read, field names made only for a
        rejection, the activity's default types taken whole when the transaction has none)."""
        first: dict[Any, etree._Element] = {}
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
        get = first.get
        value, provider, receiver = get("value"), get("provider-org"), get("receiver-org")
        kind, currency = self._checked(seq, get("transaction-type"), "transaction-type",
                                       "TransactionType", "code"), None
        provider_row = self._party(seq, provider, "provider-org")
        receiver_row = self._party(seq, receiver, "receiver-org")
        if value is not None:
            currency = self._checked(seq, value, "value/@currency", "Currency", "currency")
        country, region = self._transaction_place(seq, first)
        sectors = self._transaction_sectors(seq, many.get("sector", ()))
        no_types = len(many) == ("sector" in many)  # no flow, finance or aid type of its own
        types = self.default_types if no_types else \
            [_first_code(many[tag]) if tag in many else self.defaults[column]
             for column, tag in TRANSACTION_TYPES]
        self.add("transactions", seq, kind, attr(get("transaction-date"), "iso-date"),
                 self.amount(seq, value), currency or self.currency, attr(value, "value-date"),
                 *provider_row, *receiver_row, self.name(get("description")), country, region,
                 *sectors, *types)

    def _checked(self, seq: int, el: etree._Element | None, where: str, codelist: str,
                 name: str) -> str | None:
        """The attribute ``name`` of ``el`` (see :func:`attr`), rejected as ``where`` in
        transaction ``seq`` when it is not in ``codelist`` (absent ones are the schema's)."""
        if el is None or not (code := el.get(name)) or not (code := code.strip()):
            return None
        if code not in self.codelists[codelist]:
            self.reject(el, f"transaction[{seq + 1}]/{where}", f"unknown {codelist} code {code!r}")
        return code

    def _party(self, seq: int, org: etree._Element | None,
               tag: str) -> tuple[str | None, str | None]:
        """The ref and name of a transaction's provider or receiver, its type checked."""
        if org is None:
            return None, None
        self._checked(seq, org, f"{tag}/@type", "OrganisationType", "type")
        return attr(org, "ref"), self.name(org)

    def _currency(self, value: etree._Element | None, field: str) -> str | None:
        """The value's own currency, else the activity's ``default-currency``."""
        currency = attr(value, "currency")
        self.code(value, field, "Currency", currency)
        return currency or self.currency

    def _transaction_place(self, seq: int, first: dict[Any, etree._Element]
                           ) -> tuple[str | None, str | None]:
        """The transaction's country and region (IATI allows one of each at most), checked. A
        region in another vocabulary than DAC (1) is stored as ``vocabulary:code`` and not
        checked."""
        country = self._checked(seq, first.get("recipient-country"), "recipient-country",
                                "Country", "code")
        region_el = first.get("recipient-region")
        if region_el is None:
            return country, None
        vocabulary = attr(region_el, "vocabulary")
        if vocabulary is None or vocabulary == "1":
            return country, self._checked(seq, region_el, "recipient-region", "Region", "code")
        region = attr(region_el, "code")
        return country, None if region is None else f"{vocabulary}:{region}"

    def _transaction_sectors(self, seq: int, sectors: Sequence[etree._Element]
                             ) -> tuple[str | None, str | None, str | None]:
        """The DAC sector (vocabulary 1, its code checked) and the first sector of any other
        vocabulary (US files add vocabulary 99, their own codes; a few also add 10,
        humanitarian clusters, which is not kept: the frame holds one other sector)."""
        dac = other = other_vocabulary = None
        for i, el in enumerate(sectors):
            vocabulary = attr(el, "vocabulary") or "1"
            if vocabulary == "1" and dac is None:  # a DAC sector without code: the next one
                dac = attr(el, "code")
                if dac is not None and dac not in self.codelists["Sector"]:
                    self.reject(el, f"transaction[{seq + 1}]/sector[{i + 1}]",
                                f"unknown Sector code {dac!r}")
            elif vocabulary != "1" and other is None:
                other, other_vocabulary = attr(el, "code"), vocabulary
        return dac, other, other_vocabulary

    def _budgets(self) -> None:
        for seq, el in enumerate(self.kids.get("budget", ())):
            field, kids = f"budget[{seq + 1}]", children_by_tag(el)
            value = first_child(kids, "value")
            kind, status = attr(el, "type"), attr(el, "status")
            self.code(el, f"{field}/@type", "BudgetType", kind)
            self.code(el, f"{field}/@status", "BudgetStatus", status)
            self.add("budgets", seq, kind, status,
                     attr(first_child(kids, "period-start"), "iso-date"),
                     attr(first_child(kids, "period-end"), "iso-date"),
                     self.number(value, f"{field}/value", text_of(value)),
                     self._currency(value, f"{field}/value/@currency"),
                     attr(value, "value-date"))

    def _documents(self) -> None:
        """Document links; ``category`` is the first category (the store keeps one)."""
        for seq, el in enumerate(self.kids.get("document-link", ())):
            kids = children_by_tag(el)
            self.add("documents", seq, attr(el, "url"), attr(el, "format"),
                     self.name(first_child(kids, "title")), _first_code(kids.get("category")))

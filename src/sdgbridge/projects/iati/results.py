"""The ``result`` elements of an IATI activity into the result frames of
:mod:`sdgbridge.projects.model` (called by :class:`.activity.Activity` only for an activity
that has results, so files without any pay nothing for them).

What is kept, per IATI 2.03 (``result`` → ``indicator`` → ``reference``, ``baseline``,
``period`` → ``target``, ``actual``):

* result: ``@type`` (ResultType code list), ``@aggregation-status``, title, description;
* indicator: ``@measure`` (IndicatorMeasure), ``@ascending``, ``@aggregation-status``, title,
  description, the first ``baseline`` (``@year``, ``@iso-date``, ``@value``) and every
  ``reference`` (``@vocabulary`` in IndicatorVocabulary, ``@code``, ``@indicator-uri``);
* period: start and end dates, the first ``target/@value`` and ``actual/@value``.

Titles and descriptions are one text each (the English narrative, else the first, as for
organisation names). Values stay text: the schema types them ``xsd:string`` and a
qualitative indicator (measure 5) has words there. Not kept: result-level references,
document links, further baselines, targets or actuals (by location or dimension), and
their comments, dimensions and locations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from lxml import etree

from sdgbridge.projects.iati.elements import attr, children_by_tag, first_child


class Activity(Protocol):
    """What this module needs of the activity being read (:class:`.activity.Activity`, which
    calls it: described here, so the two modules do not import each other)."""

    @property
    def kids(self) -> Mapping[str, Sequence[etree._Element]]: ...

    def reject(self, el: etree._Element, field: str, message: str) -> None: ...

    def code(self, el: etree._Element | None, field: str, codelist: str,
             code: str | None) -> None: ...

    def add(self, kind: str, *values: Any) -> None: ...

    def name(self, el: etree._Element | None) -> str | None: ...

_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}  # xsd:boolean


def _boolean(act: Activity, el: etree._Element, field: str, name: str) -> bool | None:
    text = attr(el, name)
    if text is None:
        return None
    if text in _BOOLEAN:
        return _BOOLEAN[text]
    act.reject(el, f"{field}/@{name}", f"not a boolean (true, false, 1 or 0): {text!r}")
    return None


def add_results(act: Activity) -> None:
    """Add the rows of every ``result`` of ``act`` to its
    frames; unknown codes and malformed values become rejections of the activity."""
    for rseq, res in enumerate(act.kids.get("result", ())):
        field, kids = f"result[{rseq + 1}]", children_by_tag(res)
        kind = attr(res, "type")
        act.code(res, f"{field}/@type", "ResultType", kind)
        act.add("results", rseq, kind, _boolean(act, res, field, "aggregation-status"),
                act.name(first_child(kids, "title")), act.name(first_child(kids, "description")))
        for iseq, ind in enumerate(kids.get("indicator", ())):
            _indicator(act, rseq, iseq, ind, f"{field}/indicator[{iseq + 1}]")


def _indicator(act: Activity, rseq: int, iseq: int, ind: etree._Element, field: str) -> None:
    kids = children_by_tag(ind)
    measure = attr(ind, "measure")
    act.code(ind, f"{field}/@measure", "IndicatorMeasure", measure)
    baseline = first_child(kids, "baseline")
    act.add("indicators", rseq, iseq, measure, _boolean(act, ind, field, "ascending"),
            _boolean(act, ind, field, "aggregation-status"), act.name(first_child(kids, "title")),
            act.name(first_child(kids, "description")),
            _year(act, baseline, f"{field}/baseline[1]/@year"),
            attr(baseline, "iso-date"), attr(baseline, "value"))
    for seq, ref in enumerate(kids.get("reference", ())):
        vocabulary = attr(ref, "vocabulary")
        act.code(ref, f"{field}/reference[{seq + 1}]/@vocabulary", "IndicatorVocabulary",
                 vocabulary)
        act.add("indicator_refs", rseq, iseq, seq, vocabulary, attr(ref, "code"),
                attr(ref, "indicator-uri"))
    for seq, period in enumerate(kids.get("period", ())):
        parts = children_by_tag(period)
        act.add("periods", rseq, iseq, seq,
                attr(first_child(parts, "period-start"), "iso-date"),
                attr(first_child(parts, "period-end"), "iso-date"),
                attr(first_child(parts, "target"), "value"),
                attr(first_child(parts, "actual"), "value"))


def _year(act: Activity, baseline: etree._Element | None, field: str) -> int | None:
    text = attr(baseline, "year")
    if baseline is None or text is None:
        return None
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    act.reject(baseline, field, f"not a year (a positive whole number): {text!r}")
    return None

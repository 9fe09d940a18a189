"""Real publishers' files judged by severity: an error in an optional part drops the part and
keeps the activity; a critical one refuses it; ``strict`` refuses for any schema error.

The D-Portal files of 48 publishers (``shared/data/iati/dportal``: 508 activities, 51 of them
breaking the 2.0x schema, see its README) are the real case; a copy of one activity with a
planted error is the small one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from lxml import etree
from sqlalchemy import Engine, select

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import IngestRejected, Rejection
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.parse import ParsedBatch, parse_activities
from sdgbridge.projects.iati.severity import is_critical, rule_of, triage
from sdgbridge.projects.imports import coverage, import_detail, list_imports
from sdgbridge.projects.service import import_files
from tests.helpers import SHARED

pytestmark = pytest.mark.shared_data

IATI = SHARED / "iati"
SCHEMA = IATI / "schema" / "iati-activities-schema.xsd"
DPORTAL = IATI / "dportal"
WHO = DPORTAL / "XM-DAC-928" / "XM-DAC-928_KZ-KG-TJ-TM-UZ-AF_v2.03.xml"


@pytest.fixture(scope="module")
def codelists() -> dict[str, frozenset[str]]:
    return load_codelists(IATI / "codelists")


@pytest.fixture(scope="module")
def lenient(codelists: dict[str, frozenset[str]]) -> ParsedBatch:
    return parse_activities(sorted(DPORTAL.rglob("*.xml")), codelists, SCHEMA)


@pytest.mark.parametrize(("field", "critical"), [
    ("iati-identifier", True), ("reporting-org", True), ("reporting-org/narrative", True),
    ("", True), ("transaction[3]", True), ("transaction[2]/value", True),
    ("transaction/transaction-date", True), ("transaction[2]/sector", False),
    ("location[4]/point", False), ("country-budget-items/budget-item[2]", False),
    ("activity-date[3]", False), ("budget[1]/value", False), ("result/indicator", False)])
def test_what_is_critical(field: str, critical: bool) -> None:
    assert is_critical(field) is critical


def test_a_rule_is_the_same_wherever_it_is_broken() -> None:
    message = "schema: Element 'point': The attribute 'srsName' is required but missing."
    assert rule_of("location[3]/point", message) == rule_of("location/point", message) == (
        "location/point: The attribute 'srsName' is required but missing.")


ACTIVITY = """<iati-activity><iati-identifier>XM-1</iati-identifier>
<reporting-org ref="XM-1"/><location><point><pos>1 2</pos></point></location>
<location><point srsName="x"><pos>3 4</pos></point></location></iati-activity>"""


def test_triage_drops_the_part_and_keeps_the_rest() -> None:
    el = etree.fromstring(ACTIVITY)
    error = Rejection("f.xml", 2, "location[1]/point", "schema: Element 'point': The "
                      "attribute 'srsName' is required but missing.")
    critical, dropped = triage(el, [error])
    assert critical == []
    assert [(d.iati_identifier, d.reporting_org, d.field, d.line) for d in dropped] == [
        ("XM-1", "XM-1", "location[1]/point", 2)]
    assert [loc.find("point") is None for loc in el.iter("location")] == [True, False]


@pytest.mark.parametrize("other", [Rejection("f.xml", 1, "reporting-org", "schema: y"),
                                   Rejection("f.xml", 1, "location[9]/point", "schema: z")])
def test_a_critical_error_or_a_part_not_found_refuses_and_removes_nothing(
        other: Rejection) -> None:
    el = etree.fromstring(ACTIVITY)
    optional = Rejection("f.xml", 2, "location[1]/point", "schema: x")
    critical, dropped = triage(el, [optional, other])
    assert dropped == []
    assert critical == [other]
    assert len(el.findall("location/point")) == 2


def test_the_dportal_files_keep_every_activity_and_list_what_was_dropped(
        lenient: ParsedBatch) -> None:
    assert lenient.frames["activities"].height == 508
    assert (lenient.activities_rejected, lenient.rejections) == (0, [])
    assert len(lenient.dropped) == 158
    assert len({d.iati_identifier for d in lenient.dropped}) == 51  # the README's count
    by_rule = Counter((d.reporting_org, d.rule) for d in lenient.dropped)
    assert by_rule[("XM-DAC-928", "transaction/sector: The attribute 'code' is required but "
                    "missing.")] == 78
    assert by_rule[("XM-DAC-928", "location/point: The attribute 'srsName' is required but "
                    "missing.")] == 7
    # What was dropped is not in the rows: no sector without a code, no date without one.
    for kind, column in (("sectors", "code"), ("countries", "code")):
        assert lenient.frames[kind][column].null_count() == 0, kind
    who = lenient.frames["transactions"].filter(
        pl.col("iati_identifier").str.starts_with("XM-DAC-928"))
    assert who.height > 0  # the transactions whose sector was dropped are kept


def test_strict_mode_refuses_them(codelists: dict[str, frozenset[str]]) -> None:
    strict = parse_activities(sorted(DPORTAL.rglob("*.xml")), codelists, SCHEMA, strict=True)
    assert strict.activities_rejected == 51
    assert strict.frames["activities"].height == 508 - 51
    assert strict.dropped == []


def test_the_import_records_the_dropped_parts(engine: Engine, settings: Settings) -> None:
    with pytest.raises(IngestRejected, match="51|row"):
        import_files(engine, settings, [DPORTAL], strict=True)
    assert list_imports(engine).height == 0  # a refused import writes nothing
    report = import_files(engine, settings, [DPORTAL])
    assert (report.new, report.rejected, len(report.dropped)) == (508, 0, 158)
    detail = import_detail(engine, report.import_id or 0)
    assert detail["by_rule"]["parts"].sum() == 158
    assert len(detail["files"]) == 48
    assert detail["parts"]["file"].str.contains("/").sum() == 0  # names, not server paths
    row = list_imports(engine).row(0, named=True)
    assert (row["dropped"], row["activities_new"], row["files"]) == (158, 508, 48)
    with engine.connect() as conn:
        stored = conn.execute(select(t.iati_import_dropped.c.import_id).distinct()).all()
    assert stored == [(report.import_id,)]
    covered = coverage(engine)
    assert covered["publishers"].height == 48
    assert covered["activities"] == 508


def test_an_unknown_import_is_a_clear_404(engine: Engine) -> None:
    with pytest.raises(Exception, match="No IATI import 99. `sdgbridge projects imports`"):
        import_detail(engine, 99)


def test_the_who_file_alone(codelists: dict[str, frozenset[str]], tmp_path: Path) -> None:
    batch = parse_activities([WHO], codelists, SCHEMA)
    assert batch.activities_rejected == 0
    assert {d.reporting_org for d in batch.dropped} == {"XM-DAC-928"}

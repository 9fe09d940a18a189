"""IATI results: parsing, storing (both databases), the content digest, the 2.03 export round
trip, and the link of result indicators to SDG indicators and series.

None of the shared files has a ``result``: the specimen below is written here, and each test
checks that it is valid against the IATI 2.03 schema (the import validates it too).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from lxml import etree
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, insert, select

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import IngestRejected, NotFound
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.export import export_activities, stored_batch
from sdgbridge.projects.iati.files import validate_schema
from sdgbridge.projects.iati.parse import ParsedBatch, parse_activities
from sdgbridge.projects.queries import project_results
from sdgbridge.projects.results import SDG_INDICATOR_VOCABULARY, sdg_code
from sdgbridge.projects.service import import_files
from sdgbridge.projects.store import NOT_CONTENT
from tests.helpers import SHARED, count

pytestmark = pytest.mark.shared_data  # the IATI schema and code lists

IATI = SHARED / "iati"
SCHEMA = IATI / "schema" / "iati-activities-schema.xsd"
IDENT = "XM-DAC-41114-TJK-WATER"
RESULTS = """
  <result type="2" aggregation-status="1">
   <title><narrative>More rural households use safe water</narrative></title>
   <description><narrative>Outcome of the programme</narrative></description>
   <indicator measure="2" ascending="1">
    <title><narrative>Share of households with safe drinking water</narrative></title>
    <reference vocabulary="9" code="SDG 6.1.1" indicator-uri="https://unstats.un.org/sdgs"/>
    <reference vocabulary="99" code="W-1"/>
    <baseline year="2019" iso-date="2019-12-31" value="41.5"/>
    <period><period-start iso-date="2020-01-01"/><period-end iso-date="2020-12-31"/>
     <target value="50"/><actual value="48.2"/></period>
    <period><period-start iso-date="2021-01-01"/><period-end iso-date="2021-12-31"/>
     <target value="60"/></period>
   </indicator>
   <indicator measure="1">
    <title><narrative xml:lang="en">Proportion of population using safely managed drinking water
     services</narrative><narrative xml:lang="ru">Доля населения</narrative></title>
   </indicator>
  </result>
  <result type="1">
   <title><narrative>Disaster preparedness</narrative></title>
   <indicator measure="1" ascending="0" aggregation-status="0">
    <title><narrative>Village water committees formed</narrative></title>
    <period><period-start iso-date="2020-01-01"/><period-end iso-date="2022-12-31"/>
     <target value="12"/><actual value="9"/></period>
   </indicator>
   <indicator measure="1"><title><narrative>Deaths attributed to disasters</narrative></title>
    <reference vocabulary="9" code="11.5.1"/></indicator>
   <indicator measure="5"><title><narrative>Water plan adopted</narrative></title>
    <reference vocabulary="9" code="6.9.9"/><baseline year="2019" value="no plan"/></indicator>
  </result>"""


def specimen(results: str = RESULTS, ident: str = IDENT) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" generated-datetime="2025-01-31T00:00:00Z">
 <iati-activity last-updated-datetime="2025-01-31T00:00:00Z" xml:lang="en"
                default-currency="USD">
  <iati-identifier>{ident}</iati-identifier>
  <reporting-org ref="XM-DAC-41114" type="40"><narrative>UNDP</narrative></reporting-org>
  <title><narrative>Safe water for rural Tajikistan</narrative></title>
  <description><narrative>Water supply and sanitation in Khatlon.</narrative></description>
  <participating-org role="4" type="40" ref="XM-DAC-41114"><narrative>UNDP</narrative>
  </participating-org>
  <activity-status code="2"/>
  <activity-date type="1" iso-date="2020-01-01"/>
  <recipient-country code="TJ" percentage="100"/>
  <sector code="14030" percentage="100"/>{results}
 </iati-activity>
</iati-activities>
"""


def write(tmp_path: Path, text: str, name: str = "results.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert validate_schema(path, SCHEMA) == []  # the specimen is valid IATI 2.03
    return path


def line_of(text: str, needle: str) -> int:
    """The line (1-based) of the one occurrence of ``needle`` in ``text``."""
    assert text.count(needle) == 1
    return text[:text.index(needle)].count("\n") + 1


@pytest.fixture
def settings() -> Settings:
    return Settings(iati_schema=SCHEMA, iati_codelists=IATI / "codelists")


def parse(path: Path, schema: Path | None = SCHEMA) -> ParsedBatch:
    return parse_activities([path], load_codelists(IATI / "codelists"), schema)


def test_sdg_vocabulary_is_the_code_lists_own() -> None:
    root = etree.parse(str(IATI / "codelists" / "non-embedded" / "IndicatorVocabulary.xml"))
    names = {item.findtext("code"): item.findtext("name/narrative")
             for item in root.iterfind("codelist-items/codelist-item")}
    assert names[SDG_INDICATOR_VOCABULARY] == "UN Sustainable Development Goals (SDG) Indicators"
    assert [sdg_code(c) for c in ("SDG 6.A.1.", "06.1.01", "16.10.2", "3.2", "1.2.3.4", None)] \
        == ["6.a.1", "6.1.1", "16.10.2", None, None, None]


def test_results_are_parsed(tmp_path: Path) -> None:
    batch = parse(write(tmp_path, specimen()))
    assert batch.rejections == []
    f = {kind: batch.frames[kind].drop("iati_identifier") for kind in
         ("results", "indicators", "indicator_refs", "periods")}
    assert f["results"].rows() == [
        (0, "2", True, "More rural households use safe water", "Outcome of the programme"),
        (1, "1", None, "Disaster preparedness", None)]
    assert f["indicators"].rows() == [
        (0, 0, "2", True, None, "Share of households with safe drinking water", None, 2019,
         "2019-12-31", "41.5"),
        (0, 1, "1", None, None, "Proportion of population using safely managed drinking water"
         "\n     services", None, None, None, None),
        (1, 0, "1", False, False, "Village water committees formed", None, None, None, None),
        (1, 1, "1", None, None, "Deaths attributed to disasters", None, None, None, None),
        (1, 2, "5", None, None, "Water plan adopted", None, 2019, None, "no plan")]
    assert f["indicator_refs"].rows() == [
        (0, 0, 0, "9", "SDG 6.1.1", "https://unstats.un.org/sdgs"), (0, 0, 1, "99", "W-1", None),
        (1, 1, 0, "9", "11.5.1", None), (1, 2, 0, "9", "6.9.9", None)]
    assert f["periods"].rows() == [
        (0, 0, 0, "2020-01-01", "2020-12-31", "50", "48.2"),
        (0, 0, 1, "2021-01-01", "2021-12-31", "60", None),
        (1, 0, 0, "2020-01-01", "2022-12-31", "12", "9")]


def test_bad_codes_and_values_are_rejected(tmp_path: Path) -> None:
    bad = (RESULTS.replace('result type="1"', 'result type="7"', 1)
           .replace('measure="5"', 'measure="8"').replace('vocabulary="99"', 'vocabulary="42"'))
    text = specimen(bad)
    batch = parse(write(tmp_path, text))
    assert [(r.line, r.field, r.message) for r in batch.rejections] == [
        (line_of(text, 'vocabulary="42"'), "result[1]/indicator[1]/reference[2]/@vocabulary",
         "unknown IndicatorVocabulary code '42'"),
        (line_of(text, 'type="7"'), "result[2]/@type", "unknown ResultType code '7'"),
        (line_of(text, 'measure="8"'), "result[2]/indicator[3]/@measure",
         "unknown IndicatorMeasure code '8'")]
    # Without the schema, malformed booleans and years are caught by the parser itself.
    odd = RESULTS.replace('ascending="1"', 'ascending="yes"').replace('year="2019" iso',
                                                                      'year="MMXIX" iso')
    path = tmp_path / "odd.xml"
    path.write_text(specimen(odd), encoding="utf-8")
    assert [(r.field, r.message) for r in parse(path, schema=None).rejections] == [
        ("result[1]/indicator[1]/@ascending",
         "not a boolean (true, false, 1 or 0): 'yes'"),
        ("result[1]/indicator[1]/baseline[1]/@year",
         "not a year (a positive whole number): 'MMXIX'")]


def test_rejected_results_write_nothing(engine: Engine, settings: Settings,
                                        tmp_path: Path) -> None:
    path = write(tmp_path, specimen(RESULTS.replace('measure="5"', 'measure="8"')))
    with pytest.raises(IngestRejected, match="unknown IndicatorMeasure code '8'"):
        import_files(engine, settings, [path])
    assert count(engine, t.iati_activity) == count(engine, t.iati_result) == 0


def add_series(engine: Engine) -> None:
    """Two global series and a national one (left out of the links)."""
    with engine.begin() as conn:
        for code, publisher, national, indicator in (
                ("SH_H2O_SAFE", "UNSD", False, "6.1.1"), ("VC_DSR_MTMP", "UNSD", False, "1.5.1"),
                ("KG_H2O", "KG_NSC", True, "6.1.1")):
            sid = conn.execute(insert(t.series).values(
                code=code, publisher=publisher, national=national).returning(t.series.c.id)
            ).scalar_one()
            conn.execute(insert(t.series_indicator).values(series_id=sid, indicator=indicator))


def test_results_link_to_sdg_indicators_and_series(engine: Engine, settings: Settings,
                                                   tmp_path: Path) -> None:
    add_series(engine)
    import_files(engine, settings, [write(tmp_path, specimen())])
    df = project_results(engine)
    assert df.columns[:2] == ["iati_identifier", "result_seq"] and df.height == 6
    assert df.select("result_seq", "indicator_seq", "period_start", "target_value",
                     "actual_value", "sdg_indicator", "sdg_link", "similarity",
                     "series").rows() == [
        (0, 0, "2020-01-01", "50", "48.2", "6.1.1", "declared", None, "SH_H2O_SAFE"),
        (0, 0, "2021-01-01", "60", None, "6.1.1", "declared", None, "SH_H2O_SAFE"),
        (0, 1, None, None, None, "6.1.1", "inferred", 1.0, "SH_H2O_SAFE"),
        (1, 0, "2020-01-01", "12", "9", None, None, None, None),
        (1, 1, None, None, None, "11.5.1", "declared", None, "VC_DSR_MTMP"),
        (1, 2, None, None, None, "6.9.9", "declared-unknown", None, None)]
    # An inferred link needs the similarity asked for: "Village water committees formed"
    # is nearest some SDG title, far below 0.5, but above 0.01.
    loose = project_results(engine, [IDENT], min_similarity=0.01)
    linked = loose.filter(pl.col("result_seq") == 1, pl.col("indicator_seq") == 0)
    assert linked["sdg_link"].to_list() == ["inferred"]
    assert 0.01 <= linked["similarity"][0] < 0.5
    with pytest.raises(NotFound, match="No project 'XM-NONE'"):
        project_results(engine, ["XM-NONE"])


def test_a_changed_result_is_a_change(engine: Engine, settings: Settings,
                                      tmp_path: Path) -> None:
    first = import_files(engine, settings, [write(tmp_path, specimen())])
    again = import_files(engine, settings, [write(tmp_path, specimen())])
    assert (first.new, again.new, again.changed, again.unchanged) == (1, 0, 0, 1)
    changed = specimen(RESULTS.replace('<actual value="48.2"/>', '<actual value="49"/>'))
    report = import_files(engine, settings, [write(tmp_path, changed)])
    assert (report.changed, report.unchanged) == (1, 0)
    with engine.connect() as conn:
        actual = conn.execute(select(t.iati_result_period.c.actual_value).order_by(
            t.iati_result_period.c.result_seq, t.iati_result_period.c.seq)).scalars().all()
    assert actual == ["49", None, "9"]
    assert count(engine, t.iati_result_indicator) == 5  # replaced, not added


def test_results_export_and_round_trip(engine: Engine, settings: Settings,
                                       tmp_path: Path) -> None:
    import_files(engine, settings, [write(tmp_path, specimen())])
    stored = stored_batch(engine)
    out = export_activities(engine, tmp_path / "out.xml", schema_path=SCHEMA)
    assert validate_schema(out, SCHEMA) == []
    root = etree.parse(str(out)).getroot()
    assert len(root.findall("iati-activity/result")) == 2
    assert len(root.findall("iati-activity/result/indicator/period")) == 3
    again = parse(out)
    for kind, frame in stored.frames.items():
        assert_frame_equal(again.frames[kind].drop(*NOT_CONTENT, strict=False),
                           frame.drop(*NOT_CONTENT, strict=False), check_exact=True)
    report = import_files(engine, settings, [out])
    assert (report.new, report.changed, report.unchanged) == (0, 0, 1)

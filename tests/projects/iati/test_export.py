"""IATI export: stored frames equal the parsed ones, the file is valid IATI 2.03, and
import → export → import changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from lxml import etree
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, select, update

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound, SdgBridgeError
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.export import export_activities, stored_batch
from sdgbridge.projects.iati.files import validate_schema
from sdgbridge.projects.iati.parse import parse_activities
from sdgbridge.projects.model import IatiBatch
from sdgbridge.projects.service import import_files
from sdgbridge.projects.store import NOT_CONTENT, content_digests
from tests.helpers import SHARED, count

IATI = SHARED / "iati"
USG = IATI / "activities" / "usg" / "data"
SAMPLE = [USG / "dhs", USG / "doc"]
EXTRAS = [  # (text of dhs-kazakhstan.xml, replacement)
    ('<narrative xml:lang="en">International X-Ray Interdiction Training</narrative>',
     '<narrative xml:lang="en">International X-Ray Interdiction Training</narrative>'
     '<narrative xml:lang="fr-CA">Formation</narrative><narrative xml:lang="ru">Обучение'
     '</narrative><narrative xml:lang="fr">Suite</narrative><narrative xml:lang="de">Schulung'
     '</narrative>'),
    ('</description>', '<narrative xml:lang="ru">Описание</narrative></description>'),
    ('<collaboration-type', '<recipient-country code="KZ" percentage="87.5"/>'
     '<recipient-region code="619" percentage="12.5"/><sector code="33120" percentage="100"/>'
     '<sector vocabulary="99" code="26" percentage="0.0001"/><tag vocabulary="99" code="t 1"/>'
     '<tag vocabulary="1" code="x"/><collaboration-type'),
    ('<transaction ', '<budget type="1" status="2"><period-start iso-date="2012-01-01"/>'
     '<period-end iso-date="2012-12-31"/><value value-date="2012-01-01" currency="EUR">'
     '1000.50</value></budget><transaction '),
    ('<recipient-country code="KZ"/>', '<recipient-region code="X-1" vocabulary="99"/>'),
]


def stored_digests(engine: Engine) -> dict[str, str]:
    a = t.iati_activity.c
    with engine.connect() as conn:
        return dict(conn.execute(select(a.iati_identifier, a.content_sha256)).all())


def parse(path: Path, settings: Settings) -> IatiBatch:
    batch = parse_activities([path], load_codelists(settings.iati_codelists),
                             settings.iati_schema)
    assert batch.rejections == []
    return batch


def export(engine: Engine, path: Path, settings: Settings, ids: list[str] | None = None) -> Path:
    return export_activities(engine, path, ids, schema_path=settings.iati_schema)


def test_stored_batch_is_the_parsed_batch(engine: Engine, settings: Settings) -> None:
    import_files(engine, settings, SAMPLE)
    parsed = parse_activities([f for folder in SAMPLE for f in sorted(folder.rglob("*.xml"))],
                              load_codelists(settings.iati_codelists), settings.iati_schema)
    stored = stored_batch(engine)
    assert content_digests(stored) == stored_digests(engine) == content_digests(parsed)
    for kind, frame in parsed.frames.items():  # same rows, dtypes and order
        assert_frame_equal(stored.frames[kind], frame, check_exact=True)


def test_export_is_valid_and_round_trips(engine: Engine, settings: Settings,
                                         tmp_path: Path) -> None:
    first = import_files(engine, settings, SAMPLE)
    before = stored_digests(engine)
    out = export(engine, tmp_path / "export.xml", settings)
    assert validate_schema(out, settings.iati_schema) == []
    root = etree.parse(str(out)).getroot()
    assert (root.get("version"), root.get("generated-datetime") is not None) == ("2.03", True)
    assert len(root) == first.new == len(before)
    assert not (tmp_path / "export.xml.part").exists()
    # export → import: the frames of the file are the stored ones, and nothing changes
    again = parse(out, settings)
    stored = stored_batch(engine)
    for kind, frame in stored.frames.items():
        assert_frame_equal(again.frames[kind].drop(*NOT_CONTENT, strict=False),
                           frame.drop(*NOT_CONTENT, strict=False), check_exact=True)
    assert content_digests(again) == before
    report = import_files(engine, settings, [out])
    assert (report.new, report.changed, report.unchanged) == (0, 0, len(before))
    assert stored_digests(engine) == before


def test_fields_missing_from_the_real_files_round_trip(engine: Engine, settings: Settings,
                                                       tmp_path: Path) -> None:
    """Other-language titles, Russian descriptions, activity-level shares with percentages,
    tags, a budget and a region outside the DAC vocabulary (none in the real files)."""
    text = (USG / "dhs" / "dhs-kazakhstan.xml").read_text(encoding="utf-8")
    for old, new in EXTRAS:
        assert old in text
        text = text.replace(old, new, 1)
    src = tmp_path / "extras.xml"
    src.write_text(text, encoding="utf-8")
    import_files(engine, settings, [src])
    act = stored_batch(engine).frames["activities"].row(0, named=True)
    assert (act["title_ru"], act["description_ru"]) == ("Обучение", "Описание")
    assert act["title_other"] == "[fr] Formation\nSuite\n[de] Schulung"
    out = export(engine, tmp_path / "export.xml", settings)
    again = parse(out, settings)
    assert again.frames["transactions"]["region"].to_list() == ["99:X-1", None]
    assert again.frames["regions"]["percentage"].to_list() == [12.5]
    assert content_digests(again) == stored_digests(engine)


def test_export_of_some_identifiers(engine: Engine, settings: Settings,
                                    tmp_path: Path) -> None:
    import_files(engine, settings, [USG / "dhs"])
    ids = sorted(stored_digests(engine))[:2]
    out = export(engine, tmp_path / "two.xml", settings, [ids[1], ids[0], ids[1]])
    assert sorted(parse(out, settings).frames["activities"]["iati_identifier"]) == ids
    assert set(content_digests(stored_batch(engine, ids))) == set(ids)
    with pytest.raises(NotFound, match="No IATI activity US-GOV-0-none in the store"):
        export(engine, tmp_path / "none.xml", settings, ["US-GOV-0-none", ids[0]])
    assert not (tmp_path / "none.xml").exists()


def test_invalid_export_names_the_schema_error(engine: Engine, settings: Settings,
                                               tmp_path: Path) -> None:
    import_files(engine, settings, [USG / "dhs" / "dhs-kazakhstan.xml"])
    with engine.begin() as conn:  # a stored date the schema refuses
        conn.execute(update(t.iati_transaction).values(date="2012-13-45"))
    with pytest.raises(SdgBridgeError, match="not valid IATI 2.03.*transaction-date"):
        export(engine, tmp_path / "bad.xml", settings)
    assert not (tmp_path / "bad.xml").exists() and (tmp_path / "bad.xml.part").exists()


def test_empty_store_has_nothing_to_export(engine: Engine, settings: Settings,
                                           tmp_path: Path) -> None:
    assert stored_batch(engine).frames["activities"].is_empty()
    with pytest.raises(NotFound, match="No IATI activities in the store"):
        export(engine, tmp_path / "empty.xml", settings)


def test_all_files_round_trip(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """All 4,857 activities: only the 3 of the IATI 2.01 file change, in iati_version."""
    import_files(engine, settings, [USG])
    before = stored_digests(engine)
    assert content_digests(stored_batch(engine)) == before
    out = export(engine, tmp_path / "all.xml", settings)
    report = import_files(engine, settings, [out])
    older = stored_batch(engine).frames["activities"].filter(pl.col("iati_version") != "2.03")
    assert older.is_empty()
    assert (report.new, report.changed, report.unchanged) == (0, 3, len(before) - 3)
    after = stored_digests(engine)
    changed = sorted(k for k in before if before[k] != after[k])
    with engine.connect() as conn:
        details = conn.execute(select(t.record_change.c.record_key, t.record_change.c.details)
                               .order_by(t.record_change.c.record_key)).all()
    assert [key for key, _ in details] == changed
    assert all(json.loads(d) == {"iati_version": ["2.01", "2.03"], "children": {}}
               for _, d in details)
    assert count(engine, t.iati_activity) == len(before)
    assert content_digests(stored_batch(engine)) == after

"""The specimens of tests/data: small, each folder described in its README, the IATI ones
valid IATI 2.03 and read as with the complete code lists (those two checks need the schema and
code lists, which stay in ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdgbridge.knowledge.extract import extract_text
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.files import validate_schema
from sdgbridge.projects.iati.parse import parse_activities
from tests.helpers import IATI_ACTIVITIES, IATI_CODELISTS, SPECIMENS

INVALID = SPECIMENS / "iati" / "invalid" / "usda-tajikistan-schema-errors.xml"


def test_every_folder_is_described_and_every_file_small() -> None:
    readme = (SPECIMENS / "README.md").read_text(encoding="utf-8")
    folders = sorted(p.name for p in SPECIMENS.iterdir() if p.is_dir())
    assert [f for f in folders if f"## `{f}/`" not in readme] == []
    big = [p for p in SPECIMENS.rglob("*") if p.is_file() and p.stat().st_size > 64_000]
    assert big == []


@pytest.mark.shared_data
def test_iati_specimens_are_valid_and_the_invalid_one_has_its_three_errors(shared: Path) -> None:
    schema = shared / "iati" / "schema" / "iati-activities-schema.xsd"
    assert [validate_schema(p, schema) for p in sorted(IATI_ACTIVITIES.glob("*.xml"))] == [[], []]
    assert [(r.line, r.field) for r in validate_schema(INVALID, schema)] == [
        (52, "transaction/value"), (101, "activity-date[2]"), (127, "transaction/value")]


@pytest.mark.shared_data
def test_iati_specimens_read_as_with_the_complete_code_lists(shared: Path) -> None:
    files = sorted(IATI_ACTIVITIES.glob("*.xml"))
    small = parse_activities(files, load_codelists(IATI_CODELISTS), None)
    full = parse_activities(files, load_codelists(shared / "iati" / "codelists"), None)
    assert small.rejections == full.rejections == []
    assert all(small.frames[k].equals(full.frames[k]) for k in full.frames)


def test_the_practice_reads_with_the_title_of_its_header() -> None:
    (path,) = (SPECIMENS / "knowledge").glob("*.md")
    doc = extract_text(path)
    assert (doc.format, doc.title) == ("markdown", "Creating partnerships for the Green Aral "
                                                   "Sea Initiative")
    assert doc.text.startswith("Creating partnerships for the Green Aral Sea Initiative\n\n"
                               "Agenda 2030, in all its wisdom")

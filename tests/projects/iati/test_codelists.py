"""The IATI schema and code lists shipped with the package: the official files, read as the
folders of XML are."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdgbridge.config import Settings
from sdgbridge.errors import InputError
from sdgbridge.projects.iati import PACKAGED_CODELISTS, PACKAGED_SCHEMA
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.files import validate_schema
from tests.helpers import IATI_ACTIVITIES, IATI_CODELISTS


def test_the_settings_default_to_the_shipped_files() -> None:
    settings = Settings()
    assert settings.iati_schema == PACKAGED_SCHEMA and settings.iati_codelists == PACKAGED_CODELISTS


def test_the_shipped_code_lists_read_as_a_csv() -> None:
    lists = load_codelists(PACKAGED_CODELISTS)
    assert len(lists) == 70 and sum(map(len, lists.values())) == 5544
    assert {"KZ", "KG", "TJ", "TM", "UZ", "AF"} <= lists["Country"]
    assert "14030" in lists["Sector"] and "6.4" in lists["UNSDG-Targets"]
    specimens = load_codelists(IATI_CODELISTS)  # a folder of XML cut to the codes used
    assert all(codes <= lists[name] for name, codes in specimens.items())


def test_the_shipped_schema_validates_the_specimens() -> None:
    for path in sorted(IATI_ACTIVITIES.glob("*.xml")):
        assert validate_schema(path, PACKAGED_SCHEMA) == [], path.name


def test_a_csv_of_other_columns_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "lists.csv"
    bad.write_text("name,value\nCountry,KZ\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected the columns codelist and code"):
        load_codelists(bad)


@pytest.mark.shared_data
def test_the_shipped_files_are_the_official_ones(shared: Path) -> None:
    iati = shared / "iati"
    assert load_codelists(PACKAGED_CODELISTS) == load_codelists(iati / "codelists")
    for path in PACKAGED_SCHEMA.parent.glob("*.xsd"):
        assert path.read_bytes() == (iati / "schema" / path.name).read_bytes(), path.name

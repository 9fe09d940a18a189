from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sdgbridge.errors import IngestRejected, InputError
from sdgbridge.ingest.load import ingest
from sdgbridge.ingest.readers.sdg_api import SdgApiReader
from sdgbridge.ingest.registry import get_reader
from sdgbridge.query import ObservationQuery, query_observations
from tests.helpers import derived_slice, snapshot

SERIES = ("SI_POV_DAY1", "EG_ACS_ELEC")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return derived_slice(tmp_path / "slice.csv", SERIES)


def test_reads_the_derived_file_with_dimensions_and_attributes(engine, data: Path) -> None:
    assert isinstance(get_reader(data), SdgApiReader)
    report = ingest(engine, data)
    assert report.rows_rejected == 0 and report.rows_loaded == data.read_text(
        encoding="utf-8").count("\n") - 1
    df = query_observations(engine, ObservationQuery(series=["SI_POV_DAY1"], areas=["KGZ"],
                                                     year_from=2020, year_to=2020,
                                                     dimensions={"sex": "BOTHSEX",
                                                                 "location": "ALLAREA",
                                                                 "age": "ALLAGE"}))
    assert df.select("area", "iso3", "period", "value_text", "units", "nature",
                     "indicators").row(0) == ("417", "KGZ", "2020", "1.3", "PERCENT", "G",
                                              "1.1.1")


def test_unknown_nature_and_area_are_rejected(engine, data: Path) -> None:
    with data.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = {c: i for i, c in enumerate(rows[0])}
    rows[1][col["Nature"]] = "ZZ"
    rows[2][col["GeoAreaCode"]] = "9999"  # a code the store lacks, given without a name
    rows[2][col["GeoAreaName"]] = ""
    with data.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    before = snapshot(engine)
    with pytest.raises(IngestRejected) as err:
        ingest(engine, data)
    msg = str(err.value).splitlines()
    assert msg[0] == "2 row(s) rejected; nothing was written."
    assert msg[1] == f"  {data}:2: nature: unknown nature code 'ZZ'; the source's code list " \
                     "has no such code"
    assert msg[2] == (f"  {data}:3: area: unknown area code '9999': not an M49 code nor an area "
                      "the source declares; correct the code or load the geography "
                      "(`sdgbridge init`)")
    assert snapshot(engine) == before


def test_missing_columns_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("SeriesCode,GeoAreaCode,Value\nX,1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(SdgApiReader().read(bad))
    assert str(err.value) == (f"{bad}:1: not an SDG API CSV file: missing column(s) "
                              "TimePeriod. Check the format (`sdgbridge formats`).")

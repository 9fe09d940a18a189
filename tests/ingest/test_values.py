"""The ``values`` reader without a roadmap: any publisher's own series, one value per row,
found by its columns, each bad row refused with its line (the values are made up)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.errors import IngestRejected
from sdgbridge.ingest.load import ingest
from sdgbridge.ingest.readers.values import ValuesReader
from sdgbridge.ingest.registry import get_reader


def test_own_values_load_with_their_publisher(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "capacity.csv"
    path.write_text("series,publisher,country,year,value,units\n"
                    "CA_GRID_LINKS,sdg_centre,KGZ,2021,1.5,GW\n"
                    "CA_GRID_LINKS,SDG_CENTRE,417,2022,1.75,GW\n", encoding="utf-8")
    assert isinstance(get_reader(path), ValuesReader)
    report = ingest(sqlite_engine, path)
    assert (report.rows_loaded, report.reader) == (2, "values")
    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(t.series.c.publisher, t.observation.c.area_code,
                                   t.observation.c.units, t.observation.c.value)
                            .join(t.series, t.series.c.id == t.observation.c.series_id)
                            .order_by(t.observation.c.value)).all()
    assert [tuple(r) for r in rows] == [("SDG_CENTRE", "417", "GW", 1.5),
                                        ("SDG_CENTRE", "417", "GW", 1.75)]


@pytest.mark.parametrize(("row", "field", "says"), [
    ("CA_GRID_LINKS,UNSD,KGZ,2021,1.5,GW", "publisher", "UNSD's series come from its own"),
    ("CA_GRID_LINKS,,KGZ,2021,1.5,GW", "publisher", "no publisher"),
    ("CA_GRID_LINKS,SDG_CENTRE,KGZ,2021,1.5,", "units", "no units"),
])
def test_a_row_without_a_publisher_of_its_own_or_units_is_refused(
        sqlite_engine: Engine, tmp_path: Path, row: str, field: str, says: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"series,publisher,country,year,value,units\n{row}\n", encoding="utf-8")
    with pytest.raises(IngestRejected) as caught:
        ingest(sqlite_engine, path)
    [rejection] = caught.value.rejections
    assert (rejection.line, rejection.field) == ("2", field) and says in rejection.message
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(t.release.c.id)).first() is None

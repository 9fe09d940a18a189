"""A roadmap's own series (issue 17): defined in its file, their values loaded from a CSV
through the same ingest as any data (validation with lines, a release with provenance,
nothing written on a refusal), and KPIs on them lit by the progress method.

The values below are made up for the tests (no official source measures corridor freight);
they are never shipped."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import IngestRejected, InputError
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.roadmaps.exchange import export_roadmap
from sdgbridge.roadmaps.kpis import roadmap_kpis
from sdgbridge.roadmaps.queries import roadmap_detail
from sdgbridge.roadmaps.service import import_roadmap, read_roadmap
from sdgbridge.roadmaps.values import load_values, own_series

ROADMAP = """\
roadmap:
  key: corridor
  title: {en: Trans-Caspian corridor, ru: Транскаспийский коридор}
  kind: joint_programme
  series:
    - code: CA_CORRIDOR_FREIGHT
      name: {en: Freight on the corridor, ru: Грузы по коридору}
      units: MT
      indicators: ["9.1.2"]
  areas:
    - key: transport
      title: Transport
      commitments:
        - key: freight
          title: More freight on the corridor
          responsible: [XI-IATI-EC_INTPA]
          countries: [KAZ, KGZ]
          targets: ["9.1"]
          kpis:
            - key: corridor-freight
              series: CA_CORRIDOR_FREIGHT
              direction: higher
              target: rel:1.25
"""
# KAZ: from 10 to 14 million tonnes (on its way to 12.5); KGZ: falling from 4 to 3.
VALUES = "series,country,year,value,source\n" + "".join(
    f"CA_CORRIDOR_FREIGHT,{c},{y},{v},Test figures\n"
    for c, start, step in (("KAZ", 10.0, 0.5), ("KGZ", 4.0, -0.125))
    for y, v in ((y, start + step * (y - 2015)) for y in range(2015, 2023)))


@pytest.fixture
def store(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    create_org(sqlite_engine, name_en="European Commission - International Partnerships",
               type="10", ref="XI-IATI-EC_INTPA",
               codelists=load_codelists(Settings().iati_codelists))
    path = tmp_path / "corridor.yaml"
    path.write_text(ROADMAP, encoding="utf-8")
    import_roadmap(sqlite_engine, path)
    return sqlite_engine


def _count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_own_series_are_defined_then_filled_and_lit(store: Engine, tmp_path: Path) -> None:
    [defined] = own_series(store, "corridor")
    assert (defined["code"], defined["publisher"], defined["units"], defined["indicators"],
            defined["values"]) == ("CA_CORRIDOR_FREIGHT", "SDG_CENTRE", "MT", ["9.1.2"], 0)
    assert defined["description_ru"] == "Грузы по коридору"
    before = roadmap_kpis(store, "corridor")
    assert set(before["light"]) == {"grey"}  # no values yet

    path = tmp_path / "freight.csv"
    path.write_text(VALUES, encoding="utf-8")
    report = load_values(store, "corridor", path)
    assert (report.rows_loaded, report.rows_rejected) == (16, 0)
    with store.connect() as conn:
        release = conn.execute(select(t.release).where(t.release.c.id == report.release_id)
                               ).one()
        units = set(conn.execute(select(t.observation.c.units).where(
            t.observation.c.release_id == report.release_id)).scalars())
    assert release.source == "corridor: own series (freight.csv)" and release.fingerprint
    assert units == {"MT"}
    assert own_series(store, "corridor")[0]["values"] == 16

    kpis = roadmap_kpis(store, "corridor").select("country", "base_value", "latest_value",
                                                  "target_value", "light")
    assert kpis.rows() == [("KAZ", 10.0, 13.5, 12.5, "green"),
                           ("KGZ", 4.0, 3.125, 5.0, "red")]
    # the same file again changes nothing: no new release
    assert load_values(store, "corridor", path).release_id is None


@pytest.mark.parametrize(("row", "field", "says"), [
    ("CA_OTHER,KAZ,2023,5,", "series", "is not a series the roadmap corridor defines"),
    ("CA_CORRIDOR_FREIGHT,KAZ,2023,5,TONNES", "units", "differs from the series' units MT"),
    ("CA_CORRIDOR_FREIGHT,XYZ,2023,5,", "country", "'XYZ' is not a country"),
    ("CA_CORRIDOR_FREIGHT,KAZ,23,5,", "year", "'23' is not a year"),
    ("CA_CORRIDOR_FREIGHT,KAZ,2023,lots,", "value", "non-numeric value 'lots'"),
])
def test_a_bad_row_is_refused_with_its_line_and_nothing_is_written(
        store: Engine, tmp_path: Path, row: str, field: str, says: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("series,country,year,value,units\n"
                    "CA_CORRIDOR_FREIGHT,KAZ,2022,13.5,MT\n" + row + "\n", encoding="utf-8")
    releases, values = _count(store, t.release), _count(store, t.observation)
    with pytest.raises(IngestRejected) as caught:
        load_values(store, "corridor", path)
    [rejection] = caught.value.rejections
    assert (rejection.line, rejection.field) == ("3", field)
    assert says in rejection.message and "bad.csv" in str(caught.value)
    assert (_count(store, t.release), _count(store, t.observation)) == (releases, values)
    # asked for a partial load: the good row loads, the bad one is written with its reason
    report = load_values(store, "corridor", path, partial=True,
                         rejects_path=tmp_path / "rejected.csv")
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert pl.read_csv(tmp_path / "rejected.csv")["field"].to_list() == [field]


def test_a_roadmap_without_series_of_its_own(store: Engine, tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(ROADMAP.replace("key: corridor", "key: plain").replace(
        "  series:\n    - code: CA_CORRIDOR_FREIGHT\n      name: {en: Freight on the corridor, "
        "ru: Грузы по коридору}\n      units: MT\n      indicators: [\"9.1.2\"]\n", ""),
        encoding="utf-8")
    # its KPI names the series the other roadmap defined, now in the store
    plain.write_text(plain.read_text(encoding="utf-8").replace(
        "direction: higher", "publisher: SDG_CENTRE\n              direction: higher"),
        encoding="utf-8")
    import_roadmap(store, plain)
    with pytest.raises(InputError, match="defines no series of its own"):
        load_values(store, "plain", tmp_path / "any.csv")


@pytest.mark.parametrize(("change", "says"), [
    (("code: CA_CORRIDOR_FREIGHT", "code: ca corridor"), "line 6, code: 'CA CORRIDOR'"),
    (("      units: MT\n", "      units: MT\n      publisher: UNSD\n"),
     "line 9, publisher: UNSD: give your own publisher's code"),
    (("      units: MT\n", ""), "line 6, units: missing"),
    (('indicators: ["9.1.2"]', 'indicators: ["9.1.9"]'),
     "line 9, indicators: 9.1.9: no such SDG indicator"),
])
def test_a_bad_series_definition_is_refused_naming_its_line(
        sqlite_engine: Engine, tmp_path: Path, change: tuple[str, str], says: str) -> None:
    create_org(sqlite_engine, name_en="EC INTPA", type="10", ref="XI-IATI-EC_INTPA",
               codelists=load_codelists(Settings().iati_codelists))
    path = tmp_path / "corridor.yaml"
    path.write_text(ROADMAP.replace(*change), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_roadmap(sqlite_engine, path)
    assert says in str(caught.value)
    assert _count(sqlite_engine, t.roadmap) == 0
    assert "CA_CORRIDOR_FREIGHT" not in own_series_codes(sqlite_engine)


def own_series_codes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.series.c.code)).scalars())


def test_own_series_round_trip_through_the_csv(store: Engine, tmp_path: Path,
                                               sqlite_template: Path) -> None:
    from sdgbridge.db.engine import make_engine

    out = export_roadmap(store, "corridor", tmp_path / "corridor.csv")
    again = read_roadmap(out)
    fields = ("code", "publisher", "name_en", "name_ru", "units", "indicators")
    assert [[getattr(x, f) for f in fields] for x in again.series] == [
        ["CA_CORRIDOR_FREIGHT", "SDG_CENTRE", "Freight on the corridor", "Грузы по коридору",
         "MT", ("9.1.2",)]]
    other_path = tmp_path / "other.db"
    other_path.write_bytes(sqlite_template.read_bytes())
    other = make_engine(f"sqlite:///{other_path}")
    create_org(other, name_en="EC INTPA", type="10", ref="XI-IATI-EC_INTPA",
               codelists=load_codelists(Settings().iati_codelists))
    import_roadmap(other, out)
    assert own_series(other, "corridor") == own_series(store, "corridor")
    assert roadmap_detail(other, "corridor")["series"][0]["units"] == "MT"
    other.dispose()

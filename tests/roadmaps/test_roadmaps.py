"""Roadmaps (issue 17): the example roadmap loads on the real UNSD data of the region; each
KPI's light is what the progress method gives for the same series and countries (its own
relative target read against each country's baseline); a new data release moves a KPI; and
every bad file is refused naming its file, line and field, with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from sdgbridge.assessment.current import current_assessment
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import InputError
from sdgbridge.ingest.load import ingest
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.roadmaps import EXAMPLE
from sdgbridge.roadmaps.kpis import roadmap_kpis
from sdgbridge.roadmaps.queries import list_roadmaps, roadmap_detail
from sdgbridge.roadmaps.reviews import (
    ReviewRow,
    compare_reviews,
    read_review_csv,
    record_review,
    report_lights,
    review_detail,
    reviews,
)
from sdgbridge.roadmaps.service import import_roadmap, read_roadmap
from tests.helpers import SHARED

DERIVED = SHARED / "sdg" / "derived" / "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv"
CENTRAL_ASIA = ("398", "417", "762", "795", "860")


def _slice(path: Path, series: list[str], extra: dict[str, str] | None = None) -> Path:
    """The derived UNSD file's rows of ``series``; with ``extra``, one more row: a copy of
    Kyrgyzstan's latest row of the first series with those values."""
    frame = pl.read_csv(DERIVED, infer_schema_length=0).filter(
        pl.col("SeriesCode").is_in(series))
    if extra:
        kg = frame.filter(pl.col("SeriesCode") == series[0], pl.col("GeoAreaCode") == "417")
        frame = pl.concat([frame, kg.sort("TimePeriod").tail(1).with_columns(
            **{k: pl.lit(v) for k, v in extra.items()})])
    frame.write_csv(path)
    return path


def example_data(engine: Engine, folder: Path) -> int:
    """The example roadmap's series (the real UNSD 2023-12 rows of the region) and its
    responsible organisation registered (its id); skips without ``../shared``."""
    if not DERIVED.exists():
        pytest.skip(f"{DERIVED} is not there (../shared beside the repository)")
    series = sorted({k.series for c in read_roadmap(EXAMPLE).commitments() for k in c.kpis})
    ingest(engine, _slice(folder / "kpis.csv", series), source="UNSD 2023-12")
    return create_org(engine, name_en="European Commission - International Partnerships",
                      type="10", ref="XI-IATI-EC_INTPA",
                      codelists=load_codelists(Settings().iati_codelists))


@pytest.fixture
def store(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    example_data(sqlite_engine, tmp_path)
    return sqlite_engine


def test_the_example_roadmap_and_its_kpi_lights(store: Engine) -> None:
    report = import_roadmap(store, EXAMPLE)
    assert (report.key, report.areas, report.commitments) == ("ca-eu-example", 7, 8)
    listed = list_roadmaps(store).row(0, named=True)
    assert listed["example"] and listed["kpis"] == report.kpis
    detail = roadmap_detail(store, "ca-eu-example")
    assert [a["key"] for a in detail["areas"]] == [
        "trade", "transport", "energy", "water", "climate", "raw-materials", "digital"]
    assert detail["areas"][0]["commitments"][0]["responsible"][0]["ref"] == "XI-IATI-EC_INTPA"
    kpis = roadmap_kpis(store, "ca-eu-example", "unsd")
    assert set(kpis["country"]) == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}
    # a KPI without a target of its own: exactly the method's status for that series there
    method = current_assessment(store, "unsd", list(CENTRAL_ASIA)).results
    own = {k.key for c in read_roadmap(EXAMPLE).commitments() for k in c.kpis if k.target}
    plain = kpis.filter(~pl.col("kpi").is_in(list(own)))
    assert plain.height >= 20
    joined = plain.join(method.select("series", "area", pl.col("scale").alias("method")),
                        on=["series", "area"], how="left")
    assert joined["scale"].to_list() == joined["method"].to_list()
    # a relative target: a quarter above each country's own baseline
    rel = kpis.filter(pl.col("kpi") == "renewable-share")
    for row in rel.iter_rows(named=True):
        assert row["target_value"] == pytest.approx(1.25 * row["base_value"])
    kgz = rel.filter(pl.col("country") == "KGZ").row(0, named=True)
    # Kyrgyzstan's renewable share, UNSD 2023-12: 23.51 % in 2015, 30.04 % in 2020
    assert (kgz["base_value"], kgz["latest_value"], kgz["light"]) == (23.51, 30.04, "green")
    assert set(kpis["light"]) <= {"green", "amber", "red", "grey"}


def test_a_new_release_moves_a_kpi(store: Engine, tmp_path: Path) -> None:
    import_roadmap(store, EXAMPLE)
    before = roadmap_kpis(store, "ca-eu-example").filter(
        pl.col("kpi") == "renewable-share", pl.col("country") == "KGZ").row(0, named=True)
    assert before["scale"] == "on track"
    # a later release says the share fell to 20 % in 2023
    ingest(store, _slice(tmp_path / "new.csv", ["EG_FEC_RNEW"],
                         {"TimePeriod": "2023", "Value": "20"}), source="a later release")
    after = roadmap_kpis(store, "ca-eu-example").filter(
        pl.col("kpi") == "renewable-share", pl.col("country") == "KGZ").row(0, named=True)
    assert (after["latest_year"], after["latest_value"]) == (2023, 20.0)
    assert after["scale"] == "regressing" and after["light"] == "red"
    assert after["releases"] != before["releases"]


BAD = {
    "duplicate key": ("roadmap:\n  key: a\n  key: b\n", "line 3: key is given twice"),
    "wrong type": ("roadmap:\n  key: a\n  title: A\n  areas: nonsense\n",
                   "line 4, areas: expected a list"),
    "unknown series": (
        "roadmap:\n  key: a\n  title: A\n  areas:\n    - key: x\n      title: X\n"
        "      commitments:\n        - key: c\n          title: C\n          countries: [KGZ]\n"
        "          kpis:\n            - key: k\n              series: NO_SUCH_SERIES\n"
        "              direction: higher\n", "line 13, series: no series NO_SUCH_SERIES"),
    "target year before baseline": (
        "roadmap:\n  key: a\n  title: A\n  areas:\n    - key: x\n      title: X\n"
        "      commitments:\n        - key: c\n          title: C\n          countries: [KGZ]\n"
        "          kpis:\n            - key: k\n              series: EG_FEC_RNEW\n"
        "              baseline_year: 2020\n              target_year: 2015\n",
        "line 15, target_year: 2015 is not after the baseline year 2020"),
    "party not registered": (
        "roadmap:\n  key: a\n  title: A\n  areas:\n    - key: x\n      title: X\n"
        "      commitments:\n        - key: c\n          title: C\n"
        "          responsible: [XM-NOBODY-1]\n", "line 10, responsible: XM-NOBODY-1 not in"),
    "bad target": (
        "roadmap:\n  key: a\n  title: A\n  areas:\n    - key: x\n      title: X\n"
        "      commitments:\n        - key: c\n          title: C\n          countries: [KGZ]\n"
        "          kpis:\n            - key: k\n              series: EG_FEC_RNEW\n"
        "              target: a quarter more\n", "line 14, target: 'a quarter more'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_refused_with_its_line_and_nothing_written(
        store: Engine, tmp_path: Path, case: str) -> None:
    text, message = BAD[case]
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=f"plan.yaml, {message}"):
        import_roadmap(store, path)
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.roadmap)).scalar_one() == 0


def _review_file(path: Path, lines: list[str]) -> Path:
    path.write_text("commitment,status,comment,documents,links\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


def test_reviews_freeze_the_kpis_compare_and_turn_late_reports_amber_then_red(
        store: Engine, tmp_path: Path) -> None:
    import_roadmap(store, EXAMPLE)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    first = record_review(store, "ca-eu-example", "2026", read_review_csv(_review_file(
        tmp_path / "r1.csv", ["renewables,on_track,Auctions held,,https://example.org/a",
                              "water-efficiency,delayed,,,"])), source="r1.csv", now=t0)
    frozen = review_detail(store, first)["items"][0]
    assert frozen["commitment"] == "renewables" and frozen["status"] == "on_track"
    kgz = next(k for k in frozen["kpis"] if k["country"] == "KGZ")
    assert (kgz["kpi"], kgz["light"], kgz["latest_value"]) == ("renewable-share", "green",
                                                                30.04)
    # a new release, then a second review: the first keeps the values of its time
    ingest(store, _slice(tmp_path / "new.csv", ["EG_FEC_RNEW"],
                         {"TimePeriod": "2023", "Value": "20"}), source="a later release")
    second = record_review(store, "ca-eu-example", "2027", [
        ReviewRow("renewables", "at_risk", "The share fell"),
        ReviewRow("water-efficiency", "delayed")], now=t0 + timedelta(days=200))
    again = next(k for k in review_detail(store, first)["items"][0]["kpis"]
                 if k["country"] == "KGZ")
    assert again == kgz  # frozen with the first review
    changes = compare_reviews(store, first, second)
    renewables = changes.filter(pl.col("commitment") == "renewables").row(0, named=True)
    assert (renewables["before"], renewables["after"], renewables["changed"]) == (
        "on_track", "at_risk", True)
    assert "renewable-share/KGZ: green -> red" in renewables["kpi_changes"]
    water = changes.filter(pl.col("commitment") == "water-efficiency").row(0, named=True)
    assert not water["changed"] and water["kpi_changes"] == []
    assert reviews(store, "ca-eu-example")["id"].to_list() == [second, first]
    # reports: reviewed commitments green within a cycle, amber after one, red after two
    lights = {r["commitment"]: r["light"] for r in report_lights(
        store, "ca-eu-example", now=t0 + timedelta(days=300)).iter_rows(named=True)}
    assert lights["renewables"] == "green"
    late = report_lights(store, "ca-eu-example", now=t0 + timedelta(days=200 + 400))
    assert late.filter(pl.col("commitment") == "renewables")["light"].to_list() == ["amber"]
    later = report_lights(store, "ca-eu-example", now=t0 + timedelta(days=200 + 800))
    reviewed = pl.col("commitment").is_in(["renewables", "water-efficiency"])
    assert set(later.filter(reviewed)["light"]) == {"red"}
    # never reviewed: late since the roadmap was stored (today, in this test's past)
    assert set(later.filter(~reviewed)["light"]) <= {"amber", "red"}
    assert later.filter(~reviewed)["last_report"].null_count() == 6


REVIEW_BAD = {
    "unknown commitment": (["renewables,on_track,,,", "nonsense,done,,,"],
                           "r.csv, line 3, commitment: no commitment nonsense"),
    "bad status": (["renewables,fine,,,"], "r.csv, line 2, status: 'fine' is not one of"),
    "unknown document": (["renewables,done,,999,"], "r.csv, line 2, documents: no document "
                                                     "999"),
    "twice": (["renewables,done,,,", "renewables,done,,,"], "r.csv, line 3, commitment: "
                                                            "renewables is reviewed twice"),
    "not an address": (["renewables,done,,,example.org"], "r.csv, line 2, links:"),
}


@pytest.mark.parametrize("case", sorted(REVIEW_BAD))
def test_a_bad_review_is_refused_with_its_line_and_nothing_written(
        store: Engine, tmp_path: Path, case: str) -> None:
    import_roadmap(store, EXAMPLE)
    lines, message = REVIEW_BAD[case]
    path = _review_file(tmp_path / "r.csv", lines)
    with pytest.raises(InputError, match=message):
        record_review(store, "ca-eu-example", "2026", read_review_csv(path), source="r.csv")
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.roadmap_review)
                            ).scalar_one() == 0


def test_a_refusal_reads_in_russian_on_the_pages(store: Engine, tmp_path: Path) -> None:
    from sdgbridge.web.i18n import translations

    text, _ = BAD["unknown series"]
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as refused:
        import_roadmap(store, path)
    assert str(refused.value).startswith("plan.yaml, line 13, series: no series NO_SUCH_SERIES")
    assert refused.value.translated(translations("ru").gettext).startswith(
        "plan.yaml, строка 13, series: ряда NO_SUCH_SERIES (UNSD) в хранилище нет")


def _comparable(detail: dict[str, object]) -> object:
    """A roadmap's detail without what differs between two stores (ids, times, source)."""
    drop = {"id", "roadmap_id", "area_id", "commitment_id", "created_at", "source"}
    if isinstance(detail, dict):
        return {k: _comparable(v) for k, v in detail.items() if k not in drop}
    if isinstance(detail, list):
        return [_comparable(v) for v in detail]
    return detail


def test_export_and_import_round_trip_into_a_new_store(store: Engine, tmp_path: Path,
                                                        sqlite_template: Path) -> None:
    import shutil

    from sdgbridge.db.engine import make_engine
    from sdgbridge.roadmaps.exchange import export_roadmap, roadmap_table

    import_roadmap(store, EXAMPLE)
    record_review(store, "ca-eu-example", "2026", [ReviewRow("renewables", "on_track",
                                                             "=SUM(A1) is text")])
    out = export_roadmap(store, "ca-eu-example", tmp_path / "roadmap.csv")
    table = roadmap_table(store, "ca-eu-example")
    assert table.height == 9  # one row per KPI; every commitment has KPIs
    renewables = table.filter(pl.col("commitment_key") == "renewables").row(0, named=True)
    assert (renewables["review_cycle"], renewables["review_status"]) == ("2026", "on_track")
    assert "'=SUM(A1)" in out.read_text(encoding="utf-8")  # safe in a spreadsheet
    xlsx = export_roadmap(store, "ca-eu-example", tmp_path / "roadmap.xlsx")
    assert xlsx.read_bytes()[:2] == b"PK"
    other_db = tmp_path / "other" / "store.db"
    other_db.parent.mkdir()
    shutil.copy(sqlite_template, other_db)
    other = make_engine(f"sqlite:///{other_db}")
    example_data(other, other_db.parent)
    import_roadmap(other, out)
    assert _comparable(roadmap_detail(other, "ca-eu-example")) == _comparable(
        roadmap_detail(store, "ca-eu-example"))
    assert roadmap_kpis(other, "ca-eu-example").drop("releases").equals(
        roadmap_kpis(store, "ca-eu-example").drop("releases"))
    other.dispose()


def test_a_bad_csv_roadmap_names_its_line(store: Engine, tmp_path: Path) -> None:
    from sdgbridge.roadmaps.exchange import COLUMNS

    path = tmp_path / "plan.csv"
    row = dict.fromkeys(COLUMNS, "")
    row.update(roadmap_key="plan", roadmap_title_en="Plan", area_key="water",
               area_title_en="Water", commitment_key="wue", commitment_title_en="Use water",
               countries="KGZ", kpi_key="wue-kpi", series="ER_H2O_WUEYST",
               baseline_year="2015", target_year="2010")
    good = {**row, "kpi_key": "other", "target_year": "2030"}
    pl.DataFrame([good, row]).write_csv(path)
    with pytest.raises(InputError, match="plan.csv, line 3, target_year: 2010 is not after"):
        import_roadmap(store, path)

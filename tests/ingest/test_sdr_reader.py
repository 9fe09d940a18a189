"""SDSN's published SDR scores: the ``sdr`` reader (specimens in tests/data/sdr, the real
files of ../shared/data/sdr) and :func:`sdgbridge.query.sdr_published`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from sdgbridge.assessment.run import assess
from sdgbridge.cli import app
from sdgbridge.errors import IngestRejected, InputError
from sdgbridge.ingest.load import ingest, read_all
from sdgbridge.ingest.readers.sdg_api import SdgApiReader
from sdgbridge.ingest.readers.sdr import SdrReader, series_goals
from sdgbridge.ingest.registry import get_reader
from sdgbridge.query import ObservationQuery, query_observations, sdr_published
from sdgbridge.query.published import PUBLISHED_SCHEMA, SDR_PUBLISHER, SDR_SERIES
from tests.helpers import SPECIMENS, derived_slice, snapshot

SDR = SPECIMENS / "sdr"
EDITION = SDR / "sustainable_development_report_2023.csv"
TREND = SDR / "sdg_index_2000-2022.csv"


def _sdsn(engine, areas=("KGZ",), series=()) -> pl.DataFrame:
    return query_observations(engine, ObservationQuery(publishers=["SDSN"], areas=list(areas),
                                                       series=list(series)))


def test_specimens_are_like_the_real_files() -> None:
    for path in (EDITION, TREND):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == raw.count(b"\n")


def test_the_registry_picks_sdr_for_both_layouts_and_nothing_else(tmp_path: Path) -> None:
    assert isinstance(get_reader(EDITION), SdrReader)
    assert isinstance(get_reader(TREND), SdrReader)
    sdg = derived_slice(tmp_path / "s.csv", ("SI_POV_DAY1",))
    assert isinstance(get_reader(sdg), SdgApiReader) and not SdrReader.handles(sdg)
    no_goals = tmp_path / "scores_2023.csv"
    no_goals.write_text("country_code,overall_score\nKGZ,74.4\n", encoding="utf-8")
    assert not SdrReader.handles(no_goals) and not SdrReader.handles(SDR)


def test_one_edition_values_units_publisher_year_and_region(engine) -> None:
    report = ingest(engine, EDITION)
    assert (report.reader, report.rows_read, report.rows_loaded, report.rows_rejected) == (
        "sdr", 68, 68, 0)  # 4 countries x 18 scores, less 4 blanks
    assert report.source == ("SDSN, Sustainable Development Report 2023 "
                             "(sustainable_development_report_2023.csv)")
    df = _sdsn(engine)
    assert df.height == 17 and "SDR_GOAL_14" not in df["series"].to_list()  # blank: no score
    kgz = df.filter(pl.col("series") == "SDR_INDEX").row(0, named=True)
    assert (kgz["publisher"], kgz["area"], kgz["iso3"], kgz["period"], kgz["year"],
            kgz["value"], kgz["value_text"], kgz["units"], kgz["dims"], kgz["indicators"]) == (
        "SDSN", "417", "KGZ", "2023", 2023, 70.25, "70.25", "SCORE", "", None)
    assert json.loads(kgz["attrs"]) == {"region": "E. Europe & C. Asia"}
    assert kgz["source"] == "SDSN, Sustainable Development Report 2023"
    goal9 = df.filter(pl.col("series") == "SDR_GOAL_9")
    assert goal9.select("value", "value_text").row(0) == (92.288, "92.288")
    afg = _sdsn(engine, ["AFG"])
    assert sorted(afg["series"].to_list()) == sorted(
        c for c, g in series_goals().items() if "TREND" not in c and g not in (10, 14))


def test_series_descriptions_and_no_indicator() -> None:
    batch = read_all(SdrReader(), EDITION)
    described = dict(zip(batch.series["code"], batch.series["description"], strict=True))
    assert described["SDR_INDEX"] == "SDSN SDG Index score (0-100)"
    assert described["SDR_GOAL_1"] == "SDSN goal 1 score (0-100)"
    assert len(described) == 18 and batch.series["indicators"].null_count() == 18
    assert set(batch.series["publisher"]) == {"SDSN"} and not any(batch.series["national"])
    trend = read_all(SdrReader(), TREND).series
    assert trend.filter(pl.col("code") == "SDR_TREND_GOAL_17")["description"].item() == (
        "SDSN goal 17 score (0-100), SDR back-cast series")


def test_the_back_cast_series_years_and_sdsn_groups(engine) -> None:
    report = ingest(engine, TREND)
    assert (report.rows_read, report.rows_loaded, report.areas) == (162, 162, 3)
    kgz = _sdsn(engine, series=["SDR_TREND_INDEX"])
    assert kgz.select("period", "value").rows() == [("2015", 68.0), ("2021", 69.5),
                                                    ("2022", 70.0)]
    world = _sdsn(engine, ["SDR_WORLD"], ["SDR_TREND_GOAL_14"])
    assert world.select("period", "value", "area_name").row(-1) == (
        "2022", 48.5, "World (SDSN SDR group)")


def test_both_files_load_side_by_side(engine) -> None:
    first = ingest(engine, EDITION)
    second = ingest(engine, TREND)
    assert (second.rows_loaded, second.rows_removed, second.rows_superseded) == (162, 0, 0)
    again = ingest(engine, EDITION)  # the same edition again: nothing changes
    assert again.release_id is None and again.rows_unchanged == first.rows_loaded
    assert _sdsn(engine).height == 17 + 3 * 18


def test_the_edition_from_the_option_or_the_file_name(engine, tmp_path: Path) -> None:
    odd = tmp_path / "sdr_scores.csv"
    shutil.copy(EDITION, odd)
    with pytest.raises(InputError) as err:
        list(SdrReader().read(odd))
    assert str(err.value) == (f"{odd}: cannot tell which SDR edition this is: the file name "
                              "holds no single 4-digit year. Pass the edition's year with "
                              "--edition, e.g. --edition 2023.")
    with pytest.raises(InputError, match="'23' is not a year"):
        list(SdrReader(edition="23").read(odd))
    report = ingest(engine, odd, reader=SdrReader(edition=2024))
    assert report.source == "SDSN, Sustainable Development Report 2024 (sdr_scores.csv)"
    assert set(_sdsn(engine)["period"]) == {"2024"}


def test_an_unknown_country_code_names_file_line_and_code(engine, tmp_path: Path) -> None:
    bad = tmp_path / "sustainable_development_report_2023.csv"
    bad.write_bytes(EDITION.read_bytes().replace(b"\r\nKGZ,", b"\r\nXKG,"))
    before = snapshot(engine)
    with pytest.raises(IngestRejected) as err:
        ingest(engine, bad)
    assert str(err.value).splitlines()[:2] == [
        "1 row(s) rejected; nothing was written.",
        f"  {bad}:3: country_code: unknown country code 'XKG': not an ISO 3166 alpha-3 code "
        "the store knows, nor an SDR group code (_World, _OECD, …)"]
    assert snapshot(engine) == before
    report = ingest(engine, bad, partial=True, rejects_path=tmp_path / "rejects.csv")
    assert (report.rows_loaded, report.rows_rejected) == (68 - 17, 1)
    assert "XKG" in (tmp_path / "rejects.csv").read_text(encoding="utf-8")


def test_an_unsd_assessment_is_unchanged_by_sdr_scores(engine, tmp_path: Path) -> None:
    ingest(engine, derived_slice(tmp_path / "s.csv", ("EG_ACS_ELEC", "SH_H2O_SAFE")))
    before = {m: assess(engine, m, ["CARSDG"]) for m in ("unsd", "sdsn")}
    ingest(engine, EDITION)
    ingest(engine, TREND)
    for method, old in before.items():
        new = assess(engine, method, ["CARSDG"])
        assert new.releases == old.releases == [1]
        assert new.results.equals(old.results)


def test_sdr_published_latest_year_per_area(engine) -> None:
    empty = sdr_published(engine, ["CARSDG"])
    assert empty.height == 0 and empty.schema == pl.Schema(PUBLISHED_SCHEMA)
    trend = ingest(engine, TREND).release_id
    only_trend = sdr_published(engine, ["KGZ"])
    assert set(only_trend["year"]) == {2022} and only_trend.height == 18
    assert only_trend.filter(pl.col("goal") == 14)["value"].item() == 0.0
    edition = ingest(engine, EDITION).release_id
    df = sdr_published(engine, ["KGZ", "SDR_WORLD"])
    assert df.columns == list(PUBLISHED_SCHEMA)
    kgz = df.filter(pl.col("area") == "417")
    # The edition (2023) is the latest: its scores, without goal 14 (blank in the edition).
    assert kgz["goal"].to_list() == [g for g in range(18) if g != 14]
    assert set(kgz["year"]) == {2023} and set(kgz["release"]) == {edition}
    assert kgz.row(0) == ("417", 0, 2023, 70.25, edition, "SDR_INDEX")
    world = df.filter(pl.col("area") == "SDR_WORLD")
    assert world.height == 18 and set(world["release"]) == {trend}
    assert world.row(0)[:4] == ("SDR_WORLD", 0, 2022, 62.0)
    assert set(sdr_published(engine, [])["area"]) == {"246", "417", "398", "4", "SDR_WORLD"}


def test_the_query_knows_the_reader_s_series() -> None:
    assert SDR_PUBLISHER == "SDSN"
    assert {c: g for c, (g, _) in SDR_SERIES.items()} == series_goals()


def test_formats_and_ingest_edition_on_the_command_line(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    assert "sdr" in runner.invoke(app, ["formats"]).output
    assert runner.invoke(app, ["init"]).exit_code == 0
    odd = tmp_path / "scores.csv"
    shutil.copy(EDITION, odd)
    result = runner.invoke(app, ["ingest", str(odd), "--edition", "2023"])
    assert result.exit_code == 0, result.output
    assert "SDSN, Sustainable Development Report 2023 (scores.csv) [sdr]" in result.output
    assert "read 68  loaded 68" in result.output


@pytest.mark.shared_data
def test_the_real_files(engine, shared: Path) -> None:
    edition = ingest(engine, shared / "sdr" / "sustainable_development_report_2023.csv")
    # 166 countries x 18 scores, less 72 blanks (goal 14 of landlocked countries, and others).
    assert (edition.rows_read, edition.rows_loaded, edition.rows_rejected, edition.areas,
            edition.series) == (2916, 2916, 0, 166, 18)
    trend = ingest(engine, shared / "sdr" / "sdg_index_2000-2022.csv")
    # 180 codes (166 countries, 14 SDSN groups) x 23 years x 18 scores, no blank.
    assert (trend.rows_read, trend.rows_loaded, trend.rows_removed, trend.areas) == (
        74520, 74520, 0, 180)
    index = sdr_published(engine, ["CARSDG"]).filter(pl.col("goal") == 0)
    assert dict(zip(index["area"], index["value"].round(2), strict=True)) == {
        "417": 74.41, "398": 71.65, "860": 71.15, "762": 69.19, "795": 68.47, "4": 49.01}
    assert set(index["year"]) == {2023} and set(index["release"]) == {edition.release_id}
    back = _sdsn(engine, ["KGZ"], ["SDR_TREND_INDEX"])
    assert back.filter(pl.col("year").is_in([2015, 2022]))["value"].to_list() == [72.0, 74.4]

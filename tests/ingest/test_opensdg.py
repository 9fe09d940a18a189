"""Open SDG tidy-CSV reader: the Kazakh and Kyrgyz platform files (real data), and broken copies
of the specimens in tests/data/opensdg (taken from them).

Expected row counts are counted here independently of the reader: non-blank physical lines
after the header (none of these files has a quoted line break), less rows with a blank Value.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterable
from pathlib import Path

import polars as pl
import pytest

from sdgbridge.errors import InputError
from sdgbridge.ingest.model import OBS_COLUMNS, SERIES_COLUMNS, Batch, parse_dims
from sdgbridge.ingest.readers.opensdg import OpenSdgReader, _flat_yaml, _slug
from tests.helpers import SHARED as DATA
from tests.helpers import SPECIMENS

KZ = DATA / "opensdg" / "kazakhstan"
KG = DATA / "opensdg" / "kyrgyzstan"
SPECIMEN_KZ = SPECIMENS / "opensdg" / "kazakhstan"
SPECIMEN_KG = SPECIMENS / "opensdg" / "kyrgyzstan"
KZ_NATIONAL = DATA / "sdg" / "national" / "kazakhstan_kazstat_open_sdg"
# Two files of the national folder have a row with a field missing (upstream data errors).
RAGGED = {
    "indicator_4-c-1-2.csv": (2, 3, 4),  # "2019,PT,32.8": the blank REF_AREA lost its comma
    "indicator_8-6-1.csv": (1199, 5, 6),  # "2023,PT,KZSHY,U,18.8": SEX or Value shifted
}
RAGGED_TEXT = ("{path}:{line}: row: {found} fields where the header has {expected}; every row "
               "needs one field per column (a blank cell still needs its comma)")


def expected_rows(path: Path) -> int:
    """Data rows counted without the reader: non-blank lines less blank-Value rows (a short
    row counts: the reader rejects it)."""
    lines = [ln for ln in path.read_text(encoding="utf-8-sig").splitlines()[1:] if ln.strip()]
    header = next(csv.reader([path.read_text(encoding="utf-8-sig").splitlines()[0]]))
    value = header.index("Value")
    return sum(1 for row in csv.reader(lines) if len(row) <= value or row[value].strip())


def by_file(batches: Iterable[Batch]) -> dict[str, Batch]:
    return {Path(b.observations["_file"][0]).name: b for b in batches if b.observations.height}


@pytest.fixture(scope="module")
def kz() -> dict:
    return by_file(OpenSdgReader().read(KZ))


@pytest.fixture(scope="module")
def kg() -> dict:
    return by_file(OpenSdgReader().read(KG / "data"))


def copy(src: Path, tmp_path: Path, platform: str = "kazakhstan") -> Path:
    dest = tmp_path / platform / "data" / src.name
    dest.parent.mkdir(parents=True)
    shutil.copyfile(src, dest)
    return dest


# --- the real files -------------------------------------------------------------------------

@pytest.mark.shared_data
def test_kazakhstan_folder_reads_every_file(kz):
    files = sorted((KZ / "data").glob("*.csv"))
    assert OpenSdgReader().files(KZ) == files and len(files) == 11
    assert sorted(kz) == [f.name for f in files]
    for f in files:
        assert kz[f.name].observations.height == expected_rows(f), f.name
        assert kz[f.name].observations.columns == list(OBS_COLUMNS)
    counts = {"indicator_1-1-1.csv": 979, "indicator_9-1-2.csv": 1452,
              "indicator_7-2-1.csv": 163, "indicator_17-11-1.csv": 14, "indicator_17-3-1.csv": 8}
    assert {n: kz[n].observations.height for n in counts} == counts


@pytest.mark.shared_data
def test_17_11_1_values_and_national_series(kz):
    batch = kz["indicator_17-11-1.csv"]
    obs = batch.observations
    # The definition change inside one series the README warns about: 36.0 then 1.1.
    assert obs.filter(pl.col("period").is_in(["2020", "2021"])).select(
        "period", "value", "area", "units", "series", "publisher", "dims", "_line").rows() == [
        ("2020", "36.0", "398", "PT", "KAZSTAT_17_11_1", "KAZSTAT", "", "12"),
        ("2021", "1.1", "398", "PT", "KAZSTAT_17_11_1", "KAZSTAT", "", "13")]
    assert batch.series.columns == list(SERIES_COLUMNS)
    row = batch.series.row(0, named=True)
    assert (row["code"], row["publisher"], row["national"], row["indicators"]) == (
        "KAZSTAT_17_11_1", "KAZSTAT", True, "17.11.1")
    assert row["description"] == ("Developing countries’ and least developed countries’ share "
                                  "of national exports")
    assert row["description_ru"].startswith("Доля развивающихся стран")


@pytest.mark.shared_data
def test_series_column_regions_and_dimensions(kz):
    batch = kz["indicator_1-1-1.csv"]
    obs = batch.observations
    assert obs.row(0, named=True) | {"_file": None} == dict.fromkeys(OBS_COLUMNS) | {
        "series": "_L_KZ_010101_1A@1-1-1", "publisher": "KAZSTAT", "area": "398", "period": "2011",
        "value": "0.1", "dims": "", "units": "PT", "_line": "2"}
    assert obs.filter(pl.col("_line") == "5")["dims"].to_list() == ["sex=M"]
    assert set(obs["series"]) == {f"_L_KZ_010101_1{x}@1-1-1" for x in "ABC"}
    assert batch.series["national"].to_list() == [True] * 3
    assert batch.series.filter(pl.col("code") == "_L_KZ_010101_1A@1-1-1")["description"].item() == (
        "Proportion of population with purchasing-power parity income under USD 1,9; 3,2; 5,5 "
        "PPP per day: 1.9 US dollars per day (based on PPP)")
    almaty = next(a for a in batch.areas if a["code"] == "KZALM")
    assert almaty == {"code": "KZALM", "name_en": "Almaty", "name_ru": "Алматинская",
                      "kind": "subnational", "parent": "398", "source": "KAZSTAT Open SDG"}
    assert {"F", "M"} <= batch.codelists["sex"] and "398" in batch.codelists["area"]
    assert all(parse_dims(d).keys() <= {"sex", "urbanisation"} for d in obs["dims"])


@pytest.mark.shared_data
def test_blank_series_cells_get_the_national_code(kz):
    batch = kz["indicator_9-1-2.csv"]
    counts = dict(batch.observations["series"].value_counts().rows())
    assert counts["KAZSTAT_9_1_2"] == 462  # headline rows: SERIES left blank
    # An upstream typo kept as written; the declared codes let the validator reject it.
    assert counts["_L_KZ_090102_1 I@9-1-2"] == 3
    assert "_L_KZ_090102_1 I" not in batch.codelists["series"]
    assert {"_L_KZ_090102_1I", "KAZSTAT_9_1_2"} <= batch.codelists["series"]


@pytest.mark.shared_data
def test_kyrgyzstan_csvs_read(kg):
    files = sorted((KG / "data").glob("*.csv"))
    assert OpenSdgReader().files(KG) == files and len(files) == 6  # the .xml files are not ours
    counts = {"1-4-1.csv": 132, "1-5-1.csv": 510, "1-5-4.csv": 15, "10-3-1.csv": 64,
              "15-1-2.csv": 6, "4-1-2.csv": 122}
    assert {f.name: kg[f.name].observations.height for f in files} == counts
    assert {f.name: expected_rows(f) for f in files} == counts
    for batch in kg.values():
        assert set(batch.observations["publisher"]) == {"KG_NSC"}
        assert all(d == "" or d.isascii() for d in
                   batch.observations["dims"].str.replace_all(r"=[^;]*", ""))


@pytest.mark.shared_data
def test_kyrgyz_territories_and_russian_headers(kg):
    batch = kg["1-5-1.csv"]
    obs = batch.observations
    # "Кыргызская Республика" is the country; "г.Бишкек" is the DSD's "г. Бишкек" (KG11).
    assert obs.filter(pl.col("_line") == "2").select("area", "value", "dims").row(0) == (
        "417", "93", "")
    assert sorted(set(obs["area"])) == ["417", "KG02", "KG03", "KG04", "KG05", "KG06", "KG07",
                                        "KG08", "KG11", "KG21"]
    batken = next(a for a in batch.areas if a["code"] == "KG05")
    assert batken == {"code": "KG05", "name_en": "Batken", "name_ru": "Баткенская область",
                      "kind": "subnational", "parent": "417", "source": "KG_NSC Open SDG"}
    assert set(obs["dims"]) == {"", "sex=Мужчины", "sex=Женщины"}  # values as written
    dims = set().union(*(parse_dims(d) for d in kg["10-3-1.csv"].observations["dims"]))
    assert dims == {"urbanisation", "age", "education_lev", "functional_difficulty",
                    "income_wealth_quantile"}


@pytest.mark.shared_data
def test_kyrgyz_measures_become_series(kg):
    series = kg["1-5-4.csv"].series
    assert series.select("code", "description_ru").rows() == [
        ("SG_DSR_SILN", "Число местных органов власти, принявших и осуществляющих местные DRR "
                        "стратегии по снижению риска бедствий в соответствии с национальными "
                        "стратегиями"),
        ("SG_DSR_SILS", "Доля местных органов власти, принявших и осуществляющих местные "
                        "стратегии снижения риска бедствий"),
        ("SG_GOV_LOGV", "Число местных органов власти")]
    assert series["publisher"].to_list() == ["KG_NSC"] * 3 and all(series["national"])
    # Not in the DSD: national code plus a hash of the text.
    codes = kg["4-1-2.csv"].series.select("code", "description", "description_ru").rows()
    assert codes[1] == ("KG_NSC_4_1_2_5A47EE", "KG_NSC national indicator 4.1.2",
                        "Процент завершения начального образования")
    assert kg["1-5-1.csv"].series["code"].to_list() == ["KG_NSC_1_5_1"]


@pytest.mark.slow
@pytest.mark.shared_data
def test_kazakhstan_national_folder():
    reader = OpenSdgReader()
    files = reader.files(KZ_NATIONAL)
    assert len(files) == 273 and not any(f.suffix == ".xlsx" for f in files)
    plat = reader.platform(KZ_NATIONAL)
    assert (plat.publisher, plat.country) == ("KAZSTAT", "398")
    total, empty, rejected = 0, [], {}
    for f in files:
        batch = next(reader.read(f))
        if batch.rejections:
            rejected[f.name] = batch.rejections
        assert batch.observations.height + len(batch.rejections) == expected_rows(f), f.name
        if batch.observations.is_empty():  # a header only: no data yet, no series declared
            empty.append(f.name)
            assert batch.series.is_empty() and batch.areas == []
        else:
            assert set(batch.observations["publisher"]) == {"KAZSTAT"}
            assert batch.series["national"].all()
        total += batch.observations.height
    assert sorted(rejected) == sorted(RAGGED)
    for name, (line, found, expected) in RAGGED.items():
        first = rejected[name][0]
        assert str(first) == RAGGED_TEXT.format(path=KZ_NATIONAL / name, line=line,
                                                found=found, expected=expected)
    assert total + sum(map(len, rejected.values())) == 45_585
    assert len(empty) == 67 and "indicator_1-4-1.csv" in empty


@pytest.mark.shared_data
def test_national_folder_ingest_rejects_ragged_rows_unless_partial(engine, tmp_path):
    from sdgbridge.errors import IngestRejected
    from sdgbridge.ingest.load import ingest
    from tests.helpers import snapshot

    before = snapshot(engine)
    with pytest.raises(IngestRejected) as err:
        ingest(engine, KZ_NATIONAL)
    first = str(err.value).splitlines()[:2]
    assert first[0].endswith("row(s) rejected; nothing was written.")
    assert first[1] == "  " + RAGGED_TEXT.format(path=KZ_NATIONAL / "indicator_4-c-1-2.csv",
                                                 line=2, found=3, expected=4)
    assert snapshot(engine) == before
    report = ingest(engine, KZ_NATIONAL, partial=True, rejects_path=tmp_path / "rej.csv")
    assert report.rows_read == 45_585
    assert report.rows_loaded == 45_585 - report.rows_rejected - report.rows_repeated
    assert report.rows_rejected == 237 and report.rows_repeated == 55


@pytest.mark.shared_data
def test_national_folder_quirks():
    reader = OpenSdgReader()
    plat = reader.platform(KZ_NATIONAL)  # one platform for the files read below
    # Four empty unnamed columns after Value: skipped, the file still reads.
    assert reader._read_file(KZ_NATIONAL / "indicator_1-4-2.csv", plat).observations.height == 558
    # A byte-order mark before "Year".
    assert reader._read_file(KZ_NATIONAL / "indicator_5-5-2.csv", plat).observations.height == 2375
    # Values with spaces are kept as written.
    obs = reader._read_file(KZ_NATIONAL / "indicator_10-7-4.csv", plat).observations
    assert " 14.6" in obs["value"].to_list()
    # GeoCode beside REF_AREA: an attribute; national sub-indicator 17.3.1.2.
    batch = reader._read_file(KZ_NATIONAL / "indicator_17-3-1-2.csv", plat)
    row = batch.observations.filter(pl.col("area") == "KZAKM").row(0, named=True)
    assert (row["attrs"], row["series"]) == ('{"GeoCode":"KZ03"}', "KAZSTAT_17_3_1_2")
    assert batch.series.select("code", "description", "indicators").row(0) == (
        "KAZSTAT_17_3_1_2", "KAZSTAT national indicator 17.3.1.2", "17.3.1")
    # Blank lines between rows do not shift the line numbers.
    obs = reader._read_file(KZ_NATIONAL / "indicator_11-6-2.csv", plat).observations
    assert obs["_line"].to_list()[598:600] == ["600", "605"]  # lines 601-604 are empty


@pytest.mark.shared_data
def test_handles():
    assert OpenSdgReader.handles(KZ / "data" / "indicator_17-11-1.csv")
    assert OpenSdgReader.handles(KZ) and OpenSdgReader.handles(KZ / "data")
    assert OpenSdgReader.handles(KG / "data" / "1-5-1.csv") and OpenSdgReader.handles(KG)
    assert OpenSdgReader.handles(KZ_NATIONAL)
    assert not OpenSdgReader.handles(KZ / "meta" / "17-11-1.yml")
    assert not OpenSdgReader.handles(KG / "data" / "7.1.1.xml")
    assert not OpenSdgReader.handles(KZ_NATIONAL / "indicator_3-1-1.xlsx")


# --- broken copies --------------------------------------------------------------------------

def test_truncated_mid_row(tmp_path):
    path = copy(SPECIMEN_KZ / "data" / "indicator_17-11-1.csv", tmp_path)
    text = path.read_text(encoding="utf-8")
    last = text.rstrip("\n").rindex("\n") + 1
    assert text[last:] == "2023,PT,1.2\n"
    path.write_text(text[:last + 6], encoding="utf-8")  # "2023,P"
    batch = next(OpenSdgReader().read(path))
    assert [str(r) for r in batch.rejections] == [
        RAGGED_TEXT.format(path=path, line=11, found=2, expected=3)
        + "; this is the last row: the file may be truncated"]
    assert batch.observations.height == 9


def test_truncated_mid_character(tmp_path):
    path = copy(SPECIMEN_KG / "data" / "1-5-1.csv", tmp_path, "kyrgyzstan")
    raw = path.read_bytes()
    cut = len(raw) - len("Женщины,0".encode()) + 1  # inside the two bytes of "Ж"
    path.write_bytes(raw[:cut])
    with pytest.raises(InputError) as err:
        list(OpenSdgReader().read(path))
    assert str(err.value) == (f"{path}: line 25: the file ends in the middle of a character "
                              f"(byte {cut - 1}); it looks truncated. Download it again.")


def test_truncated_inside_quotes(tmp_path):
    path = copy(SPECIMEN_KG / "data" / "15-1-2.csv", tmp_path, "kyrgyzstan")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.rindex('"') - 10], encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(OpenSdgReader().read(path))
    assert str(err.value) == (f"{path}: line 4: unexpected end of data (a quoted field is not "
                              "closed; the file may be truncated).")


def test_cp1251_file(tmp_path):
    path = copy(SPECIMEN_KG / "data" / "1-5-1.csv", tmp_path, "kyrgyzstan")
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1251"))
    assert OpenSdgReader.handles(path)  # so that the user gets the message below
    with pytest.raises(InputError) as err:
        list(OpenSdgReader().read(path))
    assert type(err.value) is InputError
    assert str(err.value) == (f"{path}: line 1: byte 5 (0xD2) is not valid UTF-8. Save the file "
                              "as UTF-8 (Excel: Save As > CSV UTF-8).")


def test_header_without_value(tmp_path):
    path = copy(SPECIMEN_KZ / "data" / "indicator_17-11-1.csv", tmp_path)
    path.write_text(path.read_text().replace("Year,UNIT_MEASURE,Value", "Year,UNIT_MEASURE,OBS"))
    assert not OpenSdgReader.handles(path)
    with pytest.raises(InputError) as err:
        list(OpenSdgReader().read(path))
    assert str(err.value) == (f"{path}: line 1: not an Open SDG data file: the header must start "
                              "with Year and end with Value (found: Year, UNIT_MEASURE, OBS).")


def test_ragged_row(tmp_path):
    path = copy(SPECIMEN_KZ / "data" / "indicator_17-11-1.csv", tmp_path)
    lines = path.read_text().splitlines()
    lines[4] += ",extra"
    path.write_text("\n".join(lines) + "\n")
    batch = next(OpenSdgReader().read(path.parent))
    assert [str(r) for r in batch.rejections] == [
        RAGGED_TEXT.format(path=path, line=5, found=4, expected=3)]


def test_blank_values_dropped_and_counted(tmp_path):
    path = copy(SPECIMEN_KZ / "data" / "indicator_17-11-1.csv", tmp_path)
    path.write_text(path.read_text().replace("2020,PT,36.0", "2020,PT,").replace(
        "2021,PT,1.1", "2021,PT,  "))
    reader = OpenSdgReader()
    obs = next(reader.read(path.parent.parent)).observations
    assert obs.height == 8 and reader.skipped_blank == 2
    assert "8" not in obs["_line"].to_list() and "10" in obs["_line"].to_list()


def test_unnamed_column_with_data(tmp_path):
    path = tmp_path / "kazakhstan" / "indicator_1-2-1.csv"
    path.parent.mkdir()
    path.write_text("Year,SEX,,,Value\n2020,F,x,,1.5\n2021,,,,2\n")
    obs = next(OpenSdgReader().read(path)).observations
    assert obs.select("period", "dims", "value").rows() == [
        ("2020", "column_3=x;sex=F", "1.5"), ("2021", "", "2")]


def test_unknown_platform_needs_publisher(tmp_path):
    path = tmp_path / "platform" / "data" / "indicator_1-2-1.csv"
    path.parent.mkdir(parents=True)
    path.write_text("Year,REF_AREA,Value\n2020,,1\n2020,TJ-DU,2\n")
    with pytest.raises(InputError) as err:
        list(OpenSdgReader().read(path))
    assert str(err.value) == (
        f"{path}: cannot tell which national platform this is. Pass --publisher (the "
        "statistical office, e.g. KAZSTAT) and --country (its M49 code, e.g. 398).")
    with pytest.raises(InputError, match="--country"):
        list(OpenSdgReader(publisher="XSTAT").read(path))
    batch = next(OpenSdgReader(publisher="TAJSTAT").read(path.parent.parent))
    assert batch.observations["area"].to_list() == ["762", "TJ-DU"]
    assert batch.areas[0]["name_en"] == "TJ-DU" and batch.codelists == {}
    batch = next(OpenSdgReader(publisher="ARMSTAT", country="051").read(path))
    assert batch.observations["area"].to_list() == ["51", "TJ-DU"]
    assert batch.series.row(0) == ("ARMSTAT_1_2_1", "ARMSTAT", "ARMSTAT national indicator "
                                   "1.2.1", None, True, "1.2.1")


def test_flat_yaml_and_slug(tmp_path):
    path = tmp_path / "x.yml"
    path.write_text("A: plain\nB: 'it''s: quoted\n  and folded'\n'C D': \"tab\\tand \\\"q\\\"\"\n"
                    "E: long plain\n  text\n# comment\nF:\n", encoding="utf-8")
    assert _flat_yaml(path) == {"A": "plain", "B": "it's: quoted and folded",
                                "C D": 'tab\tand "q"', "E": "long plain text", "F": ""}
    assert _flat_yaml(tmp_path / "missing.yml") == {}
    assert _slug("Область учёта (всего)") == "oblast_ucheta_vsego"

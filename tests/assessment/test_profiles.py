"""Method profiles (``sdgbridge.assessment.profiles``): the shipped SDR 2025 profile, and the
loader's errors, each naming the file, the line and the column."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sdgbridge.assessment.profiles import load_profile, shipped
from sdgbridge.errors import ConfigError, InputError
from sdgbridge.reference.landlocked import landlocked, landlocked_areas

HEADER = "series,goal,ref,direction,optimum,lower,green,red,counts,reason"
TOML = 'name = "mine"\nversion = "mine.1"\nmethod = "sdsn"\ntitle = "My profile"\n'


def make(tmp_path: Path, rows: list[str], header: str = HEADER, toml: str = TOML) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir(parents=True)
    (folder / "profile.toml").write_text(toml, encoding="utf-8")
    (folder / "series.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return folder


def test_shipped_sdr_2025() -> None:
    assert "sdr-2025" in shipped()
    prof = load_profile("sdr-2025", method="sdsn", require=("optimum", "lower"))
    assert (prof.name, prof.method, prof.min_year) == ("sdr-2025", "sdsn", 2015)
    assert prof.version.startswith("sdr-2025.")
    frame = prof.series
    assert frame["series"].is_unique().all()
    assert frame.filter(pl.col("reason").str.len_chars() < 20).height == 0
    # Under-5 mortality: SDR's sdg3_u5mort, optimum 2.6, lower bound 130.1 (codebook).
    u5 = frame.filter(pl.col("series") == "SH_DYN_MORT").row(0, named=True)
    assert (u5["ref"], u5["goal"], u5["direction"], u5["optimum"], u5["lower"], u5["counts"]) \
        == ("sdg3_u5mort", 3, "lower", 2.6, 130.1, True)
    # An absolute count is listed with its reason, and does not count.
    co2 = frame.filter(pl.col("series") == "EN_ATM_CO2").row(0, named=True)
    assert not co2["counts"] and "absolute" in co2["reason"]
    # Every counted series has bounds in the codebook's direction.
    counted = frame.filter(pl.col("counts"))
    assert counted.filter(pl.col("optimum").is_null() | pl.col("lower").is_null()).height == 0
    assert prof.basket().height <= prof.counted().height


def test_loader_reads_a_folder_and_derives_direction(tmp_path: Path) -> None:
    folder = make(tmp_path, ["A,3,x,,10,50,20,30,yes,lower is better here",
                             "B,14,,,,,,,no,kept out: another measure"])
    prof = load_profile(folder)
    assert prof.series["direction"].to_list() == ["lower", None]
    assert prof.series["basket"].to_list() == [True, False]  # empty basket = counts
    assert prof.counted().to_dicts() == [{"series": "A", "goal": 3}]
    assert prof.folder == str(folder) and len(prof.sha256) == 64


@pytest.mark.parametrize(("rows", "where", "what"), [
    (["A,3,x,,10,50,20,30,maybe,r"], "line 2, column counts", "yes or no"),
    (["A,18,x,,10,50,20,30,yes,r"], "line 2, column goal", "1-17"),
    (["A,3,x,,ten,50,20,30,yes,r"], "line 2, column optimum", "not a number"),
    (["A,3,x,higher,10,50,20,30,yes,r"], "line 2, column direction", "'lower' is better"),
    (["A,3,x,,10,10,20,30,yes,r"], "line 2, column optimum", "no span"),
    (["A,3,x,,10,50,20,30,yes,"], "line 2, column reason", "empty"),
    (["A,3,x,,10,50,20,30,yes,r", "A,4,x,,10,50,20,30,yes,r"], "line 3, column series",
     "already on line 2"),
    (["A,3,x,,10,50,20,30,yes,r", "B,3,x,,,50,20,30,yes,r"], "line 3, column optimum",
     "the series counts"),
])
def test_loader_errors_name_file_line_and_column(tmp_path: Path, rows: list[str], where: str,
                                                 what: str) -> None:
    folder = make(tmp_path, rows)
    with pytest.raises(InputError, match=what) as err:
        load_profile(folder, require=("optimum", "lower"))
    assert f"{folder / 'series.csv'}, {where}" in str(err.value)


def test_match_column(tmp_path: Path) -> None:
    """``match``: same / proxy / different, empty = not stated; a different measure cannot
    count; the shipped profile marks its two counted proxies."""
    header = HEADER + ",match"
    folder = make(tmp_path, ["A,3,x,,10,50,20,30,yes,r,proxy", "B,3,x,,10,50,20,30,yes,r,",
                             "C,3,,,,,,,no,r,Different"], header=header)
    assert load_profile(folder).series["match"].to_list() == ["proxy", None, "different"]
    for cell, what in (("near", "write same, proxy, different"), ("different", "cannot")):
        bad = make(tmp_path / cell, [f"A,3,x,,10,50,20,30,yes,r,{cell}"], header=header)
        with pytest.raises(InputError, match=what) as err:
            load_profile(bad)
        assert "line 2, column match" in str(err.value)
    shipped_rows = load_profile("sdr-2025").series
    proxies = shipped_rows.filter(pl.col("counts") & (pl.col("match") == "proxy"))
    assert sorted(proxies["series"]) == ["EN_ATM_PM25", "SH_ACS_DTP3"]
    assert shipped_rows["match"].null_count() == 0
    assert shipped_rows.filter(pl.col("counts") & (pl.col("match") == "different")).height == 0


def test_loader_header_and_toml_errors(tmp_path: Path) -> None:
    folder = make(tmp_path, ["A,3,yes"], header="series,goal,counts")
    with pytest.raises(InputError, match=r"series.csv, line 1: missing column\(s\) reason"):
        load_profile(folder)
    other = make(tmp_path / "x", ["A,3,yes,r"], header="series,goal,counts,reason",
                 toml='name = "m"\nversion = "m.1"\nmethod = "unsd"\ntitle = "t"\n')
    with pytest.raises(ConfigError, match="for method 'unsd', not 'sdsn'"):
        load_profile(other, method="sdsn")
    bad = make(tmp_path / "y", ["A,3,yes,r"], header="series,goal,counts,reason",
               toml='name = "m"\nmethod = "sdsn"\ntitle = "t"\n')
    with pytest.raises(InputError, match="profile.toml: missing or empty key.*version"):
        load_profile(bad)
    with pytest.raises(ConfigError, match="No profile 'nowhere'"):
        load_profile("nowhere")


def test_landlocked_list() -> None:
    frame = landlocked()
    assert frame.height == 44
    assert frame.filter(pl.col("group") == "LLDC").height == 32
    # The Centre's six are all landlocked; Belarus (not an LLDC) is in, Ukraine is not.
    assert {"398", "417", "762", "795", "860", "4", "112"} <= landlocked_areas()
    assert "804" not in landlocked_areas()


@pytest.mark.shared_data
def test_landlocked_equals_sdr_2023_without_goal_14(shared: Path) -> None:
    """SDSN's own landlocked set: the countries SDR 2023 gives no goal-14 score."""
    sdr = pl.read_csv(shared / "sdr" / "sustainable_development_report_2023.csv")
    blank = set(sdr.filter(pl.col("goal_14_score").is_null())["country_code"])
    ours = set(landlocked()["iso3"]) & set(sdr["country_code"])
    assert ours == blank and len(blank) == 40

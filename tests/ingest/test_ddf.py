from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from sdgbridge.errors import IngestRejected, InputError, NoReader
from sdgbridge.ingest.load import ingest
from sdgbridge.ingest.readers.ddf import DdfReader
from sdgbridge.ingest.registry import get_reader
from sdgbridge.query import ObservationQuery, export_frame, query_observations
from tests.helpers import SAMPLE_SERIES, datapoint_file, ddf_sample, snapshot


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return ddf_sample(tmp_path / "ddf")


def _source_rows(folder: Path) -> int:
    return sum(datapoint_file(folder, s).read_text(encoding="utf-8").count("\n") - 1
               for s in SAMPLE_SERIES)


def test_registry_picks_ddf_for_the_package(sample: Path) -> None:
    assert isinstance(get_reader(sample), DdfReader)


def test_registry_refuses_unknown_input(tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("hello\n")
    with pytest.raises(NoReader) as err:
        get_reader(odd)
    assert str(err.value) == (
        f"{odd}: no reader recognises this input (tried ddf, sdg_api, opensdg, sdmx, sdr, values). "
        "Name the format with --format, or see `sdgbridge formats`.")


def test_sample_ingests_without_rejects_and_exports_every_value_exactly(
        engine, sample: Path, tmp_path: Path) -> None:
    report = ingest(engine, sample)
    assert report.rows_rejected == 0
    assert report.rows_loaded == report.rows_read == _source_rows(sample)
    df = query_observations(engine, ObservationQuery(series=["SI_POV_DAY1"], areas=["1", "398",
                                                                                     "4"]))
    src = pl.read_csv(datapoint_file(sample, "si_pov_day1"), infer_schema=False)
    src = src.filter(pl.col("geo_area").is_in(["1", "398", "4"]))
    assert df.height == src.height
    out = export_frame(df, tmp_path / "out.csv")
    exported = pl.read_csv(out, infer_schema=False)
    got = sorted(zip(exported["area"], exported["period"], exported["age"], exported["sex"],
                     exported["location"], exported["value_text"], strict=True))
    code = {d: _entity(sample, d) for d in ("age", "sex", "location")}
    want = sorted((r["geo_area"], r["year"], code["age"][r["age"]], code["sex"][r["sex"]],
                   code["location"][r["location"]], r["si_pov_day1"])
                  for r in src.iter_rows(named=True))
    assert got == want


def _entity(folder: Path, dim: str) -> dict[str, str]:
    with (folder / f"ddf--entities--{dim}.csv").open(encoding="utf-8") as fh:
        return {r[dim]: r["name"] for r in csv.DictReader(fh)}


def test_every_sample_value_round_trips_as_text(engine, sample: Path) -> None:
    ingest(engine, sample)
    df = query_observations(engine, ObservationQuery(series=["EN_MAT_FTPRPC"], areas=[]))
    with datapoint_file(sample, "en_mat_ftprpc").open(encoding="utf-8") as fh:
        source = sorted(r["en_mat_ftprpc"] for r in csv.DictReader(fh))
    assert sorted(df["value_text"].to_list()) == source


def _rewrite(path: Path, old: str, new: str, count: int = 1) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, count), encoding="utf-8")


def test_unknown_code_is_rejected_with_its_line_and_nothing_is_written(engine,
                                                                       sample: Path) -> None:
    f = datapoint_file(sample, "si_pov_day1")
    _rewrite(f, "15_64,8,allarea,g,bothsex", "15_64,8,allarea,g,bothsexx")
    before = snapshot(engine)
    with pytest.raises(IngestRejected) as err:
        ingest(engine, sample)
    assert str(err.value).splitlines()[:2] == [
        "1 row(s) rejected; nothing was written.",
        f"  {f}:2: dims: unknown sex code 'bothsexx'; the source's code list for sex has no "
        "such code"]
    assert snapshot(engine) == before


def test_non_numeric_value_and_bad_year_are_rejected(engine, sample: Path) -> None:
    f = datapoint_file(sample, "si_pov_day1")
    _rewrite(f, "bothsex,percent,2018,0.05629", "bothsex,percent,2018,abc")
    _rewrite(f, "bothsex,percent,2020,0.01869", "bothsex,percent,20x0,0.01869")
    before = snapshot(engine)
    with pytest.raises(IngestRejected) as err:
        ingest(engine, sample)
    lines = str(err.value).splitlines()
    assert lines[0] == "2 row(s) rejected; nothing was written."
    assert lines[1] == (f"  {f}:2: value: non-numeric value 'abc'; give a number, a qualified "
                        "number such as <0.5, or NaN for a missing value")
    assert lines[2] == (f"  {f}:3: period: '20x0' is not a period; write a year such as 2015 "
                        "(or 2010-2012)")
    assert snapshot(engine) == before


def test_exact_repeat_is_merged(engine, sample: Path) -> None:
    f = datapoint_file(sample, "ag_fls_index")
    lines = f.read_text(encoding="utf-8").splitlines()
    f.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    report = ingest(engine, sample)
    assert (report.rows_repeated, report.rows_rejected) == (1, 0)
    assert report.rows_loaded == report.rows_read - 1


def test_duplicated_key_is_rejected(engine, sample: Path) -> None:
    f = datapoint_file(sample, "ag_fls_index")
    lines = f.read_text(encoding="utf-8").splitlines()
    conflicting = lines[1].rsplit(",", 1)[0] + ",1234.5"
    f.write_text("\n".join([*lines, conflicting]) + "\n", encoding="utf-8")
    with pytest.raises(IngestRejected) as err:
        ingest(engine, sample)
    msg = str(err.value).splitlines()
    assert msg[0] == "2 row(s) rejected; nothing was written."
    assert msg[1] == (f"  {f}:2: key: duplicate key: the same series, area, period, dimensions "
                      f"and units appear 2 times (first at {f}:2); keep one row")
    assert snapshot(engine)["observation"] == 0


def test_truncated_file_names_the_line(engine, sample: Path) -> None:
    f = datapoint_file(sample, "sh_h2o_safe")
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2].rsplit(b",", 2)[0])
    before = snapshot(engine)
    with pytest.raises(InputError) as err:
        ingest(engine, sample)
    n = data[: len(data) // 2].rsplit(b",", 2)[0].count(b"\n") + 1
    assert str(err.value) == (f"{f}:{n}: 1 fields where the header has 6. The file is broken "
                              "(truncated or badly quoted); fetch it again.")
    assert snapshot(engine) == before


def test_wrong_encoding_names_line_and_byte(engine, sample: Path) -> None:
    f = datapoint_file(sample, "ag_fls_index")
    f.write_bytes(f.read_bytes().replace(b"\n", "\nÅ".encode("latin-1"), 1))
    with pytest.raises(InputError) as err:
        ingest(engine, sample)
    assert str(err.value) == (f"{f}:2: not UTF-8 (byte 0xc5 at column 1). Save the file as "
                              "UTF-8 and load it again.")
    assert snapshot(engine)["release"] == 0


def test_partial_load_writes_rejects_file(engine, sample: Path, tmp_path: Path) -> None:
    f = datapoint_file(sample, "si_pov_day1")
    _rewrite(f, "bothsex,percent,2018,0.05629", "bothsex,percent,2018,abc")
    rejects = tmp_path / "rejects.csv"
    report = ingest(engine, sample, partial=True, rejects_path=rejects)
    assert report.rows_rejected == 1
    assert report.rows_loaded == _source_rows(sample) - 1
    with rejects.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["line"], r["field"], r["value"]) for r in rows] == [("2", "value", "abc")]
    assert rows[0]["file"] == str(f)

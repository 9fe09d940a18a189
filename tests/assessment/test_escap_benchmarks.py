"""ESCAP's regional benchmarks: the target of series without one, from the region's best
performers (``sdgbridge.assessment.benchmarks``). Expected numbers are worked out by hand."""

from __future__ import annotations

import copy
from pathlib import Path

import polars as pl
import pytest

from sdgbridge.assessment.benchmarks import (
    BENCHMARK_COLUMNS,
    SOURCES,
    absolute_series,
    benchmarks_from_observations,
    load_benchmarks,
    with_benchmarks,
)
from sdgbridge.assessment.inputs import load_targets
from sdgbridge.assessment.methods.escap import assess_escap, load_params
from sdgbridge.reference.escap import escap_members, escap_region
from tests.helpers import make_obs, make_targets

OBS = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64}
SIX = ("398", "417", "762", "795", "860", "4")


def region(series: str, values: list[float], year: int = 2015) -> list[tuple]:
    """One value per country A, B, C… in ``year``."""
    return [(series, chr(65 + i), year, v) for i, v in enumerate(values)]


def targets(*rows: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"series": pl.Utf8, "direction": pl.Utf8}, orient="row")


def test_benchmark_is_the_mean_of_the_five_best_hand_worked() -> None:
    p = load_params()  # top_n 5, min_countries 10, base year 2015 ± 5
    rows = region("UP", [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 5, 15])
    rows += region("DOWN", [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 5, 15])
    rows += region("FEW", [1, 2, 3, 4, 5, 6, 7, 8, 9])              # 9 countries < 10
    rows += region("FLAT", [100.0] * 12)                             # no spread
    rows += region("COUNT", list(range(12)))                         # absolute: none
    rows += [("UP", "A", 2010, 999.0), ("UP", "B", 2031, 999.0)]     # farther / past 2030
    obs = pl.DataFrame(rows, schema=OBS, orient="row")
    t = targets(("UP", "higher"), ("DOWN", "lower"), ("FEW", "higher"), ("FLAT", "higher"),
                ("COUNT", "higher"))
    limits = pl.DataFrame({"series": ["UP", "DOWN"], "lower_limit": [0.0, 0.0],
                           "upper_limit": [100.0, 100.0]})
    b = {r["series"]: r for r in benchmarks_from_observations(obs, t, {"COUNT"}, p, limits)
         .iter_rows(named=True)}
    # UP: the 5 highest of 12 values are 100, 90, 80, 70, 60 -> 80; all 12: 570 / 12 (A is
    # 10 in 2015, not 999 in 2010; B's 2031 value is past the window).
    assert b["UP"]["benchmark"] == pytest.approx(80.0) and b["UP"]["n_countries"] == 12
    assert b["UP"]["region_mean"] == pytest.approx(570 / 12) and b["UP"]["note"] is None
    # DOWN: the 5 lowest are 5, 10, 15, 20, 30 -> 16.
    assert b["DOWN"]["benchmark"] == pytest.approx(16.0)
    assert "5 lowest of 12" in b["DOWN"]["how"] and "limit" not in b["DOWN"]["how"]
    assert b["FEW"]["benchmark"] is None and "fewer than 10" in b["FEW"]["note"]
    assert b["FLAT"]["benchmark"] is None and "no better" in b["FLAT"]["note"]
    assert b["COUNT"]["benchmark"] is None and "absolute" in b["COUNT"]["note"]
    assert list(b["UP"]) == list(BENCHMARK_COLUMNS)


def test_base_value_is_the_nearest_year_ties_to_the_later() -> None:
    p = copy.deepcopy(load_params())
    p["benchmark"] |= {"top_n": 1, "min_countries": 2}
    # A: 2013 and 2017 are equally near 2015 -> 2017 (40); B: only 2009, 6 years off -> none;
    # C: 2014 (10). The best of A (40) and C (10), higher better -> 40; mean 25.
    obs = pl.DataFrame([("S", "A", 2013, 90.0), ("S", "A", 2017, 40.0), ("S", "B", 2009, 99.0),
                        ("S", "C", 2014, 10.0)], schema=OBS, orient="row")
    row = benchmarks_from_observations(obs, targets(("S", "higher")), set(), p).row(
        0, named=True)
    assert (row["benchmark"], row["n_countries"], row["region_mean"]) == (40.0, 2, 25.0)


def test_best_at_the_natural_limit_is_said() -> None:
    p = load_params()
    obs = pl.DataFrame(region("Z", [0, 0, 0, 0, 0, 1, 2, 3, 4, 5]), schema=OBS, orient="row")
    limits = pl.DataFrame({"series": ["Z"], "lower_limit": [0.0], "upper_limit": [None]})
    row = benchmarks_from_observations(obs, targets(("Z", "lower")), set(), p, limits).row(
        0, named=True)
    assert row["benchmark"] == 0.0 and "at the natural limit 0" in row["how"]


def bench(series: str = "S", direction: str = "higher", value: float = 80.0) -> pl.DataFrame:
    return pl.DataFrame({"series": [series], "direction": [direction], "benchmark": [value]})


def test_the_target_table_wins_and_the_direction_must_agree() -> None:
    table = pl.concat([make_targets("higher", 90.0, "T"), make_targets("higher", None, "R"),
                       make_targets("higher", None, "S"), make_targets("lower", None, "D"),
                       make_targets("higher", None, "N")]).with_columns(
        relative=pl.when(pl.col("series") == "R").then(2.0))
    b = pl.concat([bench("T"), bench("R"), bench("S"), bench("D")])
    out = {r["series"]: (r["target"], r["target_source"])
           for r in with_benchmarks(table, b).iter_rows(named=True)}
    assert out == {"T": (90.0, SOURCES["table"]), "R": (None, SOURCES["relative"]),
                   "S": (80.0, SOURCES["benchmark"]), "D": (None, None), "N": (None, None)}


def test_the_method_assesses_against_the_benchmark_hand_worked() -> None:
    # Higher is better, no target in the table, benchmark 80. 2015: 40, 2020: 50.
    # CSI = (50 - 40) / (80 - 40) = 0.25 < expected (2020 - 2015) / 15 = 1/3: behind.
    # Two points: the line through them gives 2030: 70; API = (70 - 40) / 40 = 0.75.
    obs = make_obs({2015: 40, 2020: 50})
    r = assess_escap(obs, make_targets("higher", None), None, bench()).row(0, named=True)
    assert r["target"] == 80.0 and r["target_source"] == SOURCES["benchmark"]
    assert r["csi"] == pytest.approx(0.25) and r["csi_expected"] == pytest.approx(1 / 3)
    assert r["projected_2030"] == pytest.approx(70.0) and r["api"] == pytest.approx(0.75)
    assert r["status"] == "Accelerate progress to achieve target"
    # Already beyond the region's best in 2015 and still there: on track.
    ahead = assess_escap(make_obs({2015: 85, 2020: 90}), make_targets("higher", None), None,
                         bench()).row(0, named=True)
    assert ahead["status"] == "Maintain progress to achieve target" and ahead["api"] == 1.0


def test_benchmarks_off_leave_the_series_without_a_target() -> None:
    p = copy.deepcopy(load_params())
    p["benchmark"]["use"] = False
    r = assess_escap(make_obs({2015: 40, 2020: 50}), make_targets("higher", None), p,
                     bench()).row(0, named=True)
    assert r["target"] is None and r["target_source"] is None
    assert r["status"] == "No target value"


def test_members_and_region() -> None:
    members = escap_members()
    assert members.height == 62
    assert (members["membership"] == "member").sum() == 53
    assert sorted(members.filter(~pl.col("regional"))["iso3"]) == ["FRA", "GBR", "NLD", "USA"]
    assert len(escap_region()) == 58 and set(SIX) <= escap_region()
    subregion = dict(members.select("iso3", "subregion").iter_rows())
    assert subregion["KAZ"] == "North and Central Asia"
    assert subregion["AFG"] == "South and South-West Asia"


def test_shipped_table_follows_the_params_and_the_target_table() -> None:
    b, p = load_benchmarks(), load_params()
    assert b.columns == list(BENCHMARK_COLUMNS)
    assert set(b["series"]) == set(load_targets()["series"])
    assert set(b["top_n"]) == {p["benchmark"]["top_n"]}
    assert set(b["base_year"]) == {p["base_year"]}
    assert (b["benchmark"].is_null() == b["note"].is_not_null()).all()
    assert b.filter(pl.col("series").is_in(list(absolute_series())))["benchmark"].null_count() \
        == len(absolute_series())
    kept = b.filter(pl.col("benchmark").is_not_null())
    assert kept.height > 150 and (kept["n_countries"] >= p["benchmark"]["min_countries"]).all()
    better = pl.when(pl.col("direction") == "higher").then(
        pl.col("benchmark") > pl.col("region_mean")).otherwise(
        pl.col("benchmark") < pl.col("region_mean"))
    assert kept.select(better.all()).item()


@pytest.fixture(scope="module")
def region_obs(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The target table's series for the Central Asian extract, as the run reads them."""
    from sdgbridge.assessment.inputs import assessment_input
    from sdgbridge.db.engine import make_engine
    from sdgbridge.ingest.load import ingest
    from sdgbridge.reference import seed_store

    db = tmp_path_factory.mktemp("region") / "region.db"
    engine = make_engine(f"sqlite:///{db}")
    seed_store(engine)
    ingest(engine, shared / "sdg" / "derived" / "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv")
    obs = assessment_input(engine, list(SIX), load_targets()["series"].to_list())
    engine.dispose()
    return obs.drop("release")


def test_region_results_do_not_depend_on_other_countries(region_obs: pl.DataFrame) -> None:
    """Real data: the six countries' ESCAP results are the same alone and beside other
    countries (copies of theirs at a tenth and at ten times the values, which would move any
    benchmark taken from the data the run reads): the benchmarks come from the shipped table."""
    table = load_targets()
    others = pl.concat([region_obs.with_columns(pl.col("area") + f"-{k}", pl.col("value") * k)
                        for k in (0.1, 10.0)])

    def assessed(obs: pl.DataFrame) -> pl.DataFrame:
        out = assess_escap(obs, table.filter(pl.col("series").is_in(obs["series"])))
        return out.filter(pl.col("area").is_in(SIX)).sort("series", "area")

    alone = assessed(region_obs)
    assert alone.equals(assessed(pl.concat([region_obs, others])))
    by_source = dict(alone.group_by("target_source").len().iter_rows())
    assert by_source[SOURCES["benchmark"]] > by_source[SOURCES["table"]] > 100


def test_recomputed_from_a_store_round_trips(sqlite_engine, tmp_path: Path) -> None:
    from sdgbridge.assessment.benchmarks import benchmark_table, write_benchmarks
    from sdgbridge.ingest.load import ingest

    ingest(sqlite_engine, Path(__file__).parents[1] / "data" / "ddf")
    frame = benchmark_table(sqlite_engine)
    assert frame.columns == list(BENCHMARK_COLUMNS)
    out = tmp_path / "b.csv"
    write_benchmarks(frame, out, source="test")
    assert out.read_text(encoding="utf-8").startswith("# sdgbridge ESCAP regional benchmarks")
    from polars.testing import assert_frame_equal

    assert_frame_equal(load_benchmarks(out), frame, rel_tol=1e-5)  # 6 decimals in the file

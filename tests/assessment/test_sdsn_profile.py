"""The SDSN method with a profile: fixed bounds, the recency rule, landlocked countries' goal
14, the missing-data basket, and independence from the other countries in the store.

Expected numbers are worked out here by hand from the module docstring of
``sdgbridge.assessment.methods.sdsn``, not taken from the implementation.
"""

from __future__ import annotations

import copy
from pathlib import Path

import polars as pl
import pytest

from sdgbridge.assessment.inputs import assessment_input
from sdgbridge.assessment.methods.sdsn import assess_sdsn, goal_scores, index, load_params
from sdgbridge.assessment.methods.sdsn import summary as sdsn_summary
from sdgbridge.assessment.profiles import load_profile
from sdgbridge.db.engine import make_engine
from sdgbridge.errors import ConfigError
from sdgbridge.ingest.load import ingest
from sdgbridge.reference import seed_store
from tests.assessment.test_sdsn import by_area, make_obs, make_targets

TOML = 'name = "t"\nversion = "t.1"\nmethod = "sdsn"\ntitle = "test"\nmin_year = 2015\n'
SIX = ("398", "417", "762", "795", "860", "4")


def profile_dir(tmp_path: Path, rows: list[str]) -> Path:
    folder = tmp_path / "prof"
    folder.mkdir()
    (folder / "profile.toml").write_text(TOML, encoding="utf-8")
    header = "series,goal,direction,optimum,lower,green,red,counts,basket,reason"
    (folder / "series.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return folder


def test_fixed_bounds_hand_worked(tmp_path: Path) -> None:
    """A: lower is better, optimum 10 (score 100), lower bound 50 (score 0), green 20, red 30."""
    prof = load_profile(profile_dir(tmp_path, ["A,3,,10,50,20,30,yes,,r"]))
    obs = make_obs({("A", "x"): {2015: 40.0, 2020: 30.0}, ("A", "old"): {2012: 10.0},
                    ("A", "far"): {2020: 1000.0}})
    got = assess_sdsn(obs, make_targets(("A", "lower", None)), load_params(), prof)
    x = got.filter(pl.col("area") == "x").row(0, named=True)
    # 100 * (30 - 50) / (10 - 50) = 50; the red threshold 30 is the band's 1: orange (edge).
    assert (x["lower"], x["upper"], x["green"], x["red"]) == (50, 10, 20, 30)
    assert x["score"] == pytest.approx(50) and x["band"] == pytest.approx(1.0)
    assert (x["rating"], x["profile_goal"], x["counts"]) == ("orange", 3, True)
    # Pace -2 a year; needed (20 - 40) / 15 = -4/3 a year: ratio 1.5, on track.
    assert x["pace_ratio"] == pytest.approx(1.5)
    # A value from before min_year (2015) is no score: grey, though it is the optimum.
    old = got.filter(pl.col("area") == "old").row(0, named=True)
    assert (old["score"], old["band"], old["rating"]) == (None, None, "grey")
    # Past the lower bound: censored to 0. And x does not move when "far" leaves.
    assert by_area(got, "score")["far"] == 0
    alone = assess_sdsn(obs.filter(pl.col("area") == "x"), make_targets(("A", "lower", None)),
                        load_params(), prof)
    assert alone["score"].to_list() == pytest.approx([50])


def test_series_outside_the_profile_use_the_fallback(tmp_path: Path) -> None:
    """B is not in the profile: its upper bound is the top-5 mean (the default rule)."""
    prof = load_profile(profile_dir(tmp_path, ["A,3,,10,50,20,30,yes,,r"]))
    obs = make_obs({("B", a): {2020: v} for a, v in zip("abc", [10.0, 20.0, 60.0],
                                                          strict=True)})
    got = assess_sdsn(obs, make_targets(("B", "higher", None)), load_params(), prof)
    assert got["upper"].unique().to_list() == pytest.approx([30])  # (10 + 20 + 60) / 3
    assert not got["counts"].any() and got["profile_goal"].is_null().all()


def test_profile_direction_must_agree(tmp_path: Path) -> None:
    prof = load_profile(profile_dir(tmp_path, ["A,3,,10,50,20,30,yes,,r"]))
    obs = make_obs({("A", "x"): {2020: 30.0}})
    with pytest.raises(ConfigError, match="A is lower-is-better in the profile but higher"):
        assess_sdsn(obs, make_targets(("A", "higher", None)), load_params(), prof)
    # A profile series the target table lacks takes the profile's direction.
    got = assess_sdsn(obs, make_targets(("Z", "higher", None)), load_params(), prof)
    assert got["direction"].to_list() == ["lower"]


LINKS = pl.DataFrame({"series": list("ABCDE"), "goal": [1, 1, 2, 14, 3]})


def scores(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"series": pl.Utf8, "area": pl.Utf8,
                                      "score": pl.Float64}, orient="row")


def test_landlocked_goal_14_and_the_basket() -> None:
    results = scores([("A", "L", 80), ("B", "L", 60), ("C", "L", 40), ("D", "L", 10),
                      ("A", "M", 50), ("B", "M", 50), ("C", "M", 20), ("D", "M", 90)])
    goals = goal_scores(results, LINKS, basket=LINKS, landlocked=frozenset({"L"}))
    got = {(r["area"], r["goal"]): r["score"] for r in goals.iter_rows(named=True)}
    # L is landlocked: no goal 14, and D leaves its basket: 3 of 4 scored, 25 % missing.
    assert got == {("L", 1): 70, ("L", 2): 40, ("M", 1): 50, ("M", 2): 20, ("M", 14): 90}
    share = dict(goals.select("area", "missing_share").unique().iter_rows())
    assert share == pytest.approx({"L": 0.25, "M": 0.2})  # M: E missing of 5
    # 25 % > 20 %: no Index for L; M's = mean of its goals (50 + 20 + 90) / 3.
    assert by_area(index(goals), "index") == pytest.approx({"M": 160 / 3})
    # E outside the basket (too sparse to be asked of every country): L misses nothing.
    small = goal_scores(results, LINKS, basket=LINKS.filter(pl.col("series") != "E"),
                        landlocked=frozenset({"L"}))
    assert by_area(index(small), "index") == pytest.approx({"L": 55, "M": 160 / 3})


def test_summary_reads_the_profile_of_the_params(tmp_path: Path) -> None:
    folder = profile_dir(tmp_path, ["A,1,,100,0,,,yes,,r", "B,2,,100,0,,,yes,no,r",
                                    "C,3,,100,0,,,no,,r"])
    params = copy.deepcopy(load_params()) | {"profile": str(folder)}
    obs = make_obs({("A", "x"): {2020: 40.0}, ("B", "x"): {2020: 80.0},
                    ("C", "x"): {2020: 10.0}})
    targets = make_targets(("A", "higher", None))
    results = assess_sdsn(obs, targets, params)
    frames = dict(sdsn_summary(results, pl.DataFrame(), params))
    goals, idx = frames.values()
    # C does not count; B counts but is outside the basket: index (40 + 80) / 2.
    assert sorted(goals["goal"].to_list()) == [1, 2]
    assert idx["index"].to_list() == pytest.approx([60])


@pytest.fixture(scope="module")
def region_obs(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The profile's series for the Central Asian extract, as the run reads them."""
    db = tmp_path_factory.mktemp("region") / "region.db"
    engine = make_engine(f"sqlite:///{db}")
    seed_store(engine)
    ingest(engine, shared / "sdg" / "derived" / "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv")
    series = load_profile("sdr-2025").series["series"].to_list()
    obs = assessment_input(engine, list(SIX), series, censored=True).drop("release")
    engine.dispose()
    return obs


def test_region_scores_do_not_depend_on_other_countries(region_obs: pl.DataFrame) -> None:
    """Real data: the six countries' index and goal scores are the same alone and beside
    other countries (copies of theirs at a tenth and at ten times the values, which would
    move any bound taken from the data)."""
    from sdgbridge.assessment.inputs import load_targets

    targets, params = load_targets(), load_params()
    others = pl.concat([region_obs.with_columns(pl.col("area") + f"-{k}", pl.col("value") * k)
                        for k in (0.1, 10.0)])

    def scored(obs: pl.DataFrame) -> pl.DataFrame:
        results = assess_sdsn(obs, targets.filter(pl.col("series").is_in(obs["series"])),
                              params)
        goals, idx = dict(sdsn_summary(results, pl.DataFrame(), params)).values()
        both = pl.concat([goals.select("area", "goal", "score"),
                          idx.select("area", goal=pl.lit(0, pl.Int64), score="index")])
        return both.filter(pl.col("area").is_in(SIX)).sort("area", "goal")

    alone, beside = scored(region_obs), scored(pl.concat([region_obs, others]))
    assert alone.height > 60 and set(alone.filter(pl.col("goal") == 0)["area"]) == set(SIX)
    assert alone.equals(beside)

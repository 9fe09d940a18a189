"""Targets relative to the baseline ("halve", "reduce by one third", "double"): the table's
``rel:FACTOR`` cells, and every method at its band edges with such a target.

Each case is worked out here from the method's formulas with the relative target turned
into a value by hand (``factor × baseline``); none is taken from the implementation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdgbridge.assessment.inputs import load_targets
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.methods.sdsn import assess_sdsn
from sdgbridge.assessment.methods.unsd import assess_unsd
from sdgbridge.errors import InputError
from tests.helpers import make_obs

ASSESS = {name: m.assess for name, m in METHODS.items()}


def relative_targets(direction: str, factor: float, series: str = "S") -> pl.DataFrame:
    """A one-row target table with a relative target and no absolute one."""
    return pl.DataFrame({"series": [series], "direction": [direction], "target": [None],
                         "source": ["test"], "relative": [factor]},
                        schema={"series": pl.Utf8, "direction": pl.Utf8, "target": pl.Float64,
                                "source": pl.Utf8, "relative": pl.Float64})


def one(method: str, points: dict[int, float], direction: str, factor: float,
        area: str = "398") -> dict[str, Any]:
    result = ASSESS[method](make_obs(points, area=area), relative_targets(direction, factor))
    assert result.height == 1
    return result.row(0, named=True)


# ── The table ───────────────────────────────────────────────────────────────


def write_table(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text("series,direction,target,source\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


def test_table_reads_numbers_relative_factors_and_blanks(tmp_path: Path) -> None:
    table = load_targets(write_table(
        tmp_path, "A,lower,rel:0.5,halve", "B,lower,rel:2/3,by one third",
        "C,higher,REL:2,double", "D,higher,100,universal", "E,higher,,none",
        "F,higher,rel:1,halt the decline"))
    assert table.select("series", "target", "relative").rows() == [
        ("A", None, 0.5), ("B", None, 2 / 3), ("C", None, 2.0), ("D", 100.0, None),
        ("E", None, None), ("F", None, 1.0)]


@pytest.mark.parametrize(("row", "words"), [
    ("S,lower,rel:half,x", "line 3 (S): target 'rel:half' is not understood"),
    ("S,lower,rel:0,x", "line 3 (S): target 'rel:0': the factor must be a positive number"),
    ("S,lower,rel:-0.5,x", "the factor must be a positive number"),
    ("S,lower,rel:1/0,x", "target 'rel:1/0' is not understood"),
    ("S,lower,nan,x", "target 'nan' is not a finite number"),
    ("S,lower,ten,x", "target 'ten' is not understood; write a number"),
    ("S,higher,rel:0.5,x", "moves the value the wrong way for direction 'higher'; use a "
                           "factor above 1"),
    ("S,lower,rel:2,x", "wrong way for direction 'lower'; use a factor below 1"),
])
def test_table_refuses_bad_target_cells_naming_the_line(tmp_path: Path, row: str,
                                                         words: str) -> None:
    path = write_table(tmp_path, "OK,higher,50,fine", row)
    with pytest.raises(InputError) as err:
        load_targets(path)
    assert words in str(err.value) and str(path) in str(err.value)


def test_shipped_table_has_relative_targets_with_sources() -> None:
    table = load_targets()
    relative = table.filter(pl.col("relative").is_not_null())
    # 1.2 halve (2 series), 3.4 one third less, End TB 80 % less, malaria 90 % less.
    assert dict(relative.select("series", "relative").iter_rows()) == {
        "SD_MDP_MUHC": 0.5, "SI_POV_NAHC": 0.5, "SH_DTH_NCOM": 2 / 3,
        "SH_TBS_INCD": 0.2, "SH_STA_MALR": 0.1}
    assert relative["source"].str.contains("relative target").all()
    assert relative["target"].is_null().all()


# ── UNSD: ratio = (projected - base) / (factor × base - base) ──────────────
# Latest year 2030: projected = latest. Base 100, "double" -> target 200, so the ratio is
# (latest - 100) / 100; lower is better: base 200, "halve" -> 100, latest 300 - v.

UNSD_EDGES = [(195, "On track or target met"), (194.99, "Moderate progress, but "
              "acceleration needed"), (150, "Moderate progress, but acceleration needed"),
              (149.99, "Marginal progress, and significant acceleration needed"),
              (110, "Marginal progress, and significant acceleration needed"),
              (109.99, "Stagnation"), (100, "Stagnation"), (99.99, "Regression")]


@pytest.mark.parametrize(("latest", "status"), UNSD_EDGES)
def test_unsd_relative_band_edges(latest: float, status: str) -> None:
    up = one("unsd", {2015: 100, 2030: latest}, "higher", 2.0)
    assert up["target"] == 200 and up["ratio"] == pytest.approx((latest - 100) / 100)
    down = one("unsd", {2015: 200, 2030: 300 - latest}, "lower", 0.5)
    assert down["target"] == 100 and down["ratio"] == pytest.approx((latest - 100) / 100)
    assert up["status"] == down["status"] == status


def test_unsd_relative_target_follows_each_areas_baseline() -> None:
    obs = pl.concat([make_obs({2015: 40, 2020: 30}, area="A"),
                     make_obs({2016: 10, 2020: 8}, area="B")])
    out = assess_unsd(obs, relative_targets("lower", 0.5)).sort("area")
    assert out["target"].to_list() == [20.0, 5.0]  # half of 40 (2015) and of 10 (2016)


# ── ESCAP: two points 2015 and 2020, so the line gives 2030 = 3 x - 2 b ────
# Base 100, factor 4 -> TV 400: api = (3x - 200 - 100) / 300 = (x - 100) / 100 and
# csi = (x - 100) / 300 against the expected share (2020 - 2015) / 15 = 1/3.

ESCAP_EDGES = [(200, "Maintain progress to achieve target", "Expected progress made"),
               (199.99, "Accelerate progress to achieve target",
                "Progress made, but behind the expected level"),
               (100.01, "Accelerate progress to achieve target",
                "Progress made, but behind the expected level"),
               (100, "Reverse trend to achieve target", "Regressed since the base year")]


@pytest.mark.parametrize(("latest", "api_status", "csi_status"), ESCAP_EDGES)
def test_escap_relative_band_edges(latest: float, api_status: str, csi_status: str) -> None:
    up = one("escap", {2015: 100, 2020: latest}, "higher", 4.0)
    assert up["target"] == 400
    assert up["api"] == pytest.approx((latest - 100) / 100)
    assert up["csi"] == pytest.approx((latest - 100) / 300)
    # lower is better: base 400, factor 1/4 -> TV 100; x = 500 - v mirrors every measure.
    down = one("escap", {2015: 400, 2020: 500 - latest}, "lower", 0.25)
    assert down["target"] == 100 and down["api"] == pytest.approx(up["api"])
    assert up["status"] == down["status"] == api_status
    assert up["csi_status"] == down["csi_status"] == csi_status


# ── Open SDG: R = CAGR / |CAGR_T|, CAGR_T = (factor)^(1/15) - 1 ─────────────
# Base 100 in 2015, latest 2016: CAGR = x / 100 - 1; "double": CAGR_T = 2^(1/15) - 1.

CAGR_T = 2 ** (1 / 15) - 1


@pytest.mark.parametrize(("r", "status"), [
    (0.95, "On track"), (0.95 - 1e-6, "Progress made but acceleration needed"),
    (0.60, "Progress made but acceleration needed"), (0.60 - 1e-6, "Limited progress"),
    (0.0, "Limited progress"), (-1e-6, "Deterioration")])
def test_opensdg_relative_band_edges(r: float, status: str) -> None:
    latest = 100 * (1 + r * CAGR_T)
    row = one("opensdg", {2015: 100, 2016: latest}, "higher", 2.0)
    assert row["target"] == 200 and row["ratio"] == pytest.approx(r, abs=1e-9)
    assert row["status"] == status


def test_opensdg_relative_target_achieved() -> None:
    row = one("opensdg", {2015: 80, 2018: 40}, "lower", 0.5)  # 40 = half of 80
    assert (row["target"], row["status"]) == (40.0, "Target achieved")


# ── SDSN trend: pace (x - 100) / 15 over the pace needed (200 - 100) / 15 ───


@pytest.mark.parametrize(("latest", "arrow"), [
    (200, "On track or maintaining SDG achievement"), (199.99, "Moderately improving"),
    (150, "Moderately improving"), (149.99, "Stagnating"), (100, "Stagnating"),
    (99.99, "Decreasing")])
def test_sdsn_trend_towards_the_relative_target(latest: float, arrow: str) -> None:
    row = one("sdsn", {2015: 100, 2030: latest}, "higher", 2.0)
    assert row["target"] == 200
    assert row["pace_needed"] == pytest.approx(100 / 15)
    assert row["pace_ratio"] == pytest.approx((latest - 100) / 100)
    assert row["status"] == arrow


def test_sdsn_relative_target_does_not_set_the_common_bounds() -> None:
    # Two areas: each trend runs to its own half, the bounds are the data's, not a target.
    obs = pl.concat([make_obs({2015: 40, 2020: 30}, area="A"),
                     make_obs({2015: 10, 2020: 9}, area="B")])
    out = assess_sdsn(obs, relative_targets("lower", 0.5)).sort("area")
    assert out["target"].to_list() == [20.0, 5.0]
    assert out["pace_needed"].to_list() == pytest.approx([(20 - 40) / 15, (5 - 10) / 15])
    assert out["upper"].n_unique() == 1 and out["upper"][0] not in (20.0, 5.0)


# ── Properties ──────────────────────────────────────────────────────────────

values = st.floats(min_value=1, max_value=1e4, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(base=values, mid=values, latest=values, k=st.floats(min_value=1e-3, max_value=1e3),
       factor=st.sampled_from([0.1, 0.2, 0.5, 2 / 3]), method=st.sampled_from(list(METHODS)))
def test_scaling_units_keeps_the_status_with_a_relative_target(
        base: float, mid: float, latest: float, k: float, factor: float, method: str) -> None:
    points = {2015: base, 2019: mid, 2023: latest}
    plain = one(method, points, "lower", factor)
    scaled = one(method, {t: v * k for t, v in points.items()}, "lower", factor)
    assert scaled["status"] == plain["status"]
    assert scaled["target"] == pytest.approx(plain["target"] * k, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(base=values, latest=values, factor=st.sampled_from([0.1, 0.5, 2 / 3]),
       method=st.sampled_from(["unsd", "escap", "opensdg"]))
def test_relative_target_equals_the_absolute_value_it_stands_for(
        base: float, latest: float, factor: float, method: str) -> None:
    points = {2015: base, 2018: (base + latest) / 2, 2022: latest}
    relative = one(method, points, "lower", factor)
    absolute = ASSESS[method](make_obs(points), pl.DataFrame(
        {"series": ["S"], "direction": ["lower"], "target": [factor * base],
         "source": ["test"]})).row(0, named=True)
    assert relative["status"] == absolute["status"]
    assert relative["target"] == absolute["target"]

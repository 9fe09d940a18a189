"""A group assessed as one area: ESCAP's selection rule and group values."""

from __future__ import annotations

import polars as pl
import pytest

from sdgbridge.assessment.groups import group_values, select_indicators
from sdgbridge.assessment.methods.escap import assess_escap
from sdgbridge.errors import ConfigError
from tests.helpers import make_obs, make_targets


def group_obs(points_per_area: dict[str, int], series: str = "S") -> pl.DataFrame:
    frames = [make_obs({2010 + i: float(i) for i in range(n)}, series, area)
              for area, n in points_per_area.items() if n]
    return pl.concat(frames)


def test_selection_exactly_half_fails() -> None:
    obs = group_obs({"a": 3, "b": 2, "c": 1})  # "d" has no data at all
    out = select_indicators(obs, ["a", "b", "c", "d"]).row(0, named=True)
    assert out == {"series": "S", "countries": 4, "countries_with_data": 2, "share": 0.5,
                   "selected": False}


def test_selection_more_than_half_passes() -> None:
    obs = group_obs({"a": 3, "b": 2, "c": 1, "d": 2})
    out = select_indicators(obs, ["a", "b", "c", "d"]).row(0, named=True)
    assert (out["countries_with_data"], out["share"], out["selected"]) == (3, 0.75, True)


def test_selection_counts_only_the_group_and_years_from_2000() -> None:
    inside = make_obs({1998: 1, 1999: 2, 2020: 3}, area="a")  # one point from 2000 on
    outside = group_obs({"x": 5, "y": 5})
    other = group_obs({"a": 2, "b": 2}, series="T")
    out = select_indicators(pl.concat([inside, outside, other]), ["a", "b"])
    assert out.select("series", "countries_with_data", "selected").rows() == [
        ("S", 0, False), ("T", 2, True)]


def test_selection_needs_a_group() -> None:
    with pytest.raises(ConfigError, match="no areas"):
        select_indicators(group_obs({"a": 2}), [])


def test_group_values_are_simple_means() -> None:
    obs = pl.concat([make_obs({2015: 10, 2016: 30}, area="a"), make_obs({2015: 20}, area="b"),
                     make_obs({2015: 1000, 2016: 1000}, area="big")])  # not in the group
    out = group_values(obs, ["a", "b"], area="NCA")
    assert out.rows() == [("S", "NCA", 2015, 15.0, 2), ("S", "NCA", 2016, 30.0, 1)]
    # The frame can be assessed as an area of its own.
    assert assess_escap(out.drop("n_areas"), make_targets("higher", 50.0)).height == 1

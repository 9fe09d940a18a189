"""A group of countries assessed as one area, by ESCAP's rules (every method uses them).

The group's values are the unweighted means of its countries' values
(:func:`group_values`), for the series that more than half of its countries report with
two or more points (:func:`select_indicators`); the rules' numbers are ESCAP's parameters
(``params/escap.toml``, ``[selection]`` and ``start_year``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from sdgbridge.assessment.methods.escap import load_params
from sdgbridge.errors import ConfigError


def group_observations(obs: pl.DataFrame, group_areas: Sequence[str],
                       area: str) -> pl.DataFrame:
    """The observations of the group as one area named ``area`` (``model.OBS_SCHEMA``): the
    means of the selected series."""
    kept = select_indicators(obs, group_areas).filter(pl.col("selected"))["series"]
    return group_values(obs.filter(pl.col("series").is_in(kept.to_list())), group_areas,
                        area=area).drop("n_areas")


def select_indicators(obs: pl.DataFrame, group_areas: Sequence[str],
                      params: dict[str, Any] | None = None) -> pl.DataFrame:
    """ESCAP's data-availability rule for a group (ESCAP technical notes [V]).

    A series passes when more than ``selection.min_share`` of the group's countries have
    at least ``selection.min_points`` observations from ``start_year`` on (exactly half
    fails). Returns every series of ``obs``: ``series``, ``countries`` (group size),
    ``countries_with_data``, ``share``, ``selected``. The other criterion, a quantitative
    target, is the targets table's: without one :func:`assess_escap` says so.
    """
    p = load_params() if params is None else params
    areas = sorted(set(group_areas))
    if not areas:
        raise ConfigError("The group has no areas; give at least one area code.")
    rule = p["selection"]
    counts = (obs.filter(pl.col("area").is_in(areas) & (pl.col("year") >= p["start_year"]))
              .group_by("series", "area").agg(n=pl.len()).group_by("series")
              .agg(countries_with_data=(pl.col("n") >= rule["min_points"]).sum()))
    out = obs.select("series").unique().join(counts, on="series", how="left")
    with_data = pl.col("countries_with_data").fill_null(0).cast(pl.Int64)
    return out.with_columns(countries_with_data=with_data, countries=pl.lit(len(areas))).select(
        "series", "countries", "countries_with_data", share=with_data / len(areas),
        selected=with_data > rule["min_share"] * len(areas)).sort("series")


def group_values(obs: pl.DataFrame, group_areas: Sequence[str],
                 area: str = "group") -> pl.DataFrame:
    """A group's values: the simple (unweighted) mean of its countries' values [V ESCAP].

    Per series × year, over the group's areas that have a value that year (``n_areas``;
    ESCAP's handling of countries missing a year was not read). Rows follow
    ``model.OBS_SCHEMA`` with ``area`` set to ``area``, so they can be assessed directly.
    """
    return (obs.filter(pl.col("area").is_in(list(group_areas)))
            .group_by("series", "year").agg(value=pl.col("value").mean(),
                                            n_areas=pl.len().cast(pl.Int64))
            .select("series", pl.lit(area).alias("area"), "year", "value", "n_areas")
            .sort("series", "year"))

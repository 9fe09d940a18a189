"""Data gaps: which expected series each area reports, how often and how recently.

Pure functions over Polars frames. :func:`data_gaps` takes assessment input (``obs``, see
:mod:`sdgbridge.assessment.model`) and the series and areas that *should* be covered, and
returns one row per area × series, present or not. :func:`gap_summary` rolls that table up
to indicator, target or goal through a series → indicator mapping (a series may serve more
than one indicator; it is counted once per indicator, target or goal).

The SDG global framework names targets and goals inside the indicator code (``1.2.1`` is
target ``1.2`` of goal ``1``), so only the series → indicator mapping is needed.

:func:`target_table_gaps` applies both to the store, for the series of the target table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

import polars as pl
from sqlalchemy import Engine

from sdgbridge.assessment.inputs import assessment_input, load_targets
from sdgbridge.assessment.run import series_indicators
from sdgbridge.errors import SdgBridgeError

Level = Literal["indicator", "target", "goal"]
GAP_LEVELS = ("series", "indicator", "target", "goal")
GAP_COLUMNS = ("area", "series", "has_data", "n_points", "first_year", "latest_year",
               "years_since_latest")


def _coverage(obs: pl.DataFrame, since: int) -> pl.DataFrame:
    """First and latest year, and distinct years from ``since`` on, per area × series."""
    return obs.group_by("area", "series").agg(
        first_year=pl.col("year").min(),
        latest_year=pl.col("year").max(),
        n_points=pl.col("year").filter(pl.col("year") >= since).n_unique().cast(pl.Int64),
    )


def data_gaps(obs: pl.DataFrame, expected_series: Sequence[str], areas: Sequence[str],
              since: int = 2015, reference_year: int | None = None) -> pl.DataFrame:
    """One row per area × expected series (in the order given): is there data, how much, when.

    ``n_points`` counts the years with data from ``since`` on; ``first_year`` and
    ``latest_year`` look at all years; ``years_since_latest`` is ``reference_year`` (default:
    the latest year anywhere in ``obs``) minus ``latest_year``. Series in ``obs`` that are not
    expected, and areas not listed, are ignored.
    """
    if reference_year is None:
        reference_year = obs["year"].max()  # type: ignore[assignment]
    grid = pl.DataFrame({"area": list(areas)}, schema={"area": pl.Utf8}).join(
        pl.DataFrame({"series": list(expected_series)}, schema={"series": pl.Utf8}),
        how="cross")
    df = grid.join(_coverage(obs, since), on=["area", "series"], how="left",
                   maintain_order="left")
    return df.with_columns(
        has_data=pl.col("latest_year").is_not_null(),
        n_points=pl.col("n_points").fill_null(0),
        years_since_latest=pl.lit(reference_year, pl.Int64) - pl.col("latest_year"),
    ).select(GAP_COLUMNS)


def _level_key(level: Level) -> pl.Expr:
    """The indicator code cut to ``level``: ``1.2.1`` -> ``1.2`` (target) or ``1`` (goal)."""
    parts = {"indicator": 3, "target": 2, "goal": 1}[level]
    return pl.col("indicator").str.split(".").list.head(parts).list.join(".").alias(level)


def gap_summary(gaps: pl.DataFrame, mapping: pl.DataFrame, level: Level = "indicator",
                recent_years: int = 3) -> pl.DataFrame:
    """Roll :func:`data_gaps` up to ``level`` per area.

    ``mapping`` has columns ``series`` and ``indicator``; series without a mapping are left
    out. Per area × ``level`` code: ``n_series`` expected, ``n_with_data`` and
    ``share_with_data``, ``n_recent`` and ``share_recent`` (latest point at most
    ``recent_years`` before the reference year of ``gaps``, i.e. latest >= reference − 3 by
    default), and ``n_points`` (sum of the series' points since ``since``).
    """
    if level not in ("indicator", "target", "goal"):
        raise ValueError(f"level must be indicator, target or goal, not {level!r}")
    keyed = (gaps.join(mapping.select("series", _level_key(level)), on="series")
             .unique(["area", "series", level]))
    recent = pl.col("years_since_latest") <= recent_years
    return keyed.group_by("area", level).agg(
        n_series=pl.len().cast(pl.Int64),
        n_with_data=pl.col("has_data").sum().cast(pl.Int64),
        n_recent=recent.fill_null(False).sum().cast(pl.Int64),
        n_points=pl.col("n_points").sum().cast(pl.Int64),
    ).with_columns(
        share_with_data=pl.col("n_with_data") / pl.col("n_series"),
        share_recent=pl.col("n_recent") / pl.col("n_series"),
    ).select("area", level, "n_series", "n_with_data", "share_with_data", "n_recent",
             "share_recent", "n_points").sort("area", level)


def target_table_gaps(engine: Engine, areas: Sequence[str], level: str = "series"
                      ) -> pl.DataFrame:
    """The :func:`data_gaps` of the target table's series in ``areas`` (codes), per series or
    rolled up to ``level`` (:func:`gap_summary`)."""
    if level not in GAP_LEVELS:
        raise SdgBridgeError(f"--level {level!r}: choose series, indicator, target or goal.")
    wanted = load_targets()["series"].to_list()
    found = data_gaps(assessment_input(engine, areas, wanted).drop("release"), wanted, areas)
    return found if level == "series" else gap_summary(
        found, series_indicators(engine), cast(Level, level))

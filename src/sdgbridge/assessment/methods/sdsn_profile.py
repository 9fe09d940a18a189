"""The SDSN method's profile step (:mod:`sdgbridge.assessment.methods.sdsn`): fixed bounds
and thresholds from a profile (:mod:`sdgbridge.assessment.profiles`), and the profile's
directions beside the target table's."""

from __future__ import annotations

from typing import Any

import polars as pl

from sdgbridge.assessment.model import with_relative
from sdgbridge.assessment.profiles import Profile, load_profile
from sdgbridge.errors import ConfigError

NAME = "sdsn"
BOUND_COLUMNS = ("series", "direction", "target", "lower", "upper", "green", "red")
#: :func:`profile_bounds` adds these: the profile's goal, whether the series counts in goal
#: scores and the index, and the first year a value must be from to be scored.
PROFILE_COLUMNS = ("profile_goal", "counts", "min_year")


def profile(params: dict[str, Any]) -> Profile | None:
    """The profile the parameters name (``profile``: a shipped name or a folder), or None."""
    ref = params.get("profile")
    return None if not ref else load_profile(ref, method=NAME, require=("optimum", "lower"))


def profile_bounds(bounds: pl.DataFrame, prof: Profile | None,
                   params: dict[str, Any]) -> pl.DataFrame:
    """``bounds`` (:func:`bounds_from_data`) with the profile's fixed bounds where it gives
    them, plus :data:`PROFILE_COLUMNS`.

    A profile row with ``optimum`` and ``lower`` replaces the data's bounds: ``upper`` =
    optimum (score 100), ``lower`` = lower (score 0); its ``green`` and ``red`` replace the
    thresholds, and where it leaves one empty the ``[colour]`` rule applies to its bounds.
    Other series keep the data's bounds (the fallback). ``counts`` is false outside the
    profile; ``min_year`` is the profile's for its rows with fixed bounds, else null.
    """
    p = params
    if prof is None:
        return bounds.with_columns(profile_goal=pl.lit(None, pl.Int64), counts=pl.lit(False),
                                   min_year=pl.lit(None, pl.Int64))
    rows = prof.series.select("series", "counts", profile_goal="goal", p_lower="lower",
                              p_upper="optimum", p_green="green", p_red="red")
    frame = bounds.join(rows, on="series", how="left")
    fixed = pl.col("p_lower").is_not_null() & pl.col("p_upper").is_not_null()
    frame = frame.with_columns(lower=pl.when(fixed).then("p_lower").otherwise("lower"),
                               upper=pl.when(fixed).then("p_upper").otherwise("upper"),
                               fixed=fixed)
    c = p["colour"]
    lower, upper = pl.col("lower"), pl.col("upper")
    green_rule = pl.coalesce("target", lower + c["green_position"] * (upper - lower))
    frame = frame.with_columns(green=pl.when("fixed").then(pl.coalesce("p_green", green_rule))
                               .otherwise("green"))
    red_rule = lower + c["red_position"] * (pl.col("green") - lower)
    return frame.with_columns(
        red=pl.when("fixed").then(pl.coalesce("p_red", red_rule)).otherwise("red"),
        counts=pl.col("counts").fill_null(False),
        min_year=pl.when("fixed").then(pl.lit(prof.min_year, pl.Int64)),
    ).select(*BOUND_COLUMNS, *PROFILE_COLUMNS)


def with_profile_targets(targets: pl.DataFrame, prof: Profile | None) -> pl.DataFrame:
    """``targets`` plus a row (no target) for each profile series it lacks, with the
    profile's direction; a direction the two disagree on is refused."""
    table = with_relative(targets)
    if prof is None:
        return table
    rows = prof.series.filter(pl.col("direction").is_not_null()).select(
        "series", profile_direction="direction")
    clash = table.join(rows, on="series").filter(
        pl.col("direction") != pl.col("profile_direction"))
    if clash.height:
        row = clash.row(0, named=True)
        raise ConfigError(f"{prof.folder}: series {row['series']} is {row['profile_direction']}"
                          f"-is-better in the profile but {row['direction']}-is-better in the "
                          "target table; make them agree.")
    extra = rows.join(table, on="series", how="anti").select(
        "series", direction="profile_direction", target=pl.lit(None, pl.Float64),
        source=pl.lit(f"profile {prof.name}"), relative=pl.lit(None, pl.Float64))
    return pl.concat([table, extra], how="diagonal_relaxed")

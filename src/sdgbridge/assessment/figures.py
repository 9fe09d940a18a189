"""Goal figures as each method publishes them.

UNSD and Open SDG publish no single status for a goal: the UNSD SDG Report shows, per goal,
the share of its assessed targets in each status, and Open SDG platforms show each
indicator's status. So for them (and for ESCAP's per-series statuses) a goal's figure is the
share of its series in each status of the common scale, of the series the goal profile
counts (``profiles/sdg-goals``: absolute counts out where a relative series measures the same
target). SDSN publishes goal scores, colours and an index (:mod:`.methods.sdsn`).
"""

from __future__ import annotations

from functools import cache

import polars as pl

from sdgbridge.assessment.model import SCALE
from sdgbridge.assessment.profiles import Profile, load_profile

GOAL_PROFILE = "sdg-goals"
#: The display-scale steps that are a status (the last step of SCALE is "insufficient data").
ASSESSED = SCALE[:-1]


@cache
def goal_profile() -> Profile:
    """The shipped goal profile (:data:`GOAL_PROFILE`), read once."""
    return load_profile(GOAL_PROFILE)


def counted_links(links: pl.DataFrame, profile: Profile | None = None) -> pl.DataFrame:
    """The ``series, indicator`` links of the series the goal profile counts (for every
    goal the series serves: the profile decides per series); series the profile does not
    name count (a user's own series)."""
    p = goal_profile() if profile is None else profile
    return links.join(p.series.filter(~pl.col("counts")).select("series"), on="series",
                      how="anti")


def shares(rolled: pl.DataFrame) -> pl.DataFrame:
    """A roll-up (:func:`sdgbridge.assessment.run.roll_up`: counts per step of the display
    scale) with ``assessed`` (series with a status) and ``share_<step>`` (of those assessed,
    0-1; null when none is)."""
    assessed = pl.sum_horizontal(pl.col(s) for s in ASSESSED)
    frame = rolled.with_columns(assessed.alias("assessed"))
    return frame.with_columns(
        pl.when(pl.col("assessed") > 0).then(pl.col(s) / pl.col("assessed"))
        .alias(f"share_{s.replace(' ', '_')}") for s in ASSESSED)

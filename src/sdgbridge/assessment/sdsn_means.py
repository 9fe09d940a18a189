"""SDSN's regional goal means recomputed from a store (``sdgbridge sdsn-regional-means``).

Outside :mod:`sdgbridge.assessment.methods`: it runs the method through
:func:`sdgbridge.assessment.run.assess`, which the methods themselves never import.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from sdgbridge.assessment.methods.sdsn import goal_scores
from sdgbridge.assessment.methods.sdsn_regions import impute_files, load_regions, regional_means
from sdgbridge.assessment.profiles import Profile, load_profile
from sdgbridge.assessment.run import assess
from sdgbridge.errors import ConfigError
from sdgbridge.reference.catalog import area_table
from sdgbridge.reference.landlocked import landlocked_areas


def regional_means_table(engine: Engine, profile: Path | None = None) -> tuple[
        pl.DataFrame, Profile]:
    """The regional means of the sdsn method's profile (or ``profile``) from every country
    of the store: a store holding the whole UN Global SDG Database gives the shipped one."""
    countries = area_table(engine).filter(pl.col("kind") == "country")["code"].to_list()
    run = assess(engine, "sdsn", countries, profile=profile)
    prof = load_profile(str(run.params["profile"]), method="sdsn")
    paths = impute_files(prof)
    if paths is None:
        raise ConfigError(f"{prof.folder}: the profile fills no missing goals (no [impute] "
                          "in its profile.toml).")
    goals = goal_scores(run.results, prof.counted(), run.params, basket=prof.basket(),
                        landlocked=landlocked_areas())
    return regional_means(goals, load_regions(paths[0])), prof

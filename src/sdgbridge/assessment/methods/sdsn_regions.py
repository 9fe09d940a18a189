"""SDR 2023's regional filling of missing goals, from a shipped table (:mod:`.sdsn`).

SDR 2023 enters a goal a country has no score for (SDG 14 when landlocked, a goal without
data) into its Index as the mean of that goal over the ranked countries of its SDR region
([V]: reproduces all 166 published indexes, ``tests/assessment/test_sdsn.py``). Those means
need every country's goal scores, so a store holding one region cannot compute them: a
profile that fills (``[impute]`` in its ``profile.toml``) ships them as data, computed once
from the whole UN Global SDG Database by
:func:`sdgbridge.assessment.sdsn_means.regional_means_table`
(``sdgbridge sdsn-regional-means --out FILE``), beside the region of each country:

* ``regions`` (``m49, iso3, region``): SDR's regions (SDR 2023 file's ``region`` column);
* ``means`` (``region, goal, score, n_countries``): the mean goal score over the countries
  of the region that get an Index, with the profile version it was computed for in its
  ``#`` header; a table for another version is refused (the scores it averages changed).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from sdgbridge.assessment.profiles import Profile
from sdgbridge.assessment.shipped import write_table
from sdgbridge.errors import ConfigError, InputError

MEANS_COLUMNS = ("region", "goal", "score", "n_countries")
_MEANS_SCHEMA = {"region": pl.Utf8, "goal": pl.Int64, "score": pl.Float64,
                 "n_countries": pl.Int64}
_VERSION = re.compile(r"for profile (\S+) ")


def regional_means(goals: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """Mean score per region × goal (:data:`MEANS_COLUMNS`) over the areas of ``goals``
    (``goal, area, score`` and optionally ``in_index``: only Index areas count) that
    ``regions`` (``area, region``) places in a region."""
    frame = goals.filter(pl.col("in_index")) if "in_index" in goals.columns else goals
    return frame.join(regions.select("area", "region"), on="area").group_by(
        "region", "goal").agg(score=pl.col("score").mean(),
                              n_countries=pl.col("area").n_unique().cast(pl.Int64)).select(
        *(pl.col(c).cast(d) for c, d in _MEANS_SCHEMA.items())).sort("region", "goal")


def impute_files(prof: Profile) -> tuple[Path, Path] | None:
    """The profile's ``regions`` and ``means`` files (``[impute]``), or None."""
    spec = prof.meta.get("impute")
    if not spec:
        return None
    if not isinstance(spec, dict) or not {"regions", "means"} <= set(spec):
        raise ConfigError(f"{prof.folder}/profile.toml: [impute] needs regions and means "
                          "(file names in the profile's folder).")
    folder = Path(prof.folder)
    return folder / str(spec["regions"]), folder / str(spec["means"])


def load_regions(path: Path) -> pl.DataFrame:
    """``area, region`` from a regions file (``m49, iso3, region``; area = the M49 code)."""
    try:
        frame = pl.read_csv(path, comment_prefix="#", infer_schema_length=0)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{path}: cannot read the regions ({exc}).") from exc
    if not {"m49", "region"} <= set(frame.columns):
        raise InputError(f"{path}: needs columns m49 and region.")
    return frame.select(area="m49", region="region")


def load_means(path: Path, version: str) -> pl.DataFrame:
    """The regional means file, refused unless computed for profile ``version``."""
    try:
        text = path.read_text(encoding="utf-8")
        frame = pl.read_csv(path, comment_prefix="#", schema_overrides=_MEANS_SCHEMA)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{path}: cannot read the regional means ({exc}).") from exc
    found = _VERSION.search(text.split("\n", 1)[0])
    if found is None or found.group(1) != version:
        got = found.group(1) if found else "no version"
        raise ConfigError(f"{path}: computed for profile {got}, not {version}; recompute it "
                          "with `sdgbridge sdsn-regional-means --out FILE` on the whole "
                          "UN Global SDG Database.")
    return frame.select(MEANS_COLUMNS)


def shipped_means(prof: Profile) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """(regions, means) of a profile that fills missing goals, else None."""
    paths = impute_files(prof)
    if paths is None:
        return None
    return load_regions(paths[0]), load_means(paths[1], prof.version)


def write_means(frame: pl.DataFrame, out: Path, version: str, source: str) -> None:
    """``frame`` as a regional means file: a ``#`` header naming the profile version, the
    source and the date, then CSV."""
    write_table(frame, out, f"regional goal means for profile {version} ({frame.height} "
                f"region x goal rows), from {source}", "sdsn-regional-means")

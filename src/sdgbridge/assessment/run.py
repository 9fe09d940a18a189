"""Run a method on the store's data: read → pure method → roll up, with coverage.

``assess(engine, "unsd", areas=["CARSDG"])`` reads the headline observations
(:mod:`~sdgbridge.assessment.inputs`), applies the method (a pure function over frames),
and returns one row per series × area; :func:`roll_up` counts the statuses per indicator,
target or goal and area, with the coverage (how many series each figure rests on).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.assessment.benchmarks import benchmarks_sha256
from sdgbridge.assessment.figures import counted_links
from sdgbridge.assessment.groups import group_observations
from sdgbridge.assessment.headline import rules_sha256
from sdgbridge.assessment.inputs import assessment_input, load_targets
from sdgbridge.assessment.methods import METHODS
from sdgbridge.assessment.model import SCALE, Method, code_key
from sdgbridge.assessment.profiles import Profile, load_profile
from sdgbridge.assessment.store import Assessment
from sdgbridge.assessment.world import load_world, with_world_limits, world_sha256
from sdgbridge.db import tables as t
from sdgbridge.errors import SdgBridgeError, UnknownSeries
from sdgbridge.reference.geography import resolve_areas
from sdgbridge.timing import timed

LEVELS = ("series", "indicator", "target", "goal")


def get_method(method: str) -> Method:
    """The registered method named ``method`` (:data:`~sdgbridge.assessment.methods.METHODS`)."""
    if method not in METHODS:
        raise SdgBridgeError(f"Unknown method {method!r}; choose one of "
                             f"{', '.join(sorted(METHODS))}.")
    return METHODS[method]


def method_params(method: str) -> dict[str, object]:
    """The shipped parameter file of ``method``, as data (it carries its ``version``)."""
    return get_method(method).params()


def _check_series(engine: Engine, series: Sequence[str], publisher: str) -> None:
    """:class:`UnknownSeries` for asked-for codes the publisher has no series of (the run
    would be empty)."""
    if not series:
        return
    s = t.series.c
    with engine.connect() as conn:
        known = conn.execute(select(s.code).where(s.publisher == publisher,
                                                  s.code.in_(list(series))).limit(1)).first()
    if known is None:
        raise UnknownSeries([f"{c} (publisher {publisher})" for c in series])


def publisher_has_series(engine: Engine, publisher: str) -> bool:
    """Whether the store holds any series of ``publisher``."""
    with engine.connect() as conn:
        return conn.execute(select(t.series.c.code).where(
            t.series.c.publisher == publisher).limit(1)).first() is not None


@timed("assessment")
def assess(engine: Engine, method: str, areas: Sequence[str], series: Sequence[str] = (),
           targets: Path | None = None, as_of: int | None = None, publisher: str = "UNSD",
           group: str | None = None, headlines: Path | None = None,
           profile: Path | None = None) -> Assessment:
    """Status of every series × area the method can assess (see the method's module), with
    what it was computed from: parameters, target table digest, data releases.

    ``publisher`` picks global (UNSD) or a national office's series (with a target table
    that names them). With ``group``, the group itself is assessed as one area: its values
    are the unweighted means of its countries' values (ESCAP's rule), for the series that
    more than half of its countries report with 2+ points (ESCAP's selection rule).
    ``headlines``: a headline rules table instead of the shipped one
    (:mod:`~sdgbridge.assessment.headline`); its sha256 is kept with the parameters
    (``headline_rules_sha256``), as the target table's is. ``profile``: a profile folder
    instead of the one the method's parameters name (:mod:`~sdgbridge.assessment.profiles`);
    its series are read too, and its name, version and sha256 are kept with the parameters.
    Each series' natural limits and largest magnitude come from the shipped world table
    (:mod:`~sdgbridge.assessment.world`, ``world_table_sha256``) unless the target table
    gives its own; ESCAP's regional benchmarks from its shipped table
    (:mod:`~sdgbridge.assessment.benchmarks`, ``benchmark_table_sha256``).
    """
    m = get_method(method)
    params = _with_profile(m, profile)
    codes = resolve_areas(engine, [group] if group else areas)
    table = load_targets(targets)
    wanted = list(series) or sorted(set(table["series"]) | set(params.get("profile_series",
                                                                          [])))
    _check_series(engine, series, publisher)
    read = codes if not m.worldwide or group else sorted(set(codes) | set(_countries(engine)))
    obs = assessment_input(engine, read, wanted, publisher=publisher, as_of=as_of,
                           headlines=headlines, censored=m.censored)
    releases = sorted(int(r) for r in obs["release"].unique().to_list())
    obs = obs.drop("release")
    if group:
        obs, codes = group_observations(obs, codes, area=group), [group]
    params.pop("profile_series", None)
    digest = hashlib.sha256(table.sort("series").write_csv().encode()).hexdigest()
    table = with_world_limits(table.filter(pl.col("series").is_in(wanted)), load_world())
    result = m.assess(obs, table, params)
    result = result.filter(pl.col("area").is_in(codes))
    params |= {"headline_rules_sha256": rules_sha256(headlines),
               "world_table_sha256": world_sha256()}
    if params.get("benchmark", {}).get("use"):  # ESCAP's shipped regional benchmarks
        params["benchmark_table_sha256"] = benchmarks_sha256()
    return Assessment(method, params, result, codes, releases, digest, as_of)


def _with_profile(m: Method, profile: Path | None) -> dict[str, Any]:
    """The method's parameters; where they name a profile (or ``profile`` is given), with
    the profile's folder, version, sha256 and (for the read) its series."""
    params = m.params()
    if profile is not None:
        if "profile" not in params:
            takes = [n for n, x in METHODS.items() if "profile" in x.params()]
            raise SdgBridgeError(f"Method {m.name!r} takes no profile; "
                                 f"{', '.join(takes)} do.")
        params["profile"] = str(profile)
    if "profile" not in params:
        return params
    loaded = load_profile(params["profile"], method=m.name)
    return params | {"profile": loaded.folder if profile else loaded.name,
                     "profile_version": loaded.version, "profile_sha256": loaded.sha256,
                     "profile_series": loaded.series["series"].to_list()}


def _countries(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.area.c.code).where(t.area.c.kind == "country"))
                    .scalars())


def series_indicators(engine: Engine) -> pl.DataFrame:
    """(series, indicator) pairs of the global series."""
    s, si = t.series.c, t.series_indicator.c
    stmt = (select(s.code.label("series"), si.indicator)
            .join(t.series_indicator, si.series_id == s.id).where(s.publisher == "UNSD"))
    with engine.connect() as conn:  # typed, so that an empty store joins too
        return pl.read_database(stmt, conn, schema_overrides={"series": pl.Utf8,
                                                              "indicator": pl.Utf8})


def roll_up(results: pl.DataFrame, links: pl.DataFrame, level: str,
            profile: Profile | None = None, *, every_series: bool = False) -> pl.DataFrame:
    """Counts of each display-scale status per ``level`` × area, with coverage, of the
    series the goal profile counts (``profile``, else the shipped ``sdg-goals``:
    :func:`~sdgbridge.assessment.figures.counted_links`); ``every_series``: all of them."""
    if level not in LEVELS:
        raise SdgBridgeError(f"Unknown level {level!r}; choose one of {', '.join(LEVELS)}.")
    if level == "series":
        return results
    if not every_series:
        links = counted_links(links, profile)
    df = results.join(links, on="series", how="inner")
    df = df.with_columns(
        pl.col("indicator").str.split(".").list.slice(0, {"indicator": 3, "target": 2,
                                                          "goal": 1}[level])
        .list.join(".").alias(level))
    counts = df.group_by(level, "area").agg(
        pl.col("series").n_unique().alias("coverage"),
        *[(pl.col("scale") == s).sum().alias(s) for s in SCALE])
    order = pl.col(level).map_elements(code_key, return_dtype=pl.List(pl.Int64))
    return counts.with_columns(order.alias("_o")).sort("_o", "area").drop("_o")


def method_summary(a: Assessment, links: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    """The method's own headline aggregates, as (title, frame) pairs (its record's
    ``summary``; e.g. SDSN's goal scores and index, ESCAP's indices); none for a method
    that has none beyond :func:`roll_up`."""
    summary = get_method(a.method).summary
    return summary(a.results, links, a.params) if summary else []

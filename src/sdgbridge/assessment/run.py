"""Run a method on the store's data: read → pure method → roll up, with coverage.

``assess(engine, "unsd", areas=["CARSDG"])`` reads the headline observations
(:mod:`~sdgbridge.assessment.inputs`), applies the method (a pure function over frames),
and returns one row per series × area; :func:`roll_up` counts the statuses per indicator,
target or goal and area, with the coverage (how many series each figure rests on).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.assessment.headline import rules_sha256
from sdgbridge.assessment.inputs import assessment_input, load_targets
from sdgbridge.assessment.methods.escap import assess_escap, group_values, select_indicators
from sdgbridge.assessment.methods.opensdg import assess_opensdg
from sdgbridge.assessment.methods.sdsn import assess_sdsn
from sdgbridge.assessment.methods.unsd import assess_unsd
from sdgbridge.assessment.model import SCALE, code_key, read_params
from sdgbridge.assessment.store import Assessment
from sdgbridge.db import tables as t
from sdgbridge.errors import SdgBridgeError, UnknownSeries
from sdgbridge.reference.geography import resolve_areas

Method = Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]
METHODS: dict[str, Method] = {"unsd": assess_unsd, "escap": assess_escap,
                              "sdsn": assess_sdsn, "opensdg": assess_opensdg}
# SDSN normalises between percentiles over all countries: its input is every country's data,
# the results are then kept for the areas asked for.
WORLDWIDE = {"sdsn"}
LEVELS = ("series", "indicator", "target", "goal")


def method_params(method: str) -> dict[str, object]:
    """The shipped parameter file of ``method``, as data (it carries its ``version``)."""
    return read_params(f"{method}.toml")


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


def assess(engine: Engine, method: str, areas: Sequence[str], series: Sequence[str] = (),
           targets: Path | None = None, as_of: int | None = None, publisher: str = "UNSD",
           group: str | None = None, headlines: Path | None = None) -> Assessment:
    """Status of every series × area the method can assess (see the method's module), with
    what it was computed from: parameters, target table digest, data releases.

    ``publisher`` picks global (UNSD) or a national office's series (with a target table
    that names them). With ``group``, the group itself is assessed as one area: its values
    are the unweighted means of its countries' values (ESCAP's rule), for the series that
    more than half of its countries report with 2+ points (ESCAP's selection rule).
    ``headlines``: a headline rules table instead of the shipped one
    (:mod:`~sdgbridge.assessment.headline`); its sha256 is kept with the parameters
    (``headline_rules_sha256``), as the target table's is.
    """
    if method not in METHODS:
        raise SdgBridgeError(f"Unknown method {method!r}; choose one of "
                             f"{', '.join(sorted(METHODS))}.")
    codes = resolve_areas(engine, [group] if group else areas)
    table = load_targets(targets)
    wanted = list(series) or table["series"].to_list()
    _check_series(engine, series, publisher)
    read = codes if method not in WORLDWIDE or group else sorted(
        set(codes) | set(_countries(engine)))
    obs = assessment_input(engine, read, wanted, publisher=publisher, as_of=as_of,
                           headlines=headlines)
    releases = sorted(int(r) for r in obs["release"].unique().to_list())
    obs = obs.drop("release")
    if group:
        kept = select_indicators(obs, codes).filter(pl.col("selected"))["series"]
        obs = group_values(obs.filter(pl.col("series").is_in(kept.to_list())), codes,
                           area=group).drop("n_areas")
        codes = [group]
    result = METHODS[method](obs, table.filter(pl.col("series").is_in(wanted)))
    result = result.filter(pl.col("area").is_in(codes))
    digest = hashlib.sha256(table.sort("series").write_csv().encode()).hexdigest()
    params = method_params(method) | {"headline_rules_sha256": rules_sha256(headlines)}
    return Assessment(method, params, result, codes, releases, digest, as_of)


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


def roll_up(results: pl.DataFrame, links: pl.DataFrame, level: str) -> pl.DataFrame:
    """Counts of each display-scale status per ``level`` × area, with coverage."""
    if level not in LEVELS:
        raise SdgBridgeError(f"Unknown level {level!r}; choose one of {', '.join(LEVELS)}.")
    if level == "series":
        return results
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
    """The method's own headline aggregates, as (title, frame) pairs: SDSN's goal scores,
    dashboard colours and index; ESCAP's Current Status Index per goal and Anticipated
    Progress per target. The UNSD and Open SDG methods have none beyond :func:`roll_up`."""
    if a.method == "sdsn":
        from sdgbridge.assessment.methods import sdsn

        goals = sdsn.goal_scores(a.results, links)
        return [("SDSN goal scores (0-100) and dashboard colours",
                 goals.join(sdsn.goal_dashboard(a.results, links).select(
                     "goal", "area", "rating"), on=["goal", "area"], how="left")),
                ("SDSN index (mean of goal scores; none where over 20 % is missing)",
                 sdsn.index(goals))]
    if a.method == "escap":
        from sdgbridge.assessment.methods import escap

        return [("ESCAP Current Status Index per goal",
                 escap.current_status_index(a.results, links)),
                ("ESCAP Anticipated Progress per target",
                 escap.anticipated_progress(a.results, links))]
    return []

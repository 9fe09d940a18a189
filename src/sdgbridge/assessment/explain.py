"""Why each series × area got its status: the rule of its method that decided, as data.

:func:`decided_by` adds a ``rule`` key to a method's results (one of :data:`RULES`), read
from the result's own columns in the order the method applies its rules (the module
docstrings of :mod:`.methods`), and :func:`rule_numbers` the edges that rule compared
against, from the method's parameters. A page or report turns the key and the numbers into
a sentence in its language; the key set is small and closed, so every sentence is written
(and translated) once.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from sdgbridge.assessment.model import with_limits

#: Rule keys, by method (a key shared by methods means the same thing in each).
RULES = {
    "unsd": ("too_few_years", "target_met_at_base", "target_met", "at_limit",
             "growth_undefined", "ratio", "growth"),
    "opensdg": ("too_few_years", "target_met", "ratio", "growth"),
    "escap": ("no_target", "too_few_years", "target_met_at_base", "api"),
    "sdsn": ("too_few_years", "green_kept", "green_lost", "pace"),
}


def _meets(column: str, goal: str = "target") -> pl.Expr:
    value, target = pl.col(column), pl.col(goal)
    return pl.when(pl.col("direction") == "higher").then(value >= target).otherwise(
        value <= target).fill_null(False)


def _at_limit() -> pl.Expr:
    good = pl.when(pl.col("direction") == "higher").then(pl.col("upper_limit")).otherwise(
        pl.col("lower_limit"))
    return (good.is_not_null() & (pl.col("latest_value") == good)).fill_null(False)


def _unsd() -> pl.Expr:
    has = pl.col("target").is_not_null()
    short = pl.col("base_year").is_null() | (pl.col("latest_year") <= pl.col("base_year"))
    return (pl.when(short).then(pl.lit("too_few_years"))
            .when(has & _meets("base_value")).then(pl.lit("target_met_at_base"))
            .when(has & _meets("latest_value")).then(pl.lit("target_met"))
            .when(~has & _at_limit()).then(pl.lit("at_limit"))
            .when(pl.col("cagr").is_null()).then(pl.lit("growth_undefined"))
            .when(has).then(pl.lit("ratio")).otherwise(pl.lit("growth")))


def _opensdg() -> pl.Expr:
    has = pl.col("target").is_not_null()
    return (pl.when(pl.col("scale") == "insufficient data").then(pl.lit("too_few_years"))
            .when(has & _meets("latest_value")).then(pl.lit("target_met"))
            .when(has).then(pl.lit("ratio")).otherwise(pl.lit("growth")))


def _escap() -> pl.Expr:
    return (pl.when(pl.col("target").is_null()).then(pl.lit("no_target"))
            .when(pl.col("base_value").is_null() | pl.col("api").is_null()
                  & ~_meets("base_value")).then(pl.lit("too_few_years"))
            .when(_meets("base_value")).then(pl.lit("target_met_at_base"))
            .otherwise(pl.lit("api")))


def sdsn_goal(target_year: int = 2030) -> pl.Expr:
    """The value SDSN's trend arrow measures against (the green threshold, or the area's
    relative target), read back from the pace needed to reach it by ``target_year``."""
    years = target_year - pl.col("base_year")
    return pl.coalesce(pl.col("base_value") + pl.col("pace_needed") * years, pl.col("green"))


def _sdsn() -> pl.Expr:
    return (pl.when(pl.col("scale") == "insufficient data").then(pl.lit("too_few_years"))
            .when(_meets("latest_value", "goal")).then(pl.lit("green_kept"))
            .when(_meets("base_value", "goal")).then(pl.lit("green_lost"))
            .otherwise(pl.lit("pace")))


_BY_METHOD = {"unsd": _unsd, "opensdg": _opensdg, "escap": _escap, "sdsn": _sdsn}


def decided_by(results: pl.DataFrame, limits: pl.DataFrame | None = None) -> pl.DataFrame:
    """``results`` (one method's, :mod:`sdgbridge.assessment.model` result columns and the
    method's own) with ``rule``: the key (:data:`RULES`) of the rule that decided each
    status. ``limits`` (``series, lower_limit, upper_limit``, e.g. the world table) tells
    UNSD's "at the natural limit" apart; without it that rule is never named. SDSN's
    results also get ``goal``: the value its trend arrow measures against."""
    if results.is_empty():
        return results.with_columns(pl.lit(None, pl.Utf8).alias("rule"))
    methods = results["method"].unique().to_list()
    if len(methods) != 1 or methods[0] not in _BY_METHOD:
        raise ValueError(f"decided_by takes one known method's results, not {methods}.")
    frame = results
    if limits is not None and "upper_limit" not in frame.columns:
        frame = frame.join(limits.select("series", "lower_limit", "upper_limit"),
                           on="series", how="left")
    frame = with_limits(frame)
    if methods[0] == "sdsn":
        frame = frame.with_columns(sdsn_goal().alias("goal"))
    ruled = frame.with_columns(_BY_METHOD[methods[0]]().alias("rule"))
    extra = ["goal"] if methods[0] == "sdsn" else []
    return ruled.select(*results.columns, "rule", *extra)


def rule_numbers(method: str, params: dict[str, Any]) -> dict[str, float]:
    """The edges a method's rules compare against, from its parameters: ``on_track``,
    ``moderate`` … as the method names its bands (ratio or API edges, growth-rate edges,
    pace-ratio edges)."""
    if method == "unsd":
        return {**{f"ratio_{k}": v for k, v in params["ratio_bands"].items()},
                **{f"growth_{k}": v for k, v in params["cagr_bands"].items()}}
    if method == "opensdg":
        return {**{f"ratio_{k}": v for k, v in params["target_bands"].items()},
                **{f"growth_{k}": v for k, v in params["cagr_bands"].items()}}
    if method == "escap":
        return {"api_on_track": params["api"]["on_track"],
                "api_regression": params["api"]["regression"]}
    if method == "sdsn":
        return {f"pace_{k}": v for k, v in params["trend"].items() if isinstance(v, float)}
    raise ValueError(f"No rules known for method {method!r}.")

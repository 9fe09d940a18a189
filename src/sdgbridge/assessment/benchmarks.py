"""ESCAP's regional benchmarks: a 2030 target from the region's best performers, shipped as data.

ESCAP's Asia and the Pacific SDG Progress Report gives every indicator it assesses a target
value: the SDG target's own number, else one from an international agreement, else a
**regional benchmark** set by the best performers of the region in the base year, or a
relative target (halve, double). sdgbridge's target table (``data/targets.csv``) carries the
first two and the relative targets; this module builds the benchmarks (rules and sources:
``params/escap.toml`` ``[benchmark]``, docs/methods-followed.md). They need the values of
every country of ESCAP's region (:func:`sdgbridge.reference.escap.escap_region`), which a
store holding only the Centre's region lacks, so they are computed once from the whole UN
Global SDG Database by :func:`benchmark_table` and shipped as ``data/escap_benchmarks.csv``
(``sdgbridge escap-benchmarks --out FILE`` recomputes it from any store). The ESCAP method
reads the shipped table (:func:`with_benchmarks`), so its results for a country do not
depend on which other countries the store holds.

Per series of the target table (:data:`BENCHMARK_COLUMNS`), over the headline values of the
region's countries:

* each country's **base value**: its value in ``base_year`` (2015), else the nearest year
  with data (a tie goes to the later year) at most ``base_max_distance`` years away, among
  the years ``start_year <= year < target_year`` (the ESCAP method's own baseline rule);
* ``benchmark``: the mean of the ``top_n`` best base values (highest where higher is better,
  lowest where lower is better); ``region_mean``: the mean of all of them;
* no benchmark (``benchmark`` null, ``note`` says why) for a series whose values are
  absolute counts or amounts (the goal profile ``sdg-goals`` marks them "absolute": a
  country's size, not its progress, sets them), with fewer than ``min_countries`` base
  values, or whose best performers are no better than the regional mean (no spread, e.g.
  every country at 100 %: the benchmark would say nothing).
"""

from __future__ import annotations

from collections.abc import Collection
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine

from sdgbridge.assessment.figures import goal_profile
from sdgbridge.assessment.inputs import assessment_input, load_targets
from sdgbridge.assessment.model import RELATIVE, read_params, with_relative
from sdgbridge.assessment.shipped import read_table, table_sha256, write_table
from sdgbridge.assessment.world import load_world
from sdgbridge.reference.escap import escap_region

BENCHMARK_COLUMNS = ("series", "direction", "benchmark", "base_year", "n_countries", "top_n",
                     "region_mean", "how", "note")
_SCHEMA = {"series": pl.Utf8, "direction": pl.Utf8, "benchmark": pl.Float64,
           "base_year": pl.Int64, "n_countries": pl.Int64, "top_n": pl.Int64,
           "region_mean": pl.Float64, "how": pl.Utf8, "note": pl.Utf8}
_KEY = ["series", "area"]
#: ``target_source`` in the ESCAP results: where each series × area's target came from.
SOURCES = {"table": "target table", "relative": "target table (relative to the baseline)",
           "benchmark": "ESCAP regional benchmark"}
DATA_FILE = "data/escap_benchmarks.csv"


def base_values(obs: pl.DataFrame, p: dict[str, Any]) -> pl.DataFrame:
    """``series, area, base_year, base_value``: the value nearest ``p["base_year"]`` (ties to
    the later year) within ``p["base_max_distance"]`` years, of the years from
    ``start_year`` up to (not including) ``target_year``; areas without one are left out."""
    base, year = p["base_year"], pl.col("year")
    window = obs.filter((year >= p["start_year"]) & (year < p["target_year"]))
    distance = (year - base).abs()
    rank = distance * 2 + (year < base).cast(pl.Int64)  # equal distance: later year first
    return window.filter(distance <= p["base_max_distance"]).group_by(_KEY).agg(
        base_year=year.sort_by(rank).first(), base_value=pl.col("value").sort_by(rank).first())


def benchmarks_from_observations(obs: pl.DataFrame, targets: pl.DataFrame,
                                 absolute: Collection[str], p: dict[str, Any],
                                 limits: pl.DataFrame | None = None) -> pl.DataFrame:
    """The benchmark table (module docstring) from ``obs`` (``series, area, year, value``:
    the region's countries only), the target table's ``series, direction`` and the series
    whose values are ``absolute`` counts. ``p``: the ESCAP parameters (``base_year``,
    ``start_year``, ``target_year``, ``base_max_distance``, ``[benchmark]`` ``top_n`` and
    ``min_countries``). ``limits`` (``series, lower_limit, upper_limit``, the world table's):
    ``how`` says where the best performers are at the natural limit on the good side (the
    benchmark is then "universal" or "none left", as an SDG "end" target). A pure function:
    the rules in one place."""
    top_n, least = p["benchmark"]["top_n"], p["benchmark"]["min_countries"]
    higher = pl.col("direction") == "higher"
    value = pl.col("base_value")
    good = pl.when(higher).then(value).otherwise(-value)  # larger = better
    stats = (base_values(obs, p).join(targets.select("series", "direction"), on="series")
             .group_by("series").agg(
                 n_countries=pl.len().cast(pl.Int64), region_mean=value.mean(),
                 best=value.sort_by(good, descending=True).head(top_n).mean()))
    frame = targets.select("series", "direction").unique("series", keep="first").join(
        stats, on="series", how="left").with_columns(pl.col("n_countries").fill_null(0))
    better = pl.when(higher).then(pl.col("best") > pl.col("region_mean")).otherwise(
        pl.col("best") < pl.col("region_mean"))
    note = (pl.when(pl.col("series").is_in(list(absolute)))
            .then(pl.lit("absolute count or amount: no benchmark"))
            .when(pl.col("n_countries") < least)
            .then(pl.format("{} region countries with a base value, fewer than {}",
                            "n_countries", pl.lit(least)))
            .when(~better).then(pl.lit("the best performers are no better than the regional "
                                       "mean: no benchmark")))
    how = pl.format("mean of the {} {} of {} ESCAP-region countries' values nearest {} "
                    "(±{} years)", pl.lit(top_n),
                    pl.when(higher).then(pl.lit("highest")).otherwise(pl.lit("lowest")),
                    "n_countries", pl.lit(p["base_year"]), pl.lit(p["base_max_distance"]))
    if limits is not None:
        frame = frame.join(limits.select("series", "lower_limit", "upper_limit"), on="series",
                           how="left")
        limit = pl.when(higher).then(pl.col("upper_limit")).otherwise(pl.col("lower_limit"))
        how = pl.when(limit == pl.col("best")).then(pl.format(
            "{}; the best are at the natural limit {}", how, limit)).otherwise(how)
    return frame.with_columns(
        note=note, how=how, base_year=pl.lit(p["base_year"]), top_n=pl.lit(top_n),
    ).with_columns(benchmark=pl.when(pl.col("note").is_null()).then(pl.col("best"))).select(
        *(pl.col(c).cast(d) for c, d in _SCHEMA.items())).sort("series")


def absolute_series() -> frozenset[str]:
    """Series of the target table whose values are absolute counts or amounts: those the
    shipped goal profile ``sdg-goals`` gives the reason "absolute (…)"."""
    series = goal_profile().series
    return frozenset(series.filter(pl.col("reason").str.starts_with("absolute"))["series"])


def benchmark_table(engine: Engine, params: dict[str, Any] | None = None,
                    targets: pl.DataFrame | None = None) -> pl.DataFrame:
    """The benchmark table from the store's headline values of ESCAP's region; a store
    holding the whole UN Global SDG Database gives the shipped one. ``params``: the ESCAP
    parameters (the shipped ones by default); ``targets``: the target table (the shipped
    one by default)."""
    p = read_params("escap.toml") if params is None else params
    table = load_targets() if targets is None else targets
    obs = assessment_input(engine, sorted(escap_region()), table["series"].to_list())
    return benchmarks_from_observations(obs.drop("release"), table, absolute_series(), p,
                                        load_world())


def write_benchmarks(frame: pl.DataFrame, out: Path, source: str) -> None:
    """``frame`` as a benchmark file: a ``#`` header naming its source and date, then CSV."""
    n = frame.filter(pl.col("benchmark").is_not_null()).height
    write_table(frame, out, f"ESCAP regional benchmarks: {n} of {frame.height} series, from "
                f"{source}", "escap-benchmarks")


def _source(path: Path | None) -> Any:
    return path or files("sdgbridge.assessment").joinpath(DATA_FILE)


def load_benchmarks(path: Path | None = None) -> pl.DataFrame:
    """The benchmark table: the shipped ``data/escap_benchmarks.csv`` unless ``path``."""
    return read_table(_source(path), _SCHEMA, BENCHMARK_COLUMNS, "ESCAP benchmark table",
                      "escap-benchmarks")


def benchmarks_sha256(path: Path | None = None) -> str:
    """The sha256 of the benchmark table's bytes (kept with a run's parameters)."""
    return table_sha256(_source(path))


def with_benchmarks(targets: pl.DataFrame, benchmarks: pl.DataFrame | None) -> pl.DataFrame:
    """``targets`` with the regional benchmark as ``target`` where the table gives neither
    a target nor a relative one and the benchmark was set for the same direction (a table
    that turns a series' direction round gets none), and ``target_source`` (:data:`SOURCES`;
    null: no target). ``benchmarks`` None: none is used."""
    if benchmarks is None:
        benchmarks = pl.DataFrame(schema=_SCHEMA)
    bench = benchmarks.filter(pl.col("benchmark").is_not_null()).select(
        "series", pl.col("direction").alias("_dir"), pl.col("benchmark").alias("_bench"))
    t = with_relative(targets).join(bench, on="series", how="left")
    use = (pl.col("target").is_null() & pl.col(RELATIVE).is_null()
           & (pl.col("direction") == pl.col("_dir")).fill_null(False))
    source = (pl.when(pl.col("target").is_not_null()).then(pl.lit(SOURCES["table"]))
              .when(pl.col(RELATIVE).is_not_null()).then(pl.lit(SOURCES["relative"]))
              .when(use).then(pl.lit(SOURCES["benchmark"])))
    return t.with_columns(
        target=pl.when(use).then(pl.col("_bench")).otherwise(pl.col("target")),
        target_source=source).drop("_dir", "_bench")

"""Benchmark: progress assessment over every country and series of the UN Global SDG Database.

Measured in one run, one process (peak RSS at the end):

* ``read``: :func:`sdgbridge.assessment.inputs.assessment_input` — the headline observations
  of all series for all M49 countries, read from an SQLite store holding the whole
  2023-12 database (the ingest that builds the store is not timed);
* each method of :data:`sdgbridge.assessment.methods.METHODS` on that frame (pure functions);
* the peer: ``undata.analysis.progress`` (PyPI undata, the UNSD method), series by series
  on the same observations, its data fetch replaced by a function serving them (no network).

Targets: the shipped target table where it has the series; every other series is assessed
without a target, higher is better (the same table for sdgbridge and undata).

Targets of the issue: all methods ≤ 2× the read time; sdgbridge's UNSD method ≥ 100× faster
than undata; statuses agree wherever both assess (two documented differences aside: a
target met at the latest year with a value ≤ 0 is "on track" here and "insufficient" there;
a series without a target at its natural limit is "on track" here and banded on its growth
there).

    python bench/assess_global.py [--data ../shared/data/sdg/unsd_global_ddf_2023-12]
                                  [--series N]   # only N series for undata (extrapolated)
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "sdg" / "unsd_global_ddf_2023-12"
FRAMEWORK = ROOT.parent / "shared" / "data" / "text" / "sdg_framework"
RESULTS = ROOT / "bench" / "results" / "assess_global.json"


def build_store(data: Path, work: Path) -> Any:
    from sdgbridge.db.engine import make_engine
    from sdgbridge.ingest.load import ingest
    from sdgbridge.reference import load_framework, load_geography

    engine = make_engine(f"sqlite:///{work / 'store.db'}")
    load_geography(engine)
    load_framework(engine, FRAMEWORK)
    report = ingest(engine, data)
    print(f"store: {report.rows_loaded:,} observations loaded (not timed)")
    return engine


def countries(engine: Any) -> pl.DataFrame:
    from sdgbridge.reference.catalog import area_table

    areas = area_table(engine)
    return areas.filter(pl.col("kind") == "country").select("code", "iso3", "name_en")


def all_targets(obs: pl.DataFrame) -> pl.DataFrame:
    from sdgbridge.assessment.inputs import load_targets
    from sdgbridge.assessment.profiles import load_profile

    shipped = load_targets()
    # a series of the SDR profile keeps the profile's direction; any other: higher is better
    profiled = load_profile("sdr-2025").series.select("series", profiled="direction")
    others = (obs.select("series").unique().join(shipped, on="series", how="anti")
              .join(profiled, on="series", how="left")
              .with_columns(direction=pl.col("profiled").fill_null("higher"),
                            target=pl.lit(None, pl.Float64),
                            source=pl.lit("benchmark: no target"),
                            relative=pl.lit(None, pl.Float64)))
    return pl.concat([shipped.filter(pl.col("series").is_in(obs["series"].unique()
                                                            .to_list())),
                      others.select(shipped.columns)]).sort("series")


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def run_undata(obs: pl.DataFrame, targets: pl.DataFrame, areas: pl.DataFrame,
               limit: int | None) -> tuple[dict[tuple[str, str], str], float, int]:
    """undata's status per (series, M49 code), the time it took, and how many series."""
    import undata.analysis

    iso = dict(zip(areas["code"], areas["iso3"], strict=True))
    code_of = {v: k for k, v in iso.items()}
    from undata.places import expand

    names = {p.iso3: p.name for p in expand(list(iso.values()))}
    pdf = obs.with_columns(pl.col("area").replace_strict(iso, default=None).alias("iso3"))
    by_series = {s: g for (s,), g in pdf.partition_by("series", as_dict=True).items()}

    def fake_get(indicator: str, countries: Any, years: tuple[int, int], **_: Any
                 ) -> pd.DataFrame:
        rows = by_series[indicator].filter(pl.col("year").is_between(*years),
                                           pl.col("iso3").is_in(list(names)))
        return pd.DataFrame({"country": [names[i] for i in rows["iso3"]],
                             "iso3": rows["iso3"].to_list(), "year": rows["year"].to_list(),
                             "value": rows["value"].to_list(), "unit": "",
                             "indicator_name": indicator, "indicator": indicator,
                             "source": "bench", "source_url": ""})

    undata.analysis.get = fake_get
    # undata takes one target per series: series with a relative target (a value per area)
    # are left out of the comparison.
    absolute = targets.filter(pl.col("relative").is_null()).select(
        "series", "direction", "target", "source")
    wanted = absolute.head(limit) if limit else absolute
    out: dict[tuple[str, str], str] = {}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for series, direction, target, _ in wanted.iter_rows():
            table = undata.analysis.progress(series, list(names), better=direction,
                                             target=target)
            out |= {(series, code_of[r["iso3"]]): str(r["status"])
                    for r in table.to_dict("records")}
    return out, time.perf_counter() - start, wanted.height


def documented_difference(r: dict[str, Any], theirs: str) -> bool:
    """The two known differences: (1) the target is met at the latest year but a value is
    <= 0, so there is no growth rate: sdgbridge says on track, undata insufficient data
    (tests/assessment/test_unsd.py); (2) a series without a target at its natural limit on
    the good side (100 % of a share where higher is better, 0 where lower is better):
    sdgbridge says on track or target met, undata bands its growth (stagnation, marginal,
    or insufficient data where the value is 0) (docs/progress.md, "Projections")."""
    values = [v for v in (r["base_value"], r["latest_value"]) if v is not None]
    ours_on_track = r["status"].startswith("On track")
    no_growth = ours_on_track and theirs.startswith("Insufficient") and bool(values) \
        and min(values) <= 0
    good = r.get("upper_limit") if r["direction"] == "higher" else r.get("lower_limit")
    at_limit = ours_on_track and r["target"] is None and good is not None \
        and r["latest_value"] == good
    return no_growth or at_limit


def agreement(ours: pl.DataFrame, peer: dict[tuple[str, str], str]) -> dict[str, int]:
    """Compare statuses where undata assessed the series × area too."""
    counts = {"compared": 0, "agree": 0, "both_trend": 0, "differ": 0, "documented": 0}
    examples = []
    for r in ours.iter_rows(named=True):
        theirs = peer.get((r["series"], r["area"]))
        if theirs is None:
            continue
        counts["compared"] += 1
        if "Insufficient" not in r["status"] and "Insufficient" not in theirs:
            counts["both_trend"] += 1
        if r["status"] == theirs:
            counts["agree"] += 1
        else:
            counts["differ"] += 1
            counts["documented"] += documented_difference(r, theirs)
            examples.append((r["series"], r["area"], r["status"], theirs))
    counts["examples"] = examples[:10]  # type: ignore[assignment]
    return counts


def main(data: Path, limit: int | None) -> None:
    from sdgbridge.assessment.inputs import assessment_input
    from sdgbridge.assessment.methods import METHODS
    from sdgbridge.assessment.world import load_world, with_world_limits

    with tempfile.TemporaryDirectory(prefix="sdgbridge-assess-") as tmp:
        engine = build_store(data, Path(tmp))
        areas = countries(engine)
        obs, t_read = timed(assessment_input, engine, areas["code"].to_list())
        obs = obs.drop("release")
        targets = with_world_limits(all_targets(obs), load_world())
        print(f"read: {obs.height:,} headline observations, {obs['series'].n_unique()} "
              f"series, {obs['area'].n_unique()} countries in {t_read:.2f} s")
        times, results = {}, {}
        for name, method in METHODS.items():
            results[name], times[name] = timed(method.assess, obs, targets)
            print(f"  {name:<8} {times[name]:7.2f} s  {results[name].height:,} results")
        peer, t_undata, n_series = run_undata(obs, targets, areas, limit)
        engine.dispose()
    full = t_undata * targets.filter(pl.col("relative").is_null()).height / n_series
    limits = targets.select("series", "lower_limit", "upper_limit")
    agree = agreement(results["unsd"].join(limits, on="series", how="left"), peer)
    report = {
        "read_s": t_read, "methods_s": times, "all_methods_s": sum(times.values()),
        "ratio_methods_to_read": sum(times.values()) / t_read,
        "undata_s": t_undata, "undata_series": n_series, "undata_all_series_s": full,
        "series_total": targets.height, "observations": obs.height,
        "series_relative": targets.filter(pl.col("relative").is_not_null()).height,
        "speedup_unsd_vs_undata": full / times["unsd"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "agreement": agree,
    }
    print_report(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1, default=str))


def print_report(r: dict[str, Any]) -> None:
    verdict = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    print(f"\nall {len(r['methods_s'])} methods: {r['all_methods_s']:.2f} s = "
          f"{r['ratio_methods_to_read']:.2f}× the read ({r['read_s']:.2f} s)  target ≤ 2  "
          f"{verdict(r['ratio_methods_to_read'] <= 2)}")
    comparable = r["series_total"] - r["series_relative"]
    scope = (f"all {comparable} series with an absolute or no target; the "
             f"{r['series_relative']} with a relative target left out"
             if r["undata_series"] == comparable else
             f"{r['undata_series']} of {comparable} series, extrapolated to all")
    print(f"undata: {r['undata_s']:.1f} s for {r['undata_series']} series ({scope}: "
          f"{r['undata_all_series_s']:.0f} s); sdgbridge UNSD is "
          f"{r['speedup_unsd_vs_undata']:.0f}× faster  target ≥ 100  "
          f"{verdict(r['speedup_unsd_vs_undata'] >= 100)}")
    a = r["agreement"]
    print(f"agreement with undata: {a['agree']:,} of {a['compared']:,} series × countries "
          f"agree ({a['both_trend']:,} with a trend status from both); {a['differ']} differ, "
          f"{a['documented']} of them by the documented rules (target met with a value <= 0; "
          f"a share at its natural limit); e.g. {a['examples'][:3]}")
    print(f"peak RSS: {r['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--series", type=int, default=None,
                   help="run undata on the first N series only and extrapolate")
    args = p.parse_args()
    main(args.data, args.series)

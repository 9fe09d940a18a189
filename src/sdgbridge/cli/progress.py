"""Progress towards the 2030 targets on the command line: ``assess``, ``trend``, ``gaps``, and
the shipped tables that need every country (``world-table``, ``escap-benchmarks``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from sdgbridge.assessment.current import publication_problem
from sdgbridge.assessment.figures import goal_profile as goal_profile_default
from sdgbridge.assessment.gaps import target_table_gaps
from sdgbridge.assessment.profiles import Profile, load_profile
from sdgbridge.assessment.run import assess as run_assess
from sdgbridge.assessment.run import (
    method_summary,
    publisher_has_series,
    roll_up,
    series_indicators,
)
from sdgbridge.assessment.store import Assessment, save
from sdgbridge.cli.output import (
    AreasOpt,
    AsOfOpt,
    FormatOpt,
    MethodOpt,
    SeriesOpt,
    check_format,
    console,
    show,
)
from sdgbridge.cli.state import CliState, state
from sdgbridge.errors import SdgBridgeError
from sdgbridge.reference import resolve_areas
from sdgbridge.reference.catalog import with_area_names

app = typer.Typer()

LevelOpt = Annotated[str, typer.Option("--level", help="series, indicator, target or goal")]


def _refuse_before_the_run(st: CliState, series: list[str] | None, publisher: str,
                           summary: bool, fmt: str, heatmap: Path | None) -> None:
    """Options that would fail after the run is stored, refused before it."""
    check_format(fmt)
    if not series and not publisher_has_series(st.engine, publisher):
        raise SdgBridgeError(f"No series of publisher {publisher!r} in the store; "
                             "`sdgbridge status` lists the publishers.")
    if summary and fmt == "csv":
        raise SdgBridgeError("--summary adds several tables, which one CSV cannot hold: use "
                             "--format json (one object) or table.")
    if heatmap is not None:
        from sdgbridge.assessment.charts import chart_path  # matplotlib: only to draw

        chart_path(heatmap)


def _kept_as(run: Assessment) -> str:
    if run.run_id is None:
        return "; not stored (--store keeps it, --publish shows it on the pages)"
    return f"; stored as assessment run {run.run_id}{' and published' if run.published else ''}"


def _show_run(run: Assessment, table: pl.DataFrame, extra: list[tuple[str, pl.DataFrame]],
              level: str, fmt: str, counting: Profile | None = None) -> None:
    """The rolled-up results and the method's own aggregates, as tables or one JSON doc."""
    if fmt == "json" and extra:  # one JSON document: the results and each aggregate
        doc = {"results": table.to_dicts(), **{t: f.to_dicts() for t, f in extra}}
        sys.stdout.write(json.dumps(doc, default=str, ensure_ascii=False, indent=1) + "\n")
        return
    if level == "series" and fmt == "table":
        table = table.select("series", "area", "area_name", "base_year", "latest_year", "target",
                             "projected_2030", "status", "scale")
    title = (f"{run.method} method, {level} level: {run.results.height} series × area "
             f"results, parameters {run.params_version}, data releases {run.releases}"
             + ("" if level == "series" else
                f", goal profile {(counting or goal_profile_default()).version}")
             + _kept_as(run))
    show(table, fmt, title=title, limit=200)
    for extra_title, frame in extra:
        show(frame, fmt, title=extra_title, limit=200)


@app.command()
def assess(
    ctx: typer.Context,
    method: MethodOpt = "unsd",
    areas: AreasOpt = None,
    series: SeriesOpt = None,
    level: LevelOpt = "goal",
    targets: Annotated[Path | None, typer.Option(help="Your target table (CSV: series, "
                                                 "direction, target, source).")] = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = "table",
    heatmap: Annotated[Path | None, typer.Option(help="Also draw the goals × countries "
                                                 "heatmap to this .png or .svg file.")] = None,
    publisher: Annotated[str, typer.Option(help="UNSD (global series) or a national "
                                           "office (KAZSTAT, KG_NSC, TAJSTAT).")] = "UNSD",
    group: Annotated[str | None, typer.Option(help="Assess this group as one area "
                                              "(unweighted mean of its countries).")] = None,
    summary: Annotated[bool, typer.Option(help="Also print the method's own aggregates "
                                          "(SDSN goal scores and index, ESCAP indices).")]
    = False,
    headlines: Annotated[Path | None, typer.Option(help="Your headline rules (CSV like "
                                                   "assessment/data/headlines.csv) for series "
                                                   "published only by category.")] = None,
    profile: Annotated[Path | None, typer.Option(help="Your profile folder (profile.toml, "
                                                 "series.csv like assessment/profiles/"
                                                 "sdr-2025) for a method that takes one "
                                                 "(sdsn).")] = None,
    goal_profile: Annotated[str | None, typer.Option(
        "--goal-profile", help="The goal profile of the displayed roll-up: a shipped name "
        "(sdg-goals, the default; unsd-progress-chart) or a folder like assessment/profiles/"
        "sdg-goals. Which series count in the indicator, target and goal figures.")] = None,
    store: Annotated[bool, typer.Option(help="Keep the run in the store (an ad-hoc run: "
                                        "the pages go on showing the published one).")]
    = False,
    publish: Annotated[bool, typer.Option(help="Keep the run and publish it: the pages and "
                                          "/api/v1/assessments/latest show it for this method "
                                          "(the whole target table, the whole region).")]
    = False,
) -> None:
    """Progress towards the 2030 targets by a published method, with coverage."""
    st = state(ctx)
    _refuse_before_the_run(st, series, publisher, summary, fmt, heatmap)
    counting = load_profile(goal_profile, method="unsd") if goal_profile else None
    areas = areas or [st.settings.default_group]
    if publish:
        narrowing = {"--series": series, "--targets": targets, "--as-of": as_of,
                     "--group": group, "--headlines": headlines, "--profile": profile,
                     "--publisher": publisher != "UNSD"}
        problem = publication_problem(st.engine, areas, st.settings.default_group,
                                      [name for name, given in narrowing.items() if given])
        if problem:
            raise SdgBridgeError(problem)
    run = run_assess(st.engine, method, areas, series or (), targets, as_of, publisher, group,
                     headlines, profile)
    if store or publish:
        save(st.engine, run, publish=publish)
    links = series_indicators(st.engine)
    _show_run(run, with_area_names(st.engine, roll_up(run.results, links, level,
                                                           counting)),
              method_summary(run, links) if summary else [], level, fmt, counting)
    if heatmap is not None:
        from sdgbridge.assessment.charts import goal_heatmap

        goal_heatmap(st.engine, run, heatmap)
        console.print(f"Heatmap written to {heatmap}.")


@app.command()
def trend(ctx: typer.Context,
          series: Annotated[str, typer.Option(help="Series code.")],
          area: Annotated[str, typer.Option(help="Area (M49 or ISO3).")],
          out: Annotated[Path, typer.Option(help="The .png or .svg file to write.")],
          method: Annotated[str, typer.Option(help="unsd or opensdg")] = "unsd") -> None:
    """Chart one series for one area: data, 2030 projection (with its range) and target."""
    from sdgbridge.assessment.charts import area_trend_chart

    area_trend_chart(state(ctx).engine, series, area, out, method)
    console.print(f"Trend chart written to {out}.")


@app.command()
def gaps(ctx: typer.Context, areas: AreasOpt = None, level: LevelOpt = "goal",
         fmt: FormatOpt = "table") -> None:
    """Where data are missing or old, for the series of the target table."""
    st = state(ctx)
    codes = resolve_areas(st.engine, areas or [st.settings.default_group])
    show(target_table_gaps(st.engine, codes, level), fmt,
         title=f"Data gaps ({level} level)", limit=200)


@app.command("world-table")
def world_table(ctx: typer.Context,
                out: Annotated[Path, typer.Option(help="The CSV file to write.")]) -> None:
    """Recompute the world table (natural limits, largest values, percentiles of every
    country) from this store; the shipped one comes from the whole UN Global SDG Database."""
    from sdgbridge.assessment.world import world_table as compute
    from sdgbridge.assessment.world import write_world

    st = state(ctx)
    with console.status("Reading every country's headline values…"):
        frame = compute(st.engine)
    write_world(frame, out, source=_store_source(st))
    console.print(f"World table of {frame.height} series written to {out}.")


@app.command("sdsn-regional-means")
def sdsn_regional_means(
        ctx: typer.Context,
        out: Annotated[Path, typer.Option(help="The CSV file to write.")],
        profile: Annotated[Path | None, typer.Option(
            help="A profile folder instead of the sdsn method's default profile.")] = None,
) -> None:
    """Recompute the SDSN profile's regional goal means (SDR 2023's filling of a missing
    goal) from every country of this store; the shipped ones come from the whole UN Global
    SDG Database."""
    from sdgbridge.assessment.methods.sdsn_regions import write_means
    from sdgbridge.assessment.sdsn_means import regional_means_table

    st = state(ctx)
    with console.status("Scoring every country of the store…"):
        frame, prof = regional_means_table(st.engine, profile)
    write_means(frame, out, prof.version, source=_store_source(st))
    console.print(f"Regional means ({frame.height} region x goal rows) for profile "
                  f"{prof.version} written to {out}.")


@app.command("escap-benchmarks")
def escap_benchmarks(ctx: typer.Context,
                     out: Annotated[Path, typer.Option(help="The CSV file to write.")]) -> None:
    """Recompute ESCAP's regional benchmarks (the mean of the region's best performers in
    2015, the target of series without one) from this store; the shipped table comes from
    the whole UN Global SDG Database."""
    from sdgbridge.assessment.benchmarks import benchmark_table, write_benchmarks

    st = state(ctx)
    with console.status("Reading the headline values of ESCAP's region…"):
        frame = benchmark_table(st.engine)
    write_benchmarks(frame, out, source=_store_source(st))
    n = frame.filter(pl.col("benchmark").is_not_null()).height
    console.print(f"ESCAP benchmarks for {n} of {frame.height} series written to {out}.")


def _store_source(st: CliState) -> str:
    """The store's releases, as the world table's header names its source."""
    from sdgbridge.query.observations import release_table

    releases = release_table(st.engine)
    names = [f"release {i}: {s} ({Path(str(loc)).name})" for i, s, loc in zip(
        releases["id"], releases["source"], releases["location"], strict=True)]
    return "; ".join(names) if names else "an empty store"

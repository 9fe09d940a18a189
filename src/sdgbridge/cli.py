"""The command line: a thin shell over the library. Every command parses its options, calls
one library function and renders the result; ``main`` turns SdgBridgeError into
``Error: …`` and exit code 1."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, cast

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from sdgbridge import summary as summ
from sdgbridge.config import Settings, load_settings
from sdgbridge.db.engine import make_engine
from sdgbridge.errors import SdgBridgeError
from sdgbridge.ingest import load as ingest_mod
from sdgbridge.ingest.registry import formats, get_reader
from sdgbridge.query.export import export_frame
from sdgbridge.query.observations import (
    ObservationQuery,
    diff_releases,
    query_observations,
    release_table,
)
from sdgbridge.reference import define_group, delete_group, load_framework, load_geography
from sdgbridge.reference.catalog import area_table, group_table, series_table

app = typer.Typer(help="sdgbridge: official SDG data, with provenance, for a regional SDG centre.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
groups_app = typer.Typer(help="Groups of areas (M49 and SDG regions, LDC/LLDC/SIDS, your own).")
framework_app = typer.Typer(help="The SDG framework: goals, targets, indicators.")
app.add_typer(groups_app, name="groups")
app.add_typer(framework_app, name="framework")
projects_app = typer.Typer(help="Projects (IATI activities): import, list, history, 3W.")
app.add_typer(projects_app, name="projects")


def _mount_project_editing() -> None:
    # The organisation registry and hand-made projects (sdgbridge.projects.cli): `orgs …`, and
    # `projects create|update|archive`.
    from sdgbridge.projects.cli import edit_app, orgs_app

    app.add_typer(orgs_app, name="orgs")
    projects_app.add_typer(edit_app)
console = Console(soft_wrap=True)


class State:
    settings: Settings
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine


state = State()


@app.callback()
def _root(database_url: Annotated[str | None, typer.Option(
        "--db", help="Store URL (overrides SDGBRIDGE_DATABASE_URL).")] = None) -> None:
    state.settings = load_settings(**({"database_url": database_url} if database_url else {}))
    state._engine = None


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar driven by (stage, done, total) callbacks."""
    with Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def show_or_write(df: pl.DataFrame, out: Path | None, fmt: str, title: str | None = None
                  ) -> None:
    """Write ``df`` to ``out`` (CSV, Parquet or xlsx by suffix) or print it."""
    if out:
        export_frame(df, out)
        console.print(f"Wrote {df.height:,} rows to {out}.")
    else:
        show(df, fmt, title=title)


FORMATS = ("table", "csv", "json")


def check_format(fmt: str) -> None:
    """Refuse a ``--format`` the display does not know."""
    if fmt not in FORMATS:
        raise SdgBridgeError(f"--format {fmt!r}: choose table, csv or json.")


def show(df: pl.DataFrame, fmt: str = "table", title: str | None = None,
         limit: int = 50) -> None:
    check_format(fmt)
    if fmt == "csv":
        sys.stdout.write(df.write_csv())
    elif fmt == "json":
        sys.stdout.write(json.dumps(df.to_dicts(), default=str, ensure_ascii=False, indent=1))
        sys.stdout.write("\n")
    else:
        table = Table(title=title, show_lines=False)
        for c in df.columns:
            table.add_column(c, overflow="fold")
        for row in df.head(limit).iter_rows():
            table.add_row(*["" if v is None else str(v) for v in row])
        console.print(table)
        if df.height > limit:
            console.print(f"… {df.height - limit} more rows (use --format csv or export).")


# ---- set-up and reference data -------------------------------------------------------

@app.command()
def init(framework: Annotated[Path | None, typer.Option(
        help="Folder of the SDG framework CSVs (default: <data_dir>/text/sdg_framework).")]
         = None) -> None:
    """Create or upgrade the store and load the geography and the SDG framework."""
    if framework is not None and not framework.is_dir():
        raise SdgBridgeError(f"--framework {framework}: no such folder; give the folder "
                             "holding sdg_goals.csv, sdg_targets.csv and sdg_indicators.csv.")
    geo = load_geography(state.engine)
    console.print(f"Geography: {geo.areas} areas, {geo.groups} groups.")
    folder = framework or state.settings.data_dir / "text" / "sdg_framework"
    if folder.exists():
        fw = load_framework(state.engine, folder)
        console.print(f"SDG framework: {fw.goals} goals, {fw.targets} targets, {fw.indicators} "
                      f"indicator codes ({fw.unique_indicators} unique), {fw.titles} titles.")
    else:
        console.print(f"[yellow]No SDG framework at {folder}; load it with "
                      "`sdgbridge framework load PATH`.[/]")


@framework_app.command("load")
def framework_load(path: Path) -> None:
    """Load the goals, targets and indicators from a folder of framework CSVs."""
    fw = load_framework(state.engine, path)
    console.print(f"{fw.goals} goals, {fw.targets} targets, {fw.indicators} indicator codes "
                  f"({fw.unique_indicators} unique), {fw.titles} titles in 8 languages.")


@framework_app.command("show")
def framework_show(goal: Annotated[str | None, typer.Option(help="Only this goal.")] = None,
                   lang: Annotated[str, typer.Option(help="en or ru")] = "en",
                   fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """List the indicators with their targets and titles."""
    from sdgbridge.reference.catalog import indicator_table

    show(indicator_table(state.engine, goal, lang), fmt, limit=300)


@app.command()
def areas(group: Annotated[str | None, typer.Option(help="Only the members of a group.")]
          = None, fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """List the areas (M49 code, ISO3, name, kind)."""
    show(area_table(state.engine, group), fmt, limit=400)


@groups_app.command("list")
def groups_list(fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """List the groups and their sizes."""
    show(group_table(state.engine), fmt, limit=200)


@groups_app.command("define")
def groups_define(code: str, name: str, members: list[str]) -> None:
    """Create or replace your own group from M49, ISO3 or group codes."""
    got = define_group(state.engine, code, name, members)
    console.print(f"Group {code}: {len(got)} areas ({', '.join(got)}).")


@groups_app.command("delete")
def groups_delete(code: str) -> None:
    """Delete one of your own groups."""
    delete_group(state.engine, code)
    console.print(f"Group {code} deleted.")


# ---- ingest -------------------------------------------------------------------------

@app.command("formats")
def formats_cmd() -> None:
    """The input formats sdgbridge reads."""
    show(pl.DataFrame(formats(), schema=["format", "what"], orient="row"))


def _print_report(r: ingest_mod.IngestReport) -> None:
    head = (f"Release {r.release_id}" if r.release_id else
            "No change: the input is identical to the stored data; no release was written")
    console.print(f"{head} — {r.source} [{r.reader}]", markup=False)
    console.print(f"  read {r.rows_read:,}  loaded {r.rows_loaded:,}  unchanged "
                  f"{r.rows_unchanged:,}  superseded {r.rows_superseded:,}  removed "
                  f"{r.rows_removed:,}  rejected {r.rows_rejected:,}  "
                  f"repeated {r.rows_repeated:,}  "
                  f"({r.series} series, "
                  f"{r.areas} areas)", markup=False)
    if r.rejects_file:
        console.print(f"  rejected rows with reasons: {r.rejects_file}")


@app.command()
def ingest(
    path: Path,
    fmt: Annotated[str | None, typer.Option("--format", help="Reader name (see formats).")]
    = None,
    source: Annotated[str | None, typer.Option(help="Name of the source for the release.")]
    = None,
    partial: Annotated[bool, typer.Option(help="Load the valid rows; write rejected ones to a "
                                          "file.")] = False,
    rejects: Annotated[Path | None, typer.Option(help="Where --partial writes the rejected "
                                                 "rows.")] = None,
    structure: Annotated[Path | None, typer.Option(help="SDMX: the DSD file.")] = None,
    publisher: Annotated[str | None, typer.Option(help="Open SDG: the national publisher "
                                                  "code.")] = None,
    country: Annotated[str | None, typer.Option(help="Open SDG: the country's M49 code.")]
    = None,
) -> None:
    """Load a file or folder of official SDG data as a new release."""
    if rejects is not None and not partial:
        raise SdgBridgeError("--rejects names where --partial writes the rejected rows: add "
                             "--partial, or leave --rejects out.")
    options = {k: v for k, v in {"structure": structure, "publisher": publisher,
                                 "country": country}.items() if v is not None}
    reader = get_reader(path, fmt, **options)
    with progress_bar() as update:
        report = ingest_mod.ingest(state.engine, path, source=source, partial=partial,
                                   rejects_path=rejects, progress=update, reader=reader)
    _print_report(report)


@app.command()
def sync(
    series: Annotated[list[str], typer.Option("--series", help="Series code (repeat).")],
    areas_: Annotated[list[str] | None, typer.Option("--areas", help="Areas or groups.")]
    = None,
    refresh: Annotated[bool, typer.Option(help="Ignore the local cache.")] = False,
) -> None:
    """Fetch series from the official UNSD SDG API (cached locally) and load them."""
    from sdgbridge.ingest.sync import sync as run_sync
    from sdgbridge.reference import resolve_areas

    codes = resolve_areas(state.engine, areas_ or [state.settings.default_group])
    with progress_bar() as update:
        result = run_sync(state.settings, series, codes, refresh=refresh,
                          progress=lambda d, n: update("fetch", d, n))
        report = ingest_mod.ingest(state.engine, result.path, fmt="sdg_api",
                                   source="UNSD SDG API", progress=update)
    _print_report(report)


@app.command()
def releases(fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """List the releases (every ingest) with their counts."""
    show(release_table(state.engine).drop("fingerprint", "location"), fmt)


@app.command()
def diff(a: int, b: int, series: Annotated[list[str] | None, typer.Option()] = None,
         fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """Values added, changed or removed between release A and release B."""
    check_format(fmt)
    df = diff_releases(state.engine, a, b, ObservationQuery(series=series or ()))
    counts = df.group_by("change").len().sort("change").iter_rows()
    summary = ", ".join(f"{n:,} {c}" for c, n in counts) or "No differences."
    # CSV and JSON go to standard output alone, so that they can be piped.
    (console if fmt == "table" else Console(stderr=True)).print(summary)
    show(df, fmt)


@app.command("series")
def series_cmd(goal: Annotated[str | None, typer.Option()] = None,
               fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """List the loaded series with their indicators and counts."""
    show(series_table(state.engine, goal), fmt, limit=1000)


# ---- query and export ---------------------------------------------------------------

def _query(goal: list[str] | None, target: list[str] | None, indicator: list[str] | None,
           series: list[str] | None, publisher: list[str] | None, areas: list[str] | None,
           year_from: int | None, year_to: int | None, dim: list[str] | None,
           headline: bool, latest: bool, as_of: int | None) -> pl.DataFrame:
    dims = {}
    for d in dim or []:
        if "=" not in d:
            raise SdgBridgeError(f"--dim {d!r}: write NAME=CODE, e.g. --dim sex=FEMALE.")
        name, code = d.split("=", 1)
        dims[name] = code
    q = ObservationQuery(goals=goal or (), targets=target or (), indicators=indicator or (),
                         series=series or (), publishers=publisher or (),
                         areas=areas or [state.settings.default_group], year_from=year_from,
                         year_to=year_to, dimensions=dims, headline=headline, latest=latest,
                         as_of=as_of)
    return query_observations(state.engine, q)


GoalOpt = Annotated[list[str] | None, typer.Option("--goal", help="Goal number (repeat).")]
TargetOpt = Annotated[list[str] | None, typer.Option("--target", help="Target, e.g. 6.1.")]
IndOpt = Annotated[list[str] | None, typer.Option("--indicator", help="Indicator, e.g. 6.1.1.")]
SeriesOpt = Annotated[list[str] | None, typer.Option("--series", help="Series code.")]
PubOpt = Annotated[list[str] | None, typer.Option("--publisher", help="UNSD, KAZSTAT, …")]
AreaOpt = Annotated[list[str] | None, typer.Option("--areas", help="M49/ISO3/group codes "
                                                   "(default: the Centre's region).")]
FromOpt = Annotated[int | None, typer.Option("--from", help="First year.")]
ToOpt = Annotated[int | None, typer.Option("--to", help="Last year.")]
DimOpt = Annotated[list[str] | None, typer.Option("--dim", help="NAME=CODE, e.g. sex=FEMALE.")]
HeadOpt = Annotated[bool, typer.Option("--headline", help="Only rows without dimensions.")]
LatestOpt = Annotated[bool, typer.Option("--latest", help="Latest period per area.")]
AsOfOpt = Annotated[int | None, typer.Option("--as-of", help="State as of this release.")]


@app.command()
def query(goal: GoalOpt = None, target: TargetOpt = None, indicator: IndOpt = None,
          series: SeriesOpt = None, publisher: PubOpt = None, areas: AreaOpt = None,
          year_from: FromOpt = None, year_to: ToOpt = None, dim: DimOpt = None,
          headline: HeadOpt = False, latest: LatestOpt = False, as_of: AsOfOpt = None,
          fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
          ) -> None:
    """Observations by goal, target, indicator or series, for areas or groups."""
    df = _query(goal, target, indicator, series, publisher, areas, year_from, year_to, dim,
                headline, latest, as_of)
    cols = ["series", "publisher", "iso3", "area", "period", "value_text", "units", "dims",
            "nature", "release"]
    show(df if fmt != "table" else df.select(cols), fmt,
         title=f"{df.height:,} observations")


@app.command()
def export(out: Path, goal: GoalOpt = None, target: TargetOpt = None, indicator: IndOpt = None,
           series: SeriesOpt = None, publisher: PubOpt = None, areas: AreaOpt = None,
           year_from: FromOpt = None, year_to: ToOpt = None, dim: DimOpt = None,
           headline: HeadOpt = False, latest: LatestOpt = False, as_of: AsOfOpt = None,
           fmt: Annotated[str | None, typer.Option("--format", help="csv, parquet or xlsx "
                                                   "(default: by suffix)")] = None) -> None:
    """Export observations, one row per observation with every dimension, to CSV, Parquet
    or Excel."""
    df = _query(goal, target, indicator, series, publisher, areas, year_from, year_to, dim,
                headline, latest, as_of)
    export_frame(df, out, fmt)
    console.print(f"Wrote {df.height:,} observations to {out}.")


# ---- progress -----------------------------------------------------------------------

@app.command()
def assess(
    method: Annotated[str, typer.Option(help="unsd, escap, sdsn or opensdg")] = "unsd",
    areas: AreaOpt = None,
    series: SeriesOpt = None,
    level: Annotated[str, typer.Option(help="series, indicator, target or goal")] = "goal",
    targets: Annotated[Path | None, typer.Option(help="Your target table (CSV: series, "
                                                 "direction, target, source).")] = None,
    as_of: AsOfOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
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
) -> None:
    """Progress towards the 2030 targets by a published method, with coverage."""
    from sdgbridge.assessment.run import assess as run_assess
    from sdgbridge.assessment.run import roll_up, series_indicators
    from sdgbridge.assessment.store import save

    check_format(fmt)
    from sdgbridge.assessment.run import publisher_has_series

    if not series and not publisher_has_series(state.engine, publisher):
        raise SdgBridgeError(f"No series of publisher {publisher!r} in the store; "
                             "`sdgbridge status` lists the publishers.")
    if summary and fmt == "csv":
        raise SdgBridgeError("--summary adds several tables, which one CSV cannot hold: use "
                             "--format json (one object) or table.")
    if heatmap is not None:  # refused now, not after the run is stored
        from sdgbridge.assessment.charts import chart_path

        chart_path(heatmap)
    run = run_assess(state.engine, method, areas or [state.settings.default_group],
                     series or (), targets, as_of, publisher, group, headlines)
    save(state.engine, run)
    results = run.results
    table = roll_up(results, series_indicators(state.engine), level)
    if level == "series" and fmt == "table":
        table = table.select("series", "area", "base_year", "latest_year", "target",
                             "projected_2030", "status", "scale")
    title = (f"{method} method, {level} level: {results.height} series × area results, "
             f"parameters {run.params_version}, data releases {run.releases}; stored as "
             f"assessment run {run.run_id}")
    extra = []
    if summary:
        from sdgbridge.assessment.run import method_summary

        extra = method_summary(run, series_indicators(state.engine))
    if fmt == "json" and extra:  # one JSON document: the results and each aggregate
        doc = {"results": table.to_dicts(), **{t: f.to_dicts() for t, f in extra}}
        sys.stdout.write(json.dumps(doc, default=str, ensure_ascii=False, indent=1) + "\n")
    else:
        show(table, fmt, title=title, limit=200)
        for extra_title, frame in extra:
            show(frame, fmt, title=extra_title, limit=200)
    if heatmap is not None:
        from sdgbridge.assessment.charts import heatmap as draw_heatmap
        from sdgbridge.reference.catalog import area_table

        names = dict(area_table(state.engine).filter(pl.col("code").is_in(run.areas))
                     .select("code", "name_en").iter_rows())
        draw_heatmap(roll_up(results, series_indicators(state.engine), "goal"), "goal", names,
                     heatmap, f"SDG progress by goal ({method} method), {run.params_version}")
        console.print(f"Heatmap written to {heatmap}.")


@app.command()
def trend(series: Annotated[str, typer.Option(help="Series code.")],
          area: Annotated[str, typer.Option(help="Area (M49 or ISO3).")],
          out: Annotated[Path, typer.Option(help="The .png or .svg file to write.")],
          method: Annotated[str, typer.Option(help="unsd or opensdg")] = "unsd") -> None:
    """Chart one series for one area: data, 2030 projection (with its range) and target."""
    from sdgbridge.assessment.charts import chart_path, trend_chart
    from sdgbridge.assessment.inputs import assessment_input
    from sdgbridge.assessment.run import assess as run_assess
    from sdgbridge.reference import resolve_areas

    chart_path(out)
    found = resolve_areas(state.engine, [area])
    if len(found) != 1:
        raise SdgBridgeError(f"--area {area}: a trend chart is for one area, and {area} is a "
                             f"group of {len(found)}; give one of them (M49 or ISO3).")
    code = found[0]
    run = run_assess(state.engine, method, [code], [series])
    if run.results.height == 0:
        raise SdgBridgeError(f"No headline data for {series} in {area}; see `sdgbridge query "
                             f"--series {series} --areas {area}`.")
    obs = assessment_input(state.engine, [code], [series]).drop("release")
    trend_chart(obs, run.results.row(0, named=True), out,
                f"{series}, {area}: {run.results['status'][0]}")
    console.print(f"Trend chart written to {out}.")


@app.command()
def gaps(areas: AreaOpt = None,
         level: Annotated[str, typer.Option(help="series, indicator, target or goal")]
         = "goal",
         fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
         ) -> None:
    """Where data are missing or old, for the series of the target table."""
    from sdgbridge.assessment.gaps import Level as GapLevel
    from sdgbridge.assessment.gaps import data_gaps, gap_summary
    from sdgbridge.assessment.inputs import assessment_input, load_targets
    from sdgbridge.assessment.run import series_indicators
    from sdgbridge.reference import resolve_areas

    codes = resolve_areas(state.engine, areas or [state.settings.default_group])
    wanted = load_targets()["series"].to_list()
    found = data_gaps(assessment_input(state.engine, codes, wanted).drop("release"), wanted,
                      codes)
    if level == "series":
        table = found
    elif level in ("indicator", "target", "goal"):
        table = gap_summary(found, series_indicators(state.engine),
                            cast(GapLevel, level))
    else:
        raise SdgBridgeError(f"--level {level!r}: choose series, indicator, target or goal.")
    show(table, fmt, title=f"Data gaps ({level} level)", limit=200)


# ---- projects -----------------------------------------------------------------------

@projects_app.command("import")
def projects_import(
    paths: list[Path],
    partial: Annotated[bool, typer.Option(help="Load the valid activities; write the "
                                          "rejected ones with reasons to a file.")] = False,
    rejects: Annotated[Path | None, typer.Option(help="Where --partial writes them.")] = None,
) -> None:
    """Import IATI activity files (2.01–2.03), validated against the schema and code lists."""
    from sdgbridge.projects.service import import_files

    if rejects is not None and not partial:
        raise SdgBridgeError("--rejects names where --partial writes the rejected activities: "
                             "add --partial, or leave --rejects out.")
    with progress_bar() as update:
        r = import_files(state.engine, state.settings, paths, partial, rejects, update)
    head = f"Import {r.import_id}" if r.import_id else "No change: nothing to write"
    console.print(f"{head}: {r.activities_read:,} activities read, {r.new:,} new, "
                  f"{r.changed:,} changed, {r.unchanged:,} unchanged, {r.rejected:,} "
                  f"rejected; {r.transactions:,} transactions written.", markup=False)
    if r.rejects_file:
        console.print(f"  rejected activities with reasons: {r.rejects_file}", markup=False)


ArchivedOpt = Annotated[bool, typer.Option(
    "--include-archived", help="Also the archived projects (left out by default).")]


@projects_app.command("flat")
def projects_flat(out: Annotated[Path | None, typer.Option(help="Write CSV/Parquet/xlsx.")]
                  = None,
                  mapping: Annotated[Path | None, typer.Option(
                      help="Your DAC→SDG mapping CSV (default: the shipped one).")] = None,
                  include_archived: ArchivedOpt = False,
                  fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """One row per transaction × country × sector × SDG, with the shares applied (SDGs
    inferred from DAC sectors where the publisher tags none)."""
    from sdgbridge.projects.sdg import flat_export, load_mapping

    df = flat_export(state.engine, load_mapping(mapping) if mapping else None,
                     include_archived=include_archived)
    show_or_write(df, out, fmt)


@projects_app.command("vs-progress")
def projects_vs_progress(method: Annotated[str, typer.Option(help="unsd, escap, sdsn or "
                                                             "opensdg")] = "unsd",
                         areas: AreaOpt = None,
                         only_flagged: Annotated[bool, typer.Option(
                             help="Only the targets with a flag.")] = False,
                         fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """Money against progress per country and SDG target: off-track targets with little
    support, on-track targets with a lot."""
    from sdgbridge.assessment.run import assess as run_assess
    from sdgbridge.assessment.run import roll_up, series_indicators
    from sdgbridge.projects.coordination import money_by_target, money_vs_progress
    from sdgbridge.projects.sdg import flat_export
    from sdgbridge.reference.catalog import area_table

    run = run_assess(state.engine, method, areas or [state.settings.default_group])
    rolled = roll_up(run.results, series_indicators(state.engine), "target")
    codes = area_table(state.engine).drop_nulls("iso2").select("iso2", "code").iter_rows()
    df = money_vs_progress(rolled, money_by_target(flat_export(state.engine), dict(codes)))
    show(df.filter(pl.col("flag").is_not_null()) if only_flagged else df, fmt,
         title=f"Money (USD) against progress ({method}, {run.params_version})", limit=300)


@projects_app.command("overlaps")
def projects_overlaps(
    min_similarity: Annotated[float, typer.Option(help="TF-IDF cosine of titles and "
                                                  "descriptions, 0-1.", min=0.0, max=1.0)
                              ] = 0.5,
    mapping: Annotated[Path | None, typer.Option(help="Your DAC→SDG mapping CSV.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write CSV/Parquet/xlsx.")] = None,
    fmt: Annotated[str, typer.Option("--format")] = "table",
) -> None:
    """Projects in the same country and SDG target, overlapping in time, with similar
    descriptions."""
    from sdgbridge.projects.overlaps import overlaps
    from sdgbridge.projects.sdg import load_mapping

    df = overlaps(state.engine, min_similarity=min_similarity,
                  mapping=load_mapping(mapping) if mapping else None)
    show_or_write(df, out, fmt, f"{df.height:,} overlapping pairs")


@projects_app.command("network")
def projects_network(out: Annotated[Path | None, typer.Option(help="Write CSV/Parquet/xlsx.")]
                     = None, fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """The partner network: who co-funds, co-implements or funds whom; UN joint work."""
    from sdgbridge.projects.overlaps import partner_network

    df = partner_network(state.engine)
    show_or_write(df, out, fmt, f"{df.height:,} partner links")


@projects_app.command("export")
def projects_export(out: Path, identifier: Annotated[list[str] | None, typer.Option(
        "--id", help="Only these iati-identifiers (repeat).")] = None) -> None:
    """Export projects as IATI 2.03 XML (checked against the schema before it is written)."""
    from sdgbridge.projects.iati.export import export_activities

    export_activities(state.engine, out, identifier or None,
                      schema_path=state.settings.iati_schema)
    console.print(f"Wrote {out} (IATI 2.03, valid against {state.settings.iati_schema.name}).",
                  markup=False)


@projects_app.command("list")
def projects_list(country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2 "
                                                              "(KZ).")] = None,
                  include_archived: ArchivedOpt = False,
                  fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """List the projects (by recipient country on the activity or its transactions)."""
    from sdgbridge.projects.queries import project_table

    show(project_table(state.engine, country, include_archived=include_archived), fmt,
         limit=100)


@projects_app.command("history")
def projects_history(identifier: str,
                     fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """What changed in a project, import by import."""
    from sdgbridge.projects.queries import project_history

    show(project_history(state.engine, identifier), fmt)


@projects_app.command("3w")
def projects_3w(out: Annotated[Path | None, typer.Option(help="Write CSV/Parquet/xlsx.")]
                = None, include_archived: ArchivedOpt = False,
                fmt: Annotated[str, typer.Option("--format")] = "table") -> None:
    """Who does what where: organisation × country × DAC sector × year, with money."""
    from sdgbridge.projects.queries import three_w

    df = three_w(state.engine, include_archived=include_archived)
    show_or_write(df, out, fmt)


# ---- overview -----------------------------------------------------------------------

@app.command()
def status(group: Annotated[str | None, typer.Option(help="Group to summarise.")] = None
           ) -> None:
    """What the store holds: observations, series, areas, years, headline values."""
    from sdgbridge.reference import resolve_areas

    group = group or state.settings.default_group
    codes = resolve_areas(state.engine, [group])
    s = summ.store_summary(state.engine, codes)
    console.print(f"[bold]{group}[/]: {s.observations:,} current observations of {s.series} "
                  f"series for {s.areas} areas, {s.first_year}–{s.last_year}; "
                  f"{s.releases} release(s) in the store.")
    show(summ.publisher_table(state.engine, codes), title="By publisher (national offices' "
         "series are kept apart from UNSD's)")
    show(summ.headline_latest(state.engine, group), title="Latest headline values, UNSD "
         "global database (all dimensions at their totals; years = range of the latest years)")


@app.command()
def demo() -> None:
    """Set up the store, load the Centre's region from the offline official data (or the UNSD
    API when the data folder is absent) and show a summary."""
    init(None)
    data = state.settings.data_dir
    # The UNSD 2023-12 data for the region, and two national platforms in SDMX-ML (the Kyrgyz
    # NSC's 2.1 files with their DSD, Tajstat's 2.0 file).
    sources = [data / "sdg" / "derived" / "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv",
               data / "sdmx" / "kyrgyzstan_nsc", data / "sdmx" / "tajikistan_tajstat"]
    if not sources[0].exists():
        console.print(f"[yellow]{sources[0]} not found: fetching from the UNSD SDG API.[/]")
        sync(list(summ.HEADLINE_SERIES), None, False)
    for path in sources:
        if path.exists():
            ingest(path, None, None, False, None, None, None, None)
    status(None)
    activities = data / "iati" / "activities"
    if activities.exists():  # the partners' projects in the region (IATI), for the 3W pages
        projects_import([activities], False, None)
    console.print("Next: `sdgbridge serve`, then open http://127.0.0.1:8000/ (the dashboard, "
                  "English and Russian) or /api/docs (the API); `sdgbridge assess`; "
                  "`sdgbridge docs add FILE` (the knowledge base).", markup=False)


@app.command()
def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
          workers: Annotated[int, typer.Option(help="Worker processes (settings then come "
                                               "from the environment and sdgbridge.toml).",
                                               min=1)] = 1) -> None:
    """Serve the dashboard (/) and the JSON API (/api/v1, docs at /api/docs) with uvicorn."""
    import uvicorn

    from sdgbridge.web import create_app

    if workers > 1:
        uvicorn.run("sdgbridge.web.deps:app_factory", factory=True, host=host, port=port,
                    workers=workers, loop="asyncio", http="httptools")
    else:
        uvicorn.run(create_app(state.settings, state.engine), host=host, port=port,
                    loop="asyncio", http="httptools")


@app.command("settings")
def settings_cmd() -> None:
    """The settings in force (environment, sdgbridge.toml, defaults)."""
    for name, value in state.settings.model_dump().items():
        console.print(f"{name} = {value!s}")


_mount_project_editing()
from sdgbridge.knowledge.cli import docs_app  # noqa: E402  (the knowledge base: `docs …`)

app.add_typer(docs_app, name="docs")


def main() -> None:
    try:
        app()
    except SdgBridgeError as exc:
        _error(str(exc))
    except (IsADirectoryError, NotADirectoryError, FileNotFoundError, PermissionError,
            FileExistsError) as exc:  # a path given on the command line that cannot be used
        if exc.filename is None:  # e.g. Polars: "expected a file path; 'x' is a directory"
            _error(f"{exc}.")
        why = {IsADirectoryError: "it is a folder; give a file path",
               NotADirectoryError: "a part of it is a file, not a folder",
               FileNotFoundError: "it, or its folder, does not exist; create the folder "
                                  "or correct the path",
               PermissionError: "permission denied",
               FileExistsError: "it exists already"}[type(exc)]
        _error(f"cannot use {exc.filename}: {why}.")


def _error(message: str) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"Error: {message}", highlight=False,
                                               markup=False)
    sys.exit(1)


if __name__ == "__main__":
    main()

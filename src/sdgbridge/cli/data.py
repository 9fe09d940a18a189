"""The official SDG data on the command line: load it (``ingest``, ``sync``, ``demo``), its
releases (``releases``, ``diff``), what is loaded (``series``, ``status``) and the
observations (``query``, ``export``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console

from sdgbridge import summary as summ
from sdgbridge.cli.output import (
    AreasOpt,
    AsOfOpt,
    FormatOpt,
    SeriesOpt,
    check_format,
    console,
    progress_bar,
    show,
    show_import,
    show_ingest,
    show_setup,
)
from sdgbridge.cli.state import CliState, state
from sdgbridge.errors import SdgBridgeError
from sdgbridge.ingest import load
from sdgbridge.ingest.registry import Reader, get_reader
from sdgbridge.ingest.sync import sync as fetch_series
from sdgbridge.projects.imports import coverage
from sdgbridge.projects.service import import_files
from sdgbridge.query.export import export_frame
from sdgbridge.query.observations import (
    ObservationQuery,
    diff_releases,
    query_observations,
    release_table,
)
from sdgbridge.reference import resolve_areas
from sdgbridge.reference.catalog import series_table
from sdgbridge.reference.seed import set_up_store

app = typer.Typer()

GoalOpt = Annotated[list[str] | None, typer.Option("--goal", help="Goal number (repeat).")]
TargetOpt = Annotated[list[str] | None, typer.Option("--target", help="Target, e.g. 6.1.")]
IndOpt = Annotated[list[str] | None, typer.Option("--indicator", help="Indicator, e.g. 6.1.1.")]
PubOpt = Annotated[list[str] | None, typer.Option("--publisher", help="UNSD, KAZSTAT, …")]
FromOpt = Annotated[int | None, typer.Option("--from", help="First year.")]
ToOpt = Annotated[int | None, typer.Option("--to", help="Last year.")]
DimOpt = Annotated[list[str] | None, typer.Option("--dim", help="NAME=CODE, e.g. sex=FEMALE.")]
HeadOpt = Annotated[bool, typer.Option("--headline", help="Only rows without dimensions.")]
LatestOpt = Annotated[bool, typer.Option("--latest", help="Latest period per area.")]


# ---- loading ----------------------------------------------------------------------------

def _load(st: CliState, path: Path, reader: Reader, source: str | None = None,
          partial: bool = False, rejects: Path | None = None) -> None:
    with progress_bar() as update:
        report = load.ingest(st.engine, path, source=source, partial=partial,
                             rejects_path=rejects, progress=update, reader=reader)
    show_ingest(report)


@app.command()
def ingest(
    ctx: typer.Context,
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
    publisher: Annotated[str | None, typer.Option(help="Open SDG, or own values: the "
                                                  "publisher's code.")] = None,
    country: Annotated[str | None, typer.Option(help="Open SDG: the country's M49 code.")]
    = None,
    edition: Annotated[int | None, typer.Option(help="SDR scores: the edition's year (else "
                                                "the file name's year).")] = None,
) -> None:
    """Load a file or folder of official SDG data as a new release."""
    if rejects is not None and not partial:
        raise SdgBridgeError("--rejects names where --partial writes the rejected rows: add "
                             "--partial, or leave --rejects out.")
    options = {k: v for k, v in {"structure": structure, "publisher": publisher,
                                 "country": country, "edition": edition}.items()
               if v is not None}
    _load(state(ctx), path, get_reader(path, fmt, **options), source, partial, rejects)


def _sync(st: CliState, series: list[str], areas: list[str] | None, refresh: bool) -> None:
    codes = resolve_areas(st.engine, areas or [st.settings.default_group])
    with progress_bar() as update:
        result = fetch_series(st.settings, series, codes, refresh=refresh,
                              progress=lambda d, n: update("fetch", d, n))
        report = load.ingest(st.engine, result.path, fmt="sdg_api", source="UNSD SDG API",
                             progress=update)
    show_ingest(report)


@app.command()
def sync(
    ctx: typer.Context,
    series: Annotated[list[str], typer.Option("--series", help="Series code (repeat).")],
    areas: AreasOpt = None,
    refresh: Annotated[bool, typer.Option(help="Ignore the local cache.")] = False,
) -> None:
    """Fetch series from the official UNSD SDG API (cached locally) and load them."""
    _sync(state(ctx), series, areas, refresh)


# ---- releases and series ------------------------------------------------------------------

@app.command()
def releases(ctx: typer.Context, fmt: FormatOpt = "table") -> None:
    """List the releases (every ingest) with their counts."""
    show(release_table(state(ctx).engine).drop("fingerprint", "location"), fmt)


@app.command()
def diff(ctx: typer.Context, a: int, b: int,
         series: Annotated[list[str] | None, typer.Option()] = None,
         fmt: FormatOpt = "table") -> None:
    """Values added, changed or removed between release A and release B."""
    check_format(fmt)
    df = diff_releases(state(ctx).engine, a, b, ObservationQuery(series=series or ()))
    counts = df.group_by("change").len().sort("change").iter_rows()
    summary = ", ".join(f"{n:,} {c}" for c, n in counts) or "No differences."
    # CSV and JSON go to standard output alone, so that they can be piped.
    (console if fmt == "table" else Console(stderr=True)).print(summary)
    show(df, fmt)


@app.command("series")
def series_cmd(ctx: typer.Context, goal: Annotated[str | None, typer.Option()] = None,
               fmt: FormatOpt = "table") -> None:
    """List the loaded series with their indicators and counts."""
    show(series_table(state(ctx).engine, goal), fmt, limit=1000)


# ---- query and export -------------------------------------------------------------------

def _dimensions(dim: list[str] | None) -> dict[str, str]:
    """``--dim NAME=CODE`` options as {name: code}."""
    dims = {}
    for d in dim or []:
        if "=" not in d:
            raise SdgBridgeError(f"--dim {d!r}: write NAME=CODE, e.g. --dim sex=FEMALE.")
        name, code = d.split("=", 1)
        dims[name] = code
    return dims


def _query(ctx: typer.Context, goal: list[str] | None, target: list[str] | None,
           indicator: list[str] | None, series: list[str] | None,
           publisher: list[str] | None, areas: list[str] | None, year_from: int | None,
           year_to: int | None, dim: list[str] | None, headline: bool, latest: bool,
           as_of: int | None) -> pl.DataFrame:
    st = state(ctx)
    q = ObservationQuery(goals=goal or (), targets=target or (), indicators=indicator or (),
                         series=series or (), publishers=publisher or (),
                         areas=areas or [st.settings.default_group], year_from=year_from,
                         year_to=year_to, dimensions=_dimensions(dim), headline=headline,
                         latest=latest, as_of=as_of)
    return query_observations(st.engine, q)


@app.command()
def query(ctx: typer.Context, goal: GoalOpt = None, target: TargetOpt = None,
          indicator: IndOpt = None, series: SeriesOpt = None, publisher: PubOpt = None,
          areas: AreasOpt = None, year_from: FromOpt = None, year_to: ToOpt = None,
          dim: DimOpt = None, headline: HeadOpt = False, latest: LatestOpt = False,
          as_of: AsOfOpt = None, fmt: FormatOpt = "table") -> None:
    """Observations by goal, target, indicator or series, for areas or groups."""
    df = _query(ctx, goal, target, indicator, series, publisher, areas, year_from, year_to,
                dim, headline, latest, as_of)
    cols = ["series", "publisher", "iso3", "area", "period", "value_text", "units", "dims",
            "nature", "release"]
    show(df if fmt != "table" else df.select(cols), fmt,
         title=f"{df.height:,} observations")


@app.command()
def export(ctx: typer.Context, out: Path, goal: GoalOpt = None, target: TargetOpt = None,
           indicator: IndOpt = None, series: SeriesOpt = None, publisher: PubOpt = None,
           areas: AreasOpt = None, year_from: FromOpt = None, year_to: ToOpt = None,
           dim: DimOpt = None, headline: HeadOpt = False, latest: LatestOpt = False,
           as_of: AsOfOpt = None,
           fmt: Annotated[str | None, typer.Option("--format", help="csv, parquet or xlsx "
                                                   "(default: by suffix)")] = None) -> None:
    """Export observations, one row per observation with every dimension, to CSV, Parquet
    or Excel."""
    df = _query(ctx, goal, target, indicator, series, publisher, areas, year_from, year_to,
                dim, headline, latest, as_of)
    export_frame(df, out, fmt)
    console.print(f"Wrote {df.height:,} observations to {out}.")


# ---- overview ---------------------------------------------------------------------------

def _show_status(st: CliState, group: str | None) -> None:
    group = group or st.settings.default_group
    codes = resolve_areas(st.engine, [group])
    s = summ.store_summary(st.engine, codes)
    if not s.releases:
        console.print("The store holds no SDG data yet: load some with `sdgbridge ingest PATH` "
                      "(a UNSD CSV or DDF folder, Open SDG, SDMX) or `sdgbridge sync`, or run "
                      "`sdgbridge demo`.")
        return
    console.print(f"[bold]{group}[/]: {s.observations:,} current observations of {s.series} "
                  f"series for {s.areas} areas, {s.first_year}–{s.last_year}; "
                  f"{s.releases} release(s) in the store.")
    show(summ.publisher_table(st.engine, codes), title="By publisher (national offices' "
         "series are kept apart from UNSD's)")
    show(summ.headline_latest(st.engine, group), title="Latest headline values, UNSD "
         "global database (all dimensions at their totals; years = range of the latest years)")


@app.command()
def status(ctx: typer.Context,
           group: Annotated[str | None, typer.Option(help="Group to summarise.")] = None
           ) -> None:
    """What the store holds: observations, series, areas, years, headline values."""
    _show_status(state(ctx), group)


def _demo_roadmap(st: CliState) -> None:
    """The example roadmap (its responsible organisation registered from the IATI data),
    and its KPI lights from the data just loaded."""
    from sdgbridge.projects.iati.codelists import load_codelists
    from sdgbridge.projects.orgs import seed_from_iati
    from sdgbridge.roadmaps import EXAMPLE
    from sdgbridge.roadmaps.kpis import roadmap_kpis
    from sdgbridge.roadmaps.queries import list_roadmaps
    from sdgbridge.roadmaps.service import import_roadmap, read_roadmap

    key = read_roadmap(EXAMPLE).key
    if key not in list_roadmaps(st.engine)["key"].to_list():
        seed_from_iati(st.engine, load_codelists(st.settings.iati_codelists))
        try:
            import_roadmap(st.engine, EXAMPLE)
        except SdgBridgeError as exc:  # without the IATI data its partner is not registered
            console.print(f"The example roadmap is not loaded: {exc}", markup=False)
            return
    lights = roadmap_kpis(st.engine, key).group_by("commitment", "kpi", "series",
                                                   maintain_order=True).agg(
        *[(pl.col("light") == c).sum().alias(c) for c in ("green", "amber", "red", "grey")])
    show(lights, "table", title=f"Example roadmap {key}: KPI lights of the five Central Asian "
         "countries (UNSD method; `sdgbridge roadmaps kpis " + key + "`)")


@app.command()
def demo(ctx: typer.Context) -> None:
    """Set up the store, load the Centre's region from the offline official data (or the UNSD
    API when the data folder is absent) and show a summary."""
    st = state(ctx)
    show_setup(set_up_store(st.engine))
    data = st.settings.data_dir
    # The UNSD 2023-12 data for the region, and two national platforms in SDMX-ML (the Kyrgyz
    # NSC's 2.1 files with their DSD, Tajstat's 2.0 file).
    sources = [data / "sdg" / "derived" / "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv",
               data / "sdmx" / "kyrgyzstan_nsc", data / "sdmx" / "tajikistan_tajstat"]
    if not sources[0].exists():
        console.print(f"[yellow]{sources[0]} not found: fetching from the UNSD SDG API.[/]")
        _sync(st, list(summ.HEADLINE_SERIES), None, False)
    for path in sources:
        if path.exists():
            _load(st, path, get_reader(path, None))
    _show_status(st, None)
    # The partners' projects in the region (IATI), for the coordination pages: the US
    # agencies' files and 48 other publishers' as D-Portal serves them (schema errors in
    # optional parts dropped and listed, see projects.iati.severity).
    iati = [p for p in (data / "iati" / "activities", data / "iati" / "dportal") if p.exists()]
    if iati:
        with progress_bar() as update:
            report = import_files(st.engine, st.settings, iati, progress=update)
        show_import(report)
        covered = coverage(st.engine)
        console.print(
            f"Partners' projects: {covered['activities']:,} activities from "
            f"{covered['publishers'].height} publishers (reporting organisations); "
            f"transactions {covered['first_transaction']} to {covered['last_transaction']}, "
            f"publishers' last updates {covered['updated_from']} to {covered['updated_to']}.",
            markup=False)
    _demo_roadmap(st)
    console.print("Next: `sdgbridge serve`, then open http://127.0.0.1:8000/ (the dashboard, "
                  "English and Russian) or /api/docs (the API); `sdgbridge assess`; "
                  "`sdgbridge docs add FILE` (the knowledge base).", markup=False)

"""Roadmaps on the command line: ``sdgbridge roadmaps import FILE`` (or ``--example``),
``list``, ``show KEY`` (areas, commitments, milestones), ``values KEY FILE`` (the values of
its own series), ``kpis KEY`` (each KPI's status
and light in each country, from the data, by a progress method)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sdgbridge.cli.output import FormatOpt, console, progress_bar, say, show, show_ingest
from sdgbridge.cli.state import state

app = typer.Typer(help="Roadmaps, their commitments and KPIs.", no_args_is_help=True)
KeyArg = Annotated[str, typer.Argument(help="The roadmap's key (`sdgbridge roadmaps list`).")]


@app.command("import")
def import_(ctx: typer.Context,
            path: Annotated[Path | None, typer.Argument(help="A roadmap file (YAML, or CSV as "
                                                 "`roadmaps export` writes it).")] = None,
            example: Annotated[bool, typer.Option(
                help="The example roadmap shipped with sdgbridge.")] = False) -> None:
    """Read, check and store a roadmap; nothing is stored when any part is refused."""
    from sdgbridge.errors import InputError
    from sdgbridge.roadmaps import EXAMPLE
    from sdgbridge.roadmaps.service import import_roadmap

    if (path is None) == (not example):
        raise InputError("Give a roadmap file or --example (one of them).")
    report = import_roadmap(state(ctx).engine, EXAMPLE if example else path)  # type: ignore[arg-type]
    say(f"Roadmap {report.key} stored: {report.areas} areas, {report.commitments} "
        f"commitments, {report.kpis} KPIs.")


@app.command("export")
def export_(ctx: typer.Context, key: KeyArg,
            out: Annotated[Path, typer.Option("--out", help="A .csv or .xlsx file.")]) -> None:
    """Write the roadmap with each commitment's latest review as CSV or Excel (a CSV
    imports again with `sdgbridge roadmaps import FILE.csv`)."""
    from sdgbridge.roadmaps.exchange import export_roadmap

    say(f"Roadmap {key} written to {export_roadmap(state(ctx).engine, key, out)}.")


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = "table") -> None:
    """The stored roadmaps."""
    from sdgbridge.roadmaps.queries import list_roadmaps

    show(list_roadmaps(state(ctx).engine), fmt, title="Roadmaps")


@app.command("show")
def show_(ctx: typer.Context, key: KeyArg) -> None:
    """A roadmap's areas and commitments, with their parties, deadlines and KPIs."""
    from sdgbridge.roadmaps.queries import roadmap_detail

    d = roadmap_detail(state(ctx).engine, key)
    console.print(f"{d['title_en']} ({d['kind']}{', an example' if d['example'] else ''})",
                  markup=False)
    for area in d["areas"]:
        console.print(f"  {area['title_en']}", markup=False)
        for c in area["commitments"]:
            parties = ", ".join(p["ref"] for p in c["responsible"]) or "-"
            console.print(f"    {c['key']}: {c['title_en']} (by {c['deadline'] or '-'}; "
                          f"{c['countries']}; targets {c['targets']}; {parties})",
                          markup=False)
            for k in c["kpis"]:
                console.print(f"      KPI {k['key']}: {k['series']} {k['direction']} "
                              f"{k['target'] or '(the method target)'}, "
                              f"{k['baseline_year']}-{k['target_year']}", markup=False)


@app.command("values")
def values_(ctx: typer.Context, key: KeyArg,
            path: Annotated[Path, typer.Argument(help="CSV: series,country,year,value"
                                                 "[,units,source,footnote].")],
            partial: Annotated[bool, typer.Option(help="Load the valid rows; write rejected "
                                                  "ones to a file.")] = False,
            rejects: Annotated[Path | None, typer.Option(help="Where --partial writes the "
                                                         "rejected rows.")] = None) -> None:
    """Load the values of the roadmap's own series (defined under series: in its file) as a
    new data release, checked as any ingest."""
    from sdgbridge.roadmaps.values import load_values

    with progress_bar() as update:
        report = load_values(state(ctx).engine, key, path, partial=partial,
                             rejects_path=rejects, progress=update)
    show_ingest(report)


@app.command("series")
def series_(ctx: typer.Context, key: KeyArg, fmt: FormatOpt = "table") -> None:
    """The roadmap's own series, their units and how many values the store holds."""
    import polars as pl

    from sdgbridge.roadmaps.values import own_series

    rows = own_series(state(ctx).engine, key)
    show(pl.DataFrame(rows, schema={
        "code": pl.Utf8, "publisher": pl.Utf8, "description": pl.Utf8,
        "description_ru": pl.Utf8, "units": pl.Utf8, "indicators": pl.List(pl.Utf8),
        "values": pl.Int64}).with_columns(pl.col("indicators").list.join(" ")), fmt,
         title=f"Own series of {key}")


@app.command("kpis")
def kpis_(ctx: typer.Context, key: KeyArg,
          method: Annotated[str, typer.Option(help="unsd, escap, sdsn or opensdg.")] = "unsd",
          fmt: FormatOpt = "table") -> None:
    """Each KPI's status and light in each of its countries, from the data."""
    from sdgbridge.roadmaps.kpis import roadmap_kpis

    found = roadmap_kpis(state(ctx).engine, key, method)
    show(found.drop("area", "status", "releases"), fmt, title=f"KPIs of {key} ({method})")


@app.command("review")
def review_(ctx: typer.Context, key: KeyArg,
            cycle: Annotated[str, typer.Option(help="The review cycle, e.g. 2026.")],
            path: Annotated[Path, typer.Option(
                "--file", help="CSV: commitment,status,comment,documents,links.")],
            method: Annotated[str, typer.Option(help="unsd, escap, sdsn or opensdg.")] = "unsd"
            ) -> None:
    """Record a review: each commitment's status and evidence, the KPI values frozen."""
    from sdgbridge.roadmaps.reviews import read_review_csv, record_review

    review_id = record_review(state(ctx).engine, key, cycle, read_review_csv(path),
                              method=method, source=path.name)
    say(f"Review {review_id} of {key} ({cycle}) recorded.")


@app.command("reviews")
def reviews_(ctx: typer.Context, key: KeyArg, fmt: FormatOpt = "table") -> None:
    """The roadmap's reviews, newest first, and each commitment's report light."""
    from sdgbridge.roadmaps.reviews import report_lights, reviews

    st = state(ctx)
    show(reviews(st.engine, key), fmt, title=f"Reviews of {key}")
    show(report_lights(st.engine, key), fmt, title="Reports (amber: overdue, red: two "
         "cycles overdue)")


@app.command("compare")
def compare_(ctx: typer.Context,
             earlier: Annotated[int, typer.Argument(help="A review's number.", min=1)],
             later: Annotated[int, typer.Argument(help="A later review's number.", min=1)],
             fmt: FormatOpt = "table") -> None:
    """What changed between two reviews: statuses and KPI lights."""
    import polars as pl

    from sdgbridge.roadmaps.reviews import compare_reviews

    found = compare_reviews(state(ctx).engine, earlier, later)
    show(found.with_columns(pl.col("kpi_changes").list.join("; ")), fmt,
         title=f"Review {earlier} -> {later}")

"""How the command line shows things, and the options several commands share.

A leaf of the ``cli`` package (it imports no other module of it): the Rich console, frames
shown as a table, CSV or JSON (or written to a file), the progress bar, the reports of a
store set-up, of an ingest and of a project import, and the ``Annotated`` options defined once here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sdgbridge.assessment.methods import METHODS
from sdgbridge.csvsafe import write_csv
from sdgbridge.errors import SdgBridgeError
from sdgbridge.ingest.load import IngestReport
from sdgbridge.projects.imports import dropped_by_rule
from sdgbridge.projects.store import ImportReport
from sdgbridge.query.export import export_frame
from sdgbridge.reference.seed import StoreSetup

console = Console(soft_wrap=True)
FORMATS = ("table", "csv", "json")

# ---- options shared by commands of several groups -----------------------------------

FormatOpt = Annotated[str, typer.Option("--format", help="table, csv or json")]
AreasOpt = Annotated[list[str] | None, typer.Option("--areas", help="M49/ISO3/group codes "
                                                    "(default: the Centre's region).")]
SeriesOpt = Annotated[list[str] | None, typer.Option("--series", help="Series code.")]
AsOfOpt = Annotated[int | None, typer.Option("--as-of", help="State as of this release.")]
MethodOpt = Annotated[str, typer.Option("--method", help=", ".join(METHODS))]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write CSV/Parquet/xlsx.")]


# ---- frames ---------------------------------------------------------------------------

def check_format(fmt: str) -> None:
    """Refuse a ``--format`` the display does not know."""
    if fmt not in FORMATS:
        raise SdgBridgeError(f"--format {fmt!r}: choose table, csv or json.")


def show(df: pl.DataFrame, fmt: str = "table", title: str | None = None,
         limit: int = 50) -> None:
    """``df`` as a Rich table (its first ``limit`` rows), or all of it as CSV or JSON on
    standard output."""
    check_format(fmt)
    if fmt == "csv":
        sys.stdout.write(write_csv(df) or "")
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


def show_or_write(df: pl.DataFrame, out: Path | None, fmt: str, title: str | None = None
                  ) -> None:
    """Write ``df`` to ``out`` (CSV, Parquet or xlsx by suffix) or print it."""
    if out:
        export_frame(df, out)
        console.print(f"Wrote {df.height:,} rows to {out}.")
    else:
        show(df, fmt, title=title)


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


# ---- text -----------------------------------------------------------------------------

def say(text: str) -> None:
    """Print ``text`` as it is: no Rich markup, no highlighting."""
    console.print(text, markup=False, highlight=False)


def show_setup(setup: StoreSetup) -> None:
    """What ``init`` (and ``demo``) loaded into the store."""
    geo, fw = setup.geography, setup.framework
    console.print(f"Geography: {geo.areas} areas, {geo.groups} groups.")
    console.print(f"SDG framework: {fw.goals} goals, {fw.targets} targets, {fw.indicators} "
                  f"indicator codes ({fw.unique_indicators} unique), {fw.titles} titles.")


def show_import(r: ImportReport) -> None:
    """The counts of an import of IATI activity files."""
    head = f"Import {r.import_id}" if r.import_id else "No change: nothing to write"
    console.print(f"{head}: {r.activities_read:,} activities read, {r.new:,} new, "
                  f"{r.changed:,} changed, {r.unchanged:,} unchanged, {r.rejected:,} "
                  f"rejected; {r.transactions:,} transactions written.", markup=False)
    if r.rejects_file:
        console.print(f"  rejected activities with reasons: {r.rejects_file}", markup=False)
    if r.dropped:
        by_rule = dropped_by_rule(r.dropped)
        activities = len({d.iati_identifier for d in r.dropped})
        console.print(f"{len(r.dropped):,} optional part(s) of {activities:,} activities broke "
                      "the IATI schema and were left out (the activities kept), by publisher "
                      "and rule:", markup=False)
        show(by_rule.drop("example").head(20), "table")
        if by_rule.height > 20:
            console.print(f"  … and {by_rule.height - 20} more rules; `sdgbridge projects "
                          f"imports {r.import_id or ''}` lists them all.", markup=False)


def show_ingest(r: IngestReport) -> None:
    head = (f"Release {r.release_id}" if r.release_id else
            "No change: the input is identical to the stored data; no release was written")
    console.print(f"{head} — {r.source} [{r.reader}]", markup=False)
    console.print(f"  read {r.rows_read:,}  loaded {r.rows_loaded:,}  unchanged "
                  f"{r.rows_unchanged:,}  superseded {r.rows_superseded:,}  removed "
                  f"{r.rows_removed:,}  rejected {r.rows_rejected:,}  "
                  f"repeated {r.rows_repeated:,}  "
                  f"({r.series} series, "
                  f"{r.areas} areas)", markup=False)
    if r.files_read is not None:
        console.print(f"  incremental: read {r.files_read:,} of {r.files_total:,} data files; "
                      f"the others are identical to release {r.files_base}'s", markup=False)
    if r.rejects_file:
        console.print(f"  rejected rows with reasons: {r.rejects_file}")

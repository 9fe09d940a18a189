"""Reference data on the command line: ``init``, ``areas``, ``formats``, ``groups …`` and
``framework …``. ``app`` holds the top-level commands; ``groups_app`` and ``framework_app``
are mounted under their names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from sdgbridge.cli.output import FormatOpt, console, show, show_setup
from sdgbridge.cli.state import state
from sdgbridge.errors import SdgBridgeError
from sdgbridge.ingest.registry import formats
from sdgbridge.reference import define_group, delete_group, load_framework
from sdgbridge.reference.catalog import area_table, group_table, indicator_table
from sdgbridge.reference.seed import set_up_store

app = typer.Typer()
groups_app = typer.Typer(help="Groups of areas (M49 and SDG regions, LDC/LLDC/SIDS, your own).")
framework_app = typer.Typer(help="The SDG framework: goals, targets, indicators.")


@app.command()
def init(ctx: typer.Context, framework: Annotated[Path | None, typer.Option(
        help="Folder of SDG framework CSVs (default: the framework shipped with sdgbridge).")]
         = None) -> None:
    """Create or upgrade the store and load the geography and the SDG framework."""
    if framework is not None and not framework.is_dir():
        raise SdgBridgeError(f"--framework {framework}: no such folder; give the folder "
                             "holding sdg_goals.csv, sdg_targets.csv and sdg_indicators.csv.")
    st = state(ctx)
    show_setup(set_up_store(st.engine, *([framework] if framework else [])))


@app.command()
def areas(ctx: typer.Context,
          group: Annotated[str | None, typer.Option(help="Only the members of a group.")]
          = None, fmt: FormatOpt = "table") -> None:
    """List the areas (M49 code, ISO3, name, kind)."""
    show(area_table(state(ctx).engine, group), fmt, limit=400)


@app.command("formats")
def formats_cmd() -> None:
    """The input formats sdgbridge reads."""
    show(pl.DataFrame(formats(), schema=["format", "what"], orient="row"))


# ---- groups ---------------------------------------------------------------------------

@groups_app.command("list")
def groups_list(ctx: typer.Context, fmt: FormatOpt = "table") -> None:
    """List the groups and their sizes."""
    show(group_table(state(ctx).engine), fmt, limit=200)


@groups_app.command("define")
def groups_define(ctx: typer.Context, code: str, name: str, members: list[str]) -> None:
    """Create or replace your own group from M49, ISO3 or group codes."""
    got = define_group(state(ctx).engine, code, name, members)
    console.print(f"Group {code}: {len(got)} areas ({', '.join(got)}).")


@groups_app.command("delete")
def groups_delete(ctx: typer.Context, code: str) -> None:
    """Delete one of your own groups."""
    delete_group(state(ctx).engine, code)
    console.print(f"Group {code} deleted.")


# ---- the SDG framework ----------------------------------------------------------------

@framework_app.command("load")
def framework_load(ctx: typer.Context, path: Path) -> None:
    """Load the goals, targets and indicators from a folder of framework CSVs."""
    fw = load_framework(state(ctx).engine, path)
    console.print(f"{fw.goals} goals, {fw.targets} targets, {fw.indicators} indicator codes "
                  f"({fw.unique_indicators} unique), {fw.titles} titles in 8 languages.")


@framework_app.command("show")
def framework_show(ctx: typer.Context,
                   goal: Annotated[str | None, typer.Option(help="Only this goal.")] = None,
                   lang: Annotated[str, typer.Option(help="en or ru")] = "en",
                   fmt: FormatOpt = "table") -> None:
    """List the indicators with their targets and titles."""
    show(indicator_table(state(ctx).engine, goal, lang), fmt, limit=300)

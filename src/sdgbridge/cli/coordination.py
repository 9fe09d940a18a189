"""Coordination on the command line, ``sdgbridge coordination …``: money per country and
year (with the negative transactions explained), budgets, the UN entities by country and
SDG target, the overlaps worth a look, and an organisation's portfolio; over a period
(``--from``/``--to``, whole years by transaction date)."""

from __future__ import annotations

from typing import Annotated

import polars as pl
import typer

from sdgbridge.cli.output import FormatOpt, OutOpt, console, show, show_or_write
from sdgbridge.cli.state import state
from sdgbridge.projects.periods import (
    asked_period,
    budgets_by_year,
    money_by_year,
    money_flows,
    negative_transactions,
)

app = typer.Typer(help="Coordination: money by period, UN entities, overlaps, portfolios.",
                  no_args_is_help=True)
FromOpt = Annotated[int | None, typer.Option("--from", min=1990, max=2100,
                                             help="First year (by transaction date).")]
ToOpt = Annotated[int | None, typer.Option("--to", min=1990, max=2100, help="Last year.")]
CountryOpt = Annotated[list[str] | None, typer.Option(
    "--country", help="ISO 3166 alpha-2 country (repeat); default: the countries of the "
    "default group (the region).")]


def _countries(ctx: typer.Context, given: list[str] | None) -> list[str]:
    """The countries asked for, else the default group's (ISO alpha-2)."""
    if given:
        return [c.upper() for c in given]
    from sdgbridge.reference.catalog import group_areas

    st = state(ctx)
    return [a["iso2"] for a in group_areas(st.engine, st.settings.default_group, "en")
            if a["iso2"]]


def _whole(df: pl.DataFrame, fmt: str) -> pl.DataFrame:
    """US dollars to the whole dollar in a table for the terminal (exports keep cents)."""
    return df.with_columns(pl.col(pl.Float64).round(0).cast(pl.Int64)) if fmt == "table" else df



@app.command("money")
def money(ctx: typer.Context, start: FromOpt = None, end: ToOpt = None,
          country: CountryOpt = None, out: OutOpt = None, fmt: FormatOpt = "table") -> None:
    """Commitments, disbursements and expenditure per country and year in US dollars (each
    transaction split over its countries; net of reversals), then the negative transactions
    and what they mean."""
    engine, period = state(ctx).engine, asked_period(start, end)
    flows = money_flows(engine)
    country = _countries(ctx, country)
    table = money_by_year(flows, country, period)
    show_or_write(_whole(table, fmt if out is None else "csv"), out, fmt,
                  f"Money per country and year{f', {period}' if period else ''}")
    if out is None and fmt == "table":
        negative = negative_transactions(flows, period, country)
        if negative.height:
            show(_whole(negative.select("kind", "transactions", "value_usd", "meaning"), fmt),
                 fmt,
                 title="Negative transactions: reversals and corrections, kept in the sums")


@app.command("budgets")
def budgets(ctx: typer.Context, start: FromOpt = None, end: ToOpt = None,
            country: CountryOpt = None, out: OutOpt = None, fmt: FormatOpt = "table") -> None:
    """The projects' budgets per country and year (the budget period's start) in US dollars;
    a revised budget replaces the original of its period."""
    table = budgets_by_year(state(ctx).engine, _countries(ctx, country), asked_period(start, end))
    show_or_write(_whole(table, fmt if out is None else "csv"), out, fmt,
                  "Budgets per country and year")


@app.command("un")
def un(ctx: typer.Context, start: FromOpt = None, end: ToOpt = None,
       country: CountryOpt = None, out: OutOpt = None, fmt: FormatOpt = "table") -> None:
    """Which UN entities work on which SDG targets in each country, from the projects they
    report or take part in."""
    from sdgbridge.projects.sdg import flat_export
    from sdgbridge.projects.un_entities import un_entities_by_country

    engine = state(ctx).engine
    table = un_entities_by_country(engine, flat_export(engine), _countries(ctx, country),
                                   asked_period(start, end))
    table = table.with_columns(pl.col("targets").list.join(", "))  # a cell, in any format
    if fmt == "table" and out is None:
        table = _whole(table, fmt)
    show_or_write(table, out, fmt, "UN entities by country")


@app.command("overlaps")
def overlaps(ctx: typer.Context, out: OutOpt = None, fmt: FormatOpt = "table") -> None:
    """Overlaps worth a look: projects of different organisations in the same country and
    SDG target at the same time whose texts are alike (in any language); then how many
    records are one publisher's versions of the same activity."""
    from sdgbridge.knowledge.embed import get_embedder
    from sdgbridge.projects.overlap_review import overlaps_to_review

    st = state(ctx)
    with console.status("Comparing the projects' texts…"):
        review, versions = overlaps_to_review(st.engine, get_embedder(st.settings.embedder))
    table = review.with_columns(pl.col("countries", "targets").list.join(", "))
    if fmt == "table" and out is None:
        table = review.select("kind", pl.col("similarity").round(2), "a_org_name", "a_title",
                              "b_org_name", "b_title",
                              countries="countries")
    show_or_write(table, out, fmt, f"{review.height:,} pairs worth a look")
    if out is None:
        console.print(f"{versions.height:,} records are one publisher's versions of the same "
                      f"activity, in {versions['group'].n_unique():,} groups (not overlaps).",
                      markup=False)


@app.command("portfolio")
def portfolio(ctx: typer.Context, key: Annotated[str, typer.Argument(
        help="The organisation's IATI ref, or org:<id>.")], start: FromOpt = None,
              end: ToOpt = None, fmt: FormatOpt = "table") -> None:
    """An organisation's portfolio: its money per year, countries, SDG targets, partners and
    projects."""
    from sdgbridge.projects.portfolio import organisation_portfolio

    found = organisation_portfolio(state(ctx).engine, key, asked_period(start, end))
    org = found["organisation"]
    console.print(f"{org['name_en']} ({org.get('ref') or key}): {found['project_count']:,} "
                  "projects", markup=False)
    for title, rows in (("Money per year (USD)", found["money_per_year"]),
                        ("Countries (USD)", found["countries"]),
                        ("SDG targets (USD disbursed or spent)", found["targets"])):
        if rows:
            show(_whole(pl.DataFrame(rows), fmt), fmt, title=title)
    partners = [{**p, "roles": ", ".join(p["roles"])} for p in found["partners"]]
    if partners:
        show(pl.DataFrame(partners), fmt, title="Works with")

"""Money against progress: per country and SDG target, what partners spend (from the flat
transaction × country × sector × SDG export) over a period beside the target's progress
status (from an assessment run), with the two gaps a coordinator looks for first. Support
is judged relative to the region, not in absolute amounts (a large country draws more of
everything): a target's ``support_ratio`` is its share of the country's disbursements over
the assessed targets divided by the same target's share of the region's (1 = as the region
does; the region is the countries assessed together):

* ``off track, little support``: stagnating or regressing (the need), and nothing disbursed
  on it or a ratio of at most :data:`LITTLE` (half the region's emphasis or less);
* ``on track, much support``: on track, a ratio of at least :data:`MUCH` (twice the region's
  emphasis) and at least :data:`MUCH_MINIMUM` US dollars, so that a small sum in a country
  with little money is not called "much".

The sums are in US dollars (the flat export's ``value_share_usd``, converted at the yearly
rate table of :mod:`.money`); rows it could not convert (no rate for their currency-year)
are counted in ``other_currency_rows`` and left out. A flat frame without the USD column
(made by hand) is summed in ``currency`` only, as before the rate table.

:func:`money_against_progress` runs the whole of it on the store (the current assessment,
rolled up to targets, beside the flat export's money); :func:`partners_in` and
:func:`funders_by_country` read the 3W table (:func:`~sdgbridge.projects.queries.three_w`)
for a country's page and the region's matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import polars as pl
from sqlalchemy import Engine

from sdgbridge.assessment.current import current_assessment
from sdgbridge.assessment.model import SCALE, code_key
from sdgbridge.kept import NOTHING_KEPT, Keeper, Source
from sdgbridge.projects.periods import Period
from sdgbridge.projects.sdg import flat_export, load_mapping
from sdgbridge.projects.visibility import reader_class
from sdgbridge.reference.catalog import iso2_to_m49
from sdgbridge.reference.geography import resolve_areas

BEHIND = ("stagnating", "regressing")
LITTLE = 0.5  # support ratio at or below which an off-track target has little support
MUCH = 2.0  # support ratio at or above which an on-track target has much support
MUCH_MINIMUM = 1_000_000.0  # USD disbursed over the period, at least, for "much"


def _status_per_target(rolled: pl.DataFrame) -> pl.DataFrame:
    """The dominant status of each area × target (ties go to the worse status)."""
    order = {s: i for i, s in enumerate(SCALE)}
    long = rolled.unpivot(index=["target", "area", "coverage"], on=list(SCALE),
                          variable_name="status", value_name="n")
    long = long.with_columns(pl.col("status").replace_strict(order).alias("_rank"))
    best = long.sort(["n", "_rank"], descending=[True, True]).unique(
        ["target", "area"], keep="first")
    return best.select("area", "target", "status", "coverage")


def money_by_target(flat: pl.DataFrame, iso2_to_m49: dict[str, str],
                    currency: str = "USD") -> pl.DataFrame:
    """Disbursements (type 3), commitments (type 2) and projects per area × SDG target."""
    rows = flat.filter(pl.col("target").is_not_null() & pl.col("country").is_not_null())
    if "value_share_usd" in rows.columns:
        usable = pl.col("value_share_usd").is_not_null()
        rows = rows.with_columns(value_share=pl.col("value_share_usd"))
    else:
        usable = pl.col("currency") == currency
    other = rows.filter(~usable).height
    rows = rows.filter(usable).with_columns(
        pl.col("country").replace_strict(iso2_to_m49, default=None).alias("area"))
    kind = pl.col("transaction_type")
    return (rows.filter(pl.col("area").is_not_null()).group_by("area", "target").agg(
        pl.col("value_share").filter(kind == "3").sum().alias("disbursement"),
        pl.col("value_share").filter(kind == "2").sum().alias("commitment"),
        pl.col("iati_identifier").n_unique().alias("projects"))
        .with_columns(pl.lit(other).alias("other_currency_rows")))


def money_vs_progress(rolled_targets: pl.DataFrame, money: pl.DataFrame) -> pl.DataFrame:
    """Join the target-level roll-up of an assessment with the money; the support ratio
    and the flags (see the module docstring)."""
    df = _status_per_target(rolled_targets).join(money, on=["area", "target"], how="left")
    df = df.with_columns(pl.col("disbursement", "commitment").fill_null(0.0),
                         pl.col("projects", "other_currency_rows").fill_null(0))
    money_col = pl.col("disbursement")
    country_total = money_col.sum().over("area")
    region_share = money_col.sum().over("target") / money_col.sum()
    ratio = pl.when((country_total > 0) & (region_share > 0)) \
        .then(money_col / country_total / region_share).otherwise(None)
    df = df.with_columns(support_ratio=ratio)
    behind = pl.col("status").is_in(BEHIND)
    little = (money_col <= 0) | (pl.col("support_ratio") <= LITTLE)
    much = (pl.col("support_ratio") >= MUCH) & (money_col >= MUCH_MINIMUM)
    flag = (pl.when(behind & little).then(pl.lit("off track, little support"))
            .when((pl.col("status") == "on track") & much)
            .then(pl.lit("on track, much support")).otherwise(None))
    order = pl.col("target").map_elements(code_key, return_dtype=pl.List(pl.Int64))
    return (df.with_columns(flag.alias("flag"), order.alias("_o"))
            .sort("area", "_o").drop("_o"))


def money_against_progress(engine: Engine, method: str, areas: Sequence[str], *,
                           only_flagged: bool = False, kept: Keeper = NOTHING_KEPT,
                           period: Period | None = None) -> pl.DataFrame:
    """:func:`money_vs_progress` per country (M49) and SDG target of the current assessment
    of ``method`` for the members of ``areas``
    (:func:`~sdgbridge.assessment.current.current_assessment`) and of the flat export's
    money over ``period`` (every year when None); ``only_flagged``: only the rows with a
    flag. ``kept`` keeps the table until a release, an assessment run or the projects
    change."""
    codes = tuple(resolve_areas(engine, list(areas)))
    span = (period.start, period.end) if period else None
    df = kept.get(engine, "money against progress", partial(_money_against, kept=kept),
                  method, codes, span, on=("releases", "runs", "projects"))
    return df.filter(pl.col("flag").is_not_null()) if only_flagged else df


def _money_against(engine: Engine, method: str, codes: tuple[str, ...],
                   span: tuple[int, int] | None, kept: Keeper) -> pl.DataFrame:
    rolled = current_assessment(engine, method, codes, kept=kept).rolled("target")
    flat = projects_frame(engine, flat_export, kept)
    if span is not None:
        flat = flat.filter(pl.col("year").is_between(*span))
    return money_vs_progress(rolled, money_by_target(flat, iso2_to_m49(engine)))


def projects_frame(engine: Engine, make: Callable[[Engine], pl.DataFrame],
                   kept: Keeper = NOTHING_KEPT,
                   on: tuple[Source, ...] = ("projects",)) -> pl.DataFrame:
    """``make(engine)``, a frame of the projects (:func:`~.sdg.flat_export`,
    :func:`~.queries.three_w`, :func:`~.overlaps.overlaps` at the default similarity),
    kept under its name until the projects change; ``on`` names what else it reads
    (:func:`~.overlaps.partner_network` reads the organisations' UN entities). Kept per
    class of reader: a frame holds only the projects its readers may see
    (:mod:`.visibility`)."""
    return kept.get(engine, f"{make.__name__}:{reader_class()}", make, on=on)


def partners_in(three_w: pl.DataFrame, iso2: str, limit: int = 25) -> pl.DataFrame:
    """Who works in the country ``iso2`` on what (DAC sector, with its name in ``sector``),
    with how much (USD) and in which years, the largest disbursements first."""
    names = load_mapping().unique("dac_code", keep="first").select(
        pl.col("dac_code").alias("sector_dac"), pl.col("dac_name").alias("sector"))
    usd = three_w.filter(pl.col("country") == iso2)
    agg = (usd.group_by("reporting_org_name", "sector_dac")
           .agg(pl.col("commitment_usd").sum().alias("commitment"),
                pl.col("disbursement_usd").sum().alias("disbursement"),
                pl.col("projects").sum(), pl.col("year").min().alias("from"),
                pl.col("year").max().alias("to"))
           .sort("disbursement", "commitment", descending=True).head(limit))
    return agg.join(names, on="sector_dac", how="left", maintain_order="left").with_columns(
        pl.col("sector").fill_null(""))


def funders_by_country(three_w: pl.DataFrame, iso2: Sequence[str], top: int = 20
                       ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ``top`` organisations by USD disbursed in the countries ``iso2`` (largest first),
    and the disbursements and projects of every organisation × country."""
    usd = three_w.filter(pl.col("country").is_in(list(iso2)))
    cells = usd.group_by("reporting_org_name", "country").agg(
        pl.col("disbursement_usd").sum().alias("disbursement"), pl.col("projects").sum())
    totals = (cells.group_by("reporting_org_name").agg(pl.col("disbursement").sum())
              .sort("disbursement", "reporting_org_name", descending=[True, False]).head(top))
    return totals, cells

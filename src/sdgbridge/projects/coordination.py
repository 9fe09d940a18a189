"""Money against progress: per country and SDG target, what partners spend (from the flat
transaction × country × sector × SDG export) beside the target's progress status (from an
assessment run), with the two gaps a coordinator looks for first:

* ``off track, little support``: the target's status is stagnating or regressing and its
  disbursements are below the country's median over its assessed targets (or nil);
* ``on track, much support``: on track and above the country's 75th percentile.

The sums are in US dollars (the flat export's ``value_share_usd``, converted at the yearly
rate table of :mod:`.money`); rows it could not convert (no rate for their currency-year)
are counted in ``other_currency_rows`` and left out. A flat frame without the USD column
(made by hand) is summed in ``currency`` only, as before the rate table.
"""

from __future__ import annotations

import polars as pl

from sdgbridge.assessment.model import SCALE, code_key

BEHIND = ("stagnating", "regressing")


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
    """Join the target-level roll-up of an assessment with the money; flag the gaps."""
    df = _status_per_target(rolled_targets).join(money, on=["area", "target"], how="left")
    df = df.with_columns(pl.col("disbursement", "commitment").fill_null(0.0),
                         pl.col("projects", "other_currency_rows").fill_null(0))
    low = pl.col("disbursement").median().over("area")
    high = pl.col("disbursement").quantile(0.75).over("area")
    flag = (pl.when(pl.col("status").is_in(BEHIND) & (pl.col("disbursement") <= low))
            .then(pl.lit("off track, little support"))
            .when((pl.col("status") == "on track") & (pl.col("disbursement") > high))
            .then(pl.lit("on track, much support")).otherwise(None))
    order = pl.col("target").map_elements(code_key, return_dtype=pl.List(pl.Int64))
    return (df.with_columns(flag.alias("flag"), order.alias("_o"))
            .sort("area", "_o").drop("_o"))

"""Row checks shared by every reader: each failing row becomes a rejection with its reason.

Checks: a series code; a known area; a period that is a year (``2015``) or a range/sub-year
period (``2010-2012``, ``2015-Q1``, ``2015-03``); a value that is a number, a qualified
number (``<0.5``, ``>95``) or one of the UNSD placeholders (``NaN``, ``N``, ``NA``, ``..``);
numeric bounds; codes within the code lists the source declares; no two rows with the same
key (series, publisher, area, period, dimensions, units) and different values or attributes
(exact repeats are merged by :func:`drop_repeats`).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from sdgbridge.ingest.model import ATTRIBUTES, parse_dims

PERIOD = r"^\d{4}(-\d{4}|-Q[1-4]|-\d{2}|-S[12])?$"
QUALIFIED = r"^[<>≤≥]=?\s*-?\d+(\.\d+)?([eE][-+]?\d+)?$"
PLACEHOLDERS = ["NaN", "N", "NA", "..", ""]
KEY = ["series", "publisher", "area", "period", "dims", "units"]
REJECT_COLUMNS = ["_file", "_line", "field", "message"]


def _numeric(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Float64, strict=False).is_not_null()


def _rules(known_areas: list[str]) -> list[tuple[str, pl.Expr, pl.Expr]]:
    """(field, failing-row condition, message) for the row-wise checks."""
    blank = lambda c: pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")  # noqa: E731
    return [
        ("series", blank("series"), pl.lit("missing series code")),
        ("area", blank("area"), pl.lit("missing area code")),
        ("area", ~blank("area") & ~pl.col("area").is_in(known_areas),
         pl.format("unknown area code '{}': not an M49 code nor an area the source declares;"
                   " correct the code or load the geography (`sdgbridge init`)", pl.col("area"))),
        ("period", ~pl.col("period").fill_null("").str.contains(PERIOD),
         pl.format("'{}' is not a period; write a year such as 2015 (or 2010-2012)",
                   pl.col("period").fill_null(""))),
        ("value", pl.col("value").is_not_null() & ~_numeric("value")
         & ~pl.col("value").str.strip_chars().str.contains(QUALIFIED)
         & ~pl.col("value").is_in(PLACEHOLDERS),
         pl.format("non-numeric value '{}'; give a number, a qualified number such as <0.5, "
                   "or NaN for a missing value", pl.col("value"))),
        *[(b, pl.col(b).is_not_null() & (pl.col(b) != "") & ~_numeric(b),
           pl.format(f"{b} '{{}}' is not a number", pl.col(b)))
          for b in ("lower_bound", "upper_bound")],
    ]


def _codelist_rules(obs: pl.DataFrame, codelists: Mapping[str, frozenset[str]]
                    ) -> list[tuple[str, pl.Expr, pl.Expr]]:
    rules = []
    for col in ("units", "nature", "obs_status", "unit_mult"):
        if col in codelists:
            allowed = sorted(codelists[col])
            rules.append((col, pl.col(col).is_not_null() & (pl.col(col) != "")
                          & ~pl.col(col).is_in(allowed),
                          pl.format(f"unknown {col} code '{{}}'; the source's code list has "
                                    f"no such code", pl.col(col))))
    bad: dict[str, str] = {}
    for key in obs["dims"].drop_nulls().unique().to_list():
        for name, code in parse_dims(key).items():
            if name in codelists and code not in codelists[name]:
                bad[key] = (f"unknown {name} code '{code}'; the source's code list for {name} "
                            "has no such code")
                break
    if bad:
        rules.append(("dims", pl.col("dims").is_in(list(bad)),
                      pl.col("dims").replace_strict(bad, default=None)))
    return rules


def drop_repeats(obs: pl.DataFrame) -> tuple[pl.DataFrame, int, bool]:
    """Drop rows that repeat another row exactly (same key, value and attributes), e.g. one
    series published under two indicators in two files. Returns the rest, how many went,
    and whether any key still appears twice (for :func:`validate`)."""
    same = [*KEY, "value", *ATTRIBUTES]
    # Exact repeats are key duplicates too: the cheaper key check settles the common case.
    if not obs.select(pl.struct(KEY).is_duplicated().any()).item():
        return obs, 0, False
    kept = obs.unique(subset=same, keep="first", maintain_order=True)
    still = kept.select(pl.struct(KEY).is_duplicated().any()).item()
    return kept, obs.height - kept.height, bool(still)


def validate(obs: pl.DataFrame, known_areas: list[str],
             codelists: Mapping[str, frozenset[str]], check_duplicates: bool = True
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``obs`` into (valid rows, rejections with ``field`` and ``message``).

    Each condition is evaluated once over all rows (giving the first failing rule's
    number); the messages are built for the failing rows only.
    """
    rules = _rules(known_areas) + _codelist_rules(obs, codelists)
    failing = pl.coalesce([pl.when(cond).then(pl.lit(i, pl.Int32))
                           for i, (_, cond, _) in enumerate(rules)])
    checked = obs.with_columns(failing.alias("_rule"))
    bad = checked.filter(pl.col("_rule").is_not_null())
    if bad.height:
        bad = bad.with_columns(
            pl.col("_rule").replace_strict({i: f for i, (f, _, _) in enumerate(rules)},
                                           return_dtype=pl.Utf8).alias("field"),
            pl.coalesce([pl.when(pl.col("_rule") == i).then(msg)
                         for i, (_, _, msg) in enumerate(rules)]).alias("message"))
    else:
        bad = bad.with_columns(pl.lit(None, pl.Utf8).alias("field"),
                               pl.lit(None, pl.Utf8).alias("message"))
    good = checked.filter(pl.col("_rule").is_null()).drop("_rule")
    bad = bad.drop("_rule")
    if check_duplicates:
        dup_good, dup_bad = _duplicates(good, bad)
        good, bad = dup_good, dup_bad
    return good, bad.sort("_file", pl.col("_line").cast(pl.Int64, strict=False),
                          maintain_order=True)


def _duplicates(good: pl.DataFrame, bad: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Move every otherwise valid row whose key is repeated to the rejections, naming where
    the key first appears."""
    dup = pl.struct(KEY).is_duplicated()
    if not good.select(dup.any()).item():
        return good, bad
    first = (pl.col("_file").first().over(KEY) + pl.lit(":")
             + pl.col("_line").first().over(KEY))
    count = pl.len().over(KEY).cast(pl.Utf8)
    msg = pl.format("duplicate key: the same series, area, period, dimensions and units "
                    "appear {} times (first at {}); keep one row", count, first)
    marked = good.with_columns(dup.alias("_dup"), pl.lit("key").alias("field"),
                               msg.alias("message"))
    dups = marked.filter(pl.col("_dup")).drop("_dup")
    return (marked.filter(~pl.col("_dup")).drop("_dup", "field", "message"),
            pl.concat([bad, dups], how="vertical_relaxed"))

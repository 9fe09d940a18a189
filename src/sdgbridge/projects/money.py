"""Amounts in US dollars, from a yearly exchange-rate table kept as data.

The table (``data/exchange_rates.csv`` unless the user gives one) has one row per currency
and year: ``currency`` (ISO 4217), ``year``, ``units_per_usd`` (units of the currency one US
dollar bought, on average over the year) and the ``source`` of that figure. An amount is
converted at the rate of the year of its IATI ``value-date`` (the date the publisher says
the value is valued at, as IATI asks converters to use), else of the transaction date:
``value_usd = value / units_per_usd``.

A currency-year the table lacks is not guessed: ``value_usd`` stays empty (the amount is
still there, in its own currency) and :func:`missing_rates` lists what to add. The shipped
table holds only the US dollar, the one currency of the shared IATI files (2006-2024);
``docs/projects.md`` says how to add others and from which published source.
"""

from __future__ import annotations

import csv
import io
import re
from importlib.resources import files
from pathlib import Path

import polars as pl

from sdgbridge.errors import InputError

COLUMNS = ("currency", "year", "units_per_usd", "source")
SCHEMA = {"currency": pl.Utf8, "year": pl.Int64, "units_per_usd": pl.Float64,
          "source": pl.Utf8}
_CURRENCY = re.compile(r"[A-Z]{3}")
_DECIMAL = re.compile(r"\d+(\.\d*)?|\.\d+")


def read_data_table(name: str, path: Path | None, what: str) -> tuple[str, str]:
    """``(source, text)`` of a table shipped in ``projects/data/`` (``name``), or of the
    user's own file at ``path`` instead; an unreadable file names itself and ``what`` it is."""
    if path is None:
        text = files("sdgbridge.projects").joinpath(f"data/{name}").read_text("utf-8-sig")
        return f"{name} (shipped)", text
    try:
        return str(path), Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read {what} ({exc}).") from exc


def load_rates(path: Path | None = None) -> pl.DataFrame:
    """The rate table (shipped, or ``path``), checked row by row; errors name the file, the
    line and the field."""
    source, text = read_data_table("exchange_rates.csv", path, "the exchange-rate table")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if tuple(header) != COLUMNS:
        raise InputError(f"{source}, line 1: the columns are {', '.join(header) or 'none'}; "
                         f"write them as {', '.join(COLUMNS)}.")
    rows: list[tuple[str, int, float, str]] = []
    seen: dict[tuple[str, int], int] = {}
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = _check_row([v.strip() for v in values], reader.line_num, source)
        if row[:2] in seen:
            raise InputError(f"{source}, line {reader.line_num}: {row[0]} {row[1]} repeats "
                             f"line {seen[row[:2]]}; keep one rate per currency and year.")
        seen[row[:2]] = reader.line_num
        rows.append(row)
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def _check_row(values: list[str], line: int, source: str) -> tuple[str, int, float, str]:
    where = f"{source}, line {line}"
    if len(values) != len(COLUMNS):
        raise InputError(f"{where}: {len(values)} fields, expected {len(COLUMNS)} "
                         f"({', '.join(COLUMNS)}).")
    currency, year, rate, origin = values
    if not _CURRENCY.fullmatch(currency):
        raise InputError(f"{where}: currency {currency!r} is not an ISO 4217 code (three "
                         "capital letters, like EUR).")
    if not (year.isascii() and year.isdigit() and 1950 <= int(year) <= 2100):
        raise InputError(f"{where}: year {year!r} is not a year (like 2021).")
    if not _DECIMAL.fullmatch(rate) or float(rate) <= 0:
        raise InputError(f"{where}: units_per_usd {rate!r} is not a number above 0 (units "
                         "of the currency per US dollar, like 0.8454 for EUR).")
    if not origin:
        raise InputError(f"{where}: source is empty; name the published table the rate "
                         "comes from.")
    return currency, int(year), float(rate), origin


def rate_year(value_date: str = "value_date", date: str = "date") -> pl.Expr:
    """The year whose rate converts an amount: its value date's, else its own date's."""
    return pl.coalesce(pl.col(value_date), pl.col(date)).str.slice(0, 4).cast(
        pl.Int64, strict=False).alias("rate_year")


def with_usd(df: pl.DataFrame, rates: pl.DataFrame, values: tuple[str, ...] = ("value",),
             *, currency: str = "currency", year: str = "rate_year") -> pl.DataFrame:
    """``df`` with ``<value>_usd`` for each of ``values`` (empty where the table has no
    rate for the row's currency and ``year``) and the ``usd_rate`` used."""
    table = rates.select(pl.col("currency").alias(currency), pl.col("year").alias(year),
                         pl.col("units_per_usd").alias("usd_rate"))
    out = df.join(table, on=[currency, year], how="left", coalesce=True)
    return out.with_columns((pl.col(v) / pl.col("usd_rate")).alias(f"{v}_usd") for v in values)


def missing_rates(df: pl.DataFrame, rates: pl.DataFrame, *, currency: str = "currency",
                  year: str = "rate_year") -> pl.DataFrame:
    """The currency-years of ``df`` the table has no rate for, with how many rows each."""
    have = rates.select(pl.col("currency").alias(currency), pl.col("year").alias(year))
    return (df.filter(pl.col(currency).is_not_null())
            .join(have, on=[currency, year], how="anti")
            .group_by(currency, year).len("rows").sort(currency, year, nulls_last=True))

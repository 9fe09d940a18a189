"""SDG goals and targets of IATI transactions, inferred from their OECD DAC sectors.

Few publishers tag their activities with SDGs (none of the US Government files do), so the
SDGs are inferred from the DAC sector through an editable mapping, ``data/dac_sdg.csv``:
one row per DAC code × SDG goal (and target where clear), with the ``share`` of the code's
money the goal gets (shares sum to 1 per code) and the ``basis`` of the link. A 5-digit
purpose code is looked up first, else its 3-digit category. A row with no goal says the
code has no SDG (multisector aid, donors' administrative costs, unspecified): the money
stays in the export, unattributed. The rules are in ``docs/dac_sdg.md``.

Publisher-declared SDGs (``tag`` vocabulary 2/3, ``sector`` vocabulary 7/8) win over the
inference: such an activity's money is split equally over its declared goals (and over the
declared targets within a goal), with ``inferred`` False.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl
from sqlalchemy import ColumnElement, Connection, Engine, select, true

from sdgbridge.db import tables as t
from sdgbridge.errors import InputError
from sdgbridge.projects.money import load_rates, rate_year, read_data_table, with_usd
from sdgbridge.projects.visibility import readable, shown

COLUMNS = ("dac_code", "dac_name", "goal", "target", "share", "basis")
SCHEMA = {"dac_code": pl.Utf8, "dac_name": pl.Utf8, "goal": pl.Utf8, "target": pl.Utf8,
          "share": pl.Float64, "basis": pl.Utf8}
_CODE = re.compile(r"\d{3}|\d{5}")
_TARGET = re.compile(r"(\d{1,2})\.(\d{1,2}|[a-z])")
TOLERANCE = 1e-6
# SDG vocabularies of IATI: tag 2 = goal, 3 = target; sector 7 = goal, 8 = target.
DECLARED = {("tags", "2"): "goal", ("tags", "3"): "target",
            ("sectors", "7"): "goal", ("sectors", "8"): "target"}
FLAT_COLUMNS = ("iati_identifier", "transaction_seq", "reporting_org_ref", "reporting_org",
                "transaction_type", "date", "year", "currency", "value", "country", "region",
                "country_percentage", "sector_dac", "sector_percentage", "goal", "target",
                "sdg_share", "value_share", "inferred", "basis", "value_date", "usd_rate",
                "value_usd", "value_share_usd")


# ---------------------------------------------------------------- the mapping

def load_mapping(path: Path | None = None) -> pl.DataFrame:
    """The DAC → SDG mapping (the shipped ``data/dac_sdg.csv`` unless ``path``), checked:
    the columns, each row's codes and share, and the shares summing to 1 per DAC code.
    Errors name the file and line."""
    source, text = read_data_table("dac_sdg.csv", path, "the DAC-SDG mapping")
    rows = _read_rows(text, source)
    _check_shares(rows, source)
    return pl.DataFrame([{k: r[k] for k in COLUMNS} for _, r in rows], schema=SCHEMA,
                        orient="row")


def _read_rows(text: str, source: str) -> list[tuple[int, dict]]:
    """(line, row) pairs of the CSV, each row checked (see :func:`_check_row`)."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    expected = ", ".join(COLUMNS)
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InputError(f"{source}, line 1: unknown column {unknown[0]!r}; the columns are "
                         f"{expected}.")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"{source}, line 1: missing column(s) {', '.join(missing)}; the "
                         f"columns are {expected}.")
    rows: list[tuple[int, dict]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        line = reader.line_num
        row = _check_row(dict(zip(header, (v.strip() for v in values), strict=False)), line,
                         source)
        key = (row["dac_code"], row["goal"] or "", row["target"] or "")
        if key in seen:
            raise InputError(f"{source}, line {line}: DAC {key[0]} → SDG "
                             f"{key[2] or key[1] or 'none'} repeats line {seen[key]}.")
        seen[key] = line
        rows.append((line, row))
    return rows


def _check_row(row: dict, line: int, source: str) -> dict:
    """The row with ``share`` as a float and empty goal/target as None, or InputError."""
    def fail(message: str) -> InputError:
        return InputError(f"{source}, line {line}: {message}")

    code, goal, target = row.get("dac_code", ""), row.get("goal", ""), row.get("target", "")
    if not _CODE.fullmatch(code):
        raise fail(f"dac_code {code!r} is not a DAC code (a 3-digit category or a 5-digit "
                   "purpose code).")
    if goal and not (goal.isascii() and goal.isdigit() and str(int(goal)) == goal
                    and 1 <= int(goal) <= 17):
        raise fail(f"goal {goal!r} is not an SDG goal (1 to 17).")
    if target and not goal:
        raise fail(f"target {target!r} without a goal; give its goal too.")
    match = _TARGET.fullmatch(target) if target else None
    if target and match is None:
        raise fail(f"target {target!r} is not an SDG target (like 2.2 or 16.a).")
    if match is not None and match.group(1) != goal:
        raise fail(f"target {target!r} is not in goal {goal}.")
    try:
        share = float(row.get("share", ""))
    except ValueError:
        share = float("nan")
    if not 0 < share <= 1:
        raise fail(f"share {row.get('share')!r} is not a number above 0 and at most 1.")
    if not row.get("basis"):
        raise fail("basis is empty; say where the link comes from.")
    return row | {"goal": goal or None, "target": target or None, "share": share}


def _check_shares(rows: list[tuple[int, dict]], source: str) -> None:
    """Every DAC code's shares sum to 1."""
    by_code: dict[str, list[tuple[int, float]]] = {}
    for line, row in rows:
        by_code.setdefault(row["dac_code"], []).append((line, row["share"]))
    for code, entries in by_code.items():
        total = sum(share for _, share in entries)
        if abs(total - 1) > TOLERANCE:
            lines = [str(line) for line, _ in entries]
            where = f"line {lines[0]}" if len(lines) == 1 else \
                f"lines {', '.join(lines[:-1])} and {lines[-1]}"
            raise InputError(f"{source}, {where}: the shares of DAC {code} sum to "
                             f"{total:g}, not 1.")


# ---------------------------------------------------------------- inference

def infer_sdgs(transactions: pl.DataFrame, mapping: pl.DataFrame,
               column: str = "sector_dac") -> pl.DataFrame:
    """``transactions`` with the SDGs of their DAC sector (``column``): one row per
    transaction × mapped goal, with ``goal``, ``target``, ``share``, ``inferred`` (True),
    ``basis`` and ``mapped_on`` (the 5-digit code if mapped, else its 3-digit category).
    A transaction whose sector is not mapped, or missing, keeps one row with a null goal,
    share and ``inferred``, and a ``basis`` saying why."""
    m = mapping.select("dac_code", "goal", "target", "share", "basis")
    codes = m["dac_code"].unique().to_list()
    code, category = pl.col(column), pl.col(column).str.slice(0, 3)
    keyed = transactions.with_columns(
        pl.when(code.is_in(codes)).then(code)
        .when(category.is_in(codes)).then(category).alias("mapped_on"))
    out = keyed.join(m, left_on="mapped_on", right_on="dac_code", how="left",
                     maintain_order="left")
    why = pl.when(code.is_null()).then(pl.lit("no DAC sector")) \
        .otherwise(pl.format("DAC {}: not in the DAC-SDG mapping", code))
    return out.with_columns(
        pl.when(pl.col("mapped_on").is_not_null()).then(pl.lit(True)).alias("inferred"),
        pl.coalesce("basis", why).alias("basis"))


def declared_sdgs(tags: pl.DataFrame, sectors: pl.DataFrame) -> pl.DataFrame:
    """The SDGs activities declare themselves (``tags``, ``sectors``: iati_identifier,
    vocabulary, code): one row per activity × goal/target with ``share`` (equal per goal,
    then equal over the goal's declared targets), ``inferred`` False and ``basis``."""
    parts = []
    for (kind, vocabulary), level in DECLARED.items():
        frame = tags if kind == "tags" else sectors
        code = pl.col("code")
        parts.append(frame.filter(pl.col("vocabulary") == vocabulary).select(
            "iati_identifier",
            goal=code.str.extract(r"^(\d{1,2})", 1) if level == "target" else code,
            target=code if level == "target" else pl.lit(None, pl.Utf8),
            basis=pl.lit(f"declared by the publisher ({kind[:-1]} vocabulary {vocabulary})")))
    found = pl.concat(parts).unique(["iati_identifier", "goal", "target"], keep="first",
                                    maintain_order=True)
    has_target = pl.col("target").is_not_null().any().over("iati_identifier", "goal")
    found = found.filter(pl.col("target").is_not_null() | ~has_target)
    goals = pl.col("goal").n_unique().over("iati_identifier")
    return found.with_columns(
        share=1 / goals / pl.len().over("iati_identifier", "goal"), inferred=pl.lit(False))


# ---------------------------------------------------------------- the flat export

def flat_export(engine: Engine, mapping: pl.DataFrame | None = None,
                include_archived: bool = False, rates: pl.DataFrame | None = None
                ) -> pl.DataFrame:
    """One row per transaction × country × DAC sector × SDG goal (:data:`FLAT_COLUMNS`):
    ``value_share`` = value × country share × sector share × SDG share, so a transaction's
    rows add up to its value. Country and sector are the transaction's own (100 %), else
    the activity's, split by their percentages (equally when some are missing). Archived
    projects are left out unless ``include_archived``. ``value_usd`` and ``value_share_usd``
    are the value and the share in US dollars at ``usd_rate`` (:mod:`.money`; the shipped
    rates unless ``rates``), empty where the rate table has no rate for the currency-year."""
    mapping = load_mapping() if mapping is None else mapping
    with engine.connect() as conn:
        tr = _transactions(conn, include_archived)
        sub = _activity_level(conn, include_archived)
    rows = _split_sectors(_split_places(tr, sub), sub["sectors"])
    declared = declared_sdgs(sub["tags"], sub["sectors"])
    is_declared = pl.col("iati_identifier").is_in(declared["iati_identifier"].unique().to_list())
    rows = pl.concat([
        infer_sdgs(rows.filter(~is_declared), mapping).drop("mapped_on"),
        rows.filter(is_declared).join(declared, on="iati_identifier", how="inner"),
    ], how="diagonal_relaxed")
    fraction = pl.col("country_percentage") / 100 * pl.col("sector_percentage") / 100
    rows = rows.with_columns(sdg_share=pl.col("share"), rate_year=rate_year(),
                             value_share=pl.col("value") * fraction
                             * pl.col("share").fill_null(1.0))
    rows = with_usd(rows, load_rates() if rates is None else rates, ("value", "value_share"))
    return (rows
            .sort("iati_identifier", "transaction_seq", "country", "region", "sector_dac",
                  pl.col("goal").cast(pl.Int64), "target", nulls_last=True)
            .select(FLAT_COLUMNS))


def _live(identifier: ColumnElement[str], include_archived: bool) -> ColumnElement[bool]:
    """The condition on an activity identifier that keeps its rows in the export."""
    a = t.iati_activity.c
    condition = shown(include_archived)
    if include_archived and readable() is None:
        return true()
    return identifier.in_(select(a.iati_identifier).where(condition))


def _activity_level(conn: Connection, include_archived: bool) -> dict[str, pl.DataFrame]:
    """The activities' own countries, regions, sectors and tags."""
    out = {}
    for kind, table in (("countries", t.iati_country), ("regions", t.iati_region),
                        ("sectors", t.iati_sector), ("tags", t.iati_tag)):
        schema = {c.name: pl.Float64 if c.name == "percentage" else pl.Utf8
                  for c in table.columns}
        out[kind] = pl.read_database(
            select(table).where(_live(table.c.iati_identifier, include_archived)), conn,
            schema_overrides=schema)
    return out


def _transactions(conn: Connection, include_archived: bool) -> pl.DataFrame:
    """Every transaction with its activity's reporting organisation and its year."""
    a, tr = t.iati_activity.c, t.iati_transaction.c
    stmt = (select(tr.iati_identifier, tr.seq.label("transaction_seq"), a.reporting_org_ref,
                   a.reporting_org_name.label("reporting_org"),
                   tr.type.label("transaction_type"), tr.date, tr.value_date, tr.currency,
                   tr.value,
                   tr.country, tr.region, tr.sector_dac)
            .join(t.iati_activity, a.iati_identifier == tr.iati_identifier)
            .where(_live(a.iati_identifier, include_archived)))
    text = ("iati_identifier", "reporting_org_ref", "reporting_org", "transaction_type",
            "date", "value_date", "currency", "country", "region", "sector_dac")
    df = pl.read_database(stmt, conn, schema_overrides={
        **{c: pl.Utf8 for c in text}, "transaction_seq": pl.Int64, "value": pl.Float64})
    return df.with_columns(
        year=pl.col("date").str.slice(0, 4).cast(pl.Int64, strict=False))


def _percentages() -> pl.Expr:
    """Each row's percentage of its activity: as published, scaled so they sum to 100;
    equal parts when any is missing or they sum to 0."""
    pct, key = pl.col("percentage"), "iati_identifier"
    usable = pct.is_not_null().all().over(key) & (pct.sum().over(key) > 0)
    return pl.when(usable).then(pct * 100 / pct.sum().over(key)) \
        .otherwise(100 / pl.len().over(key))


def _split_places(tr: pl.DataFrame, sub: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Transactions with a country or region keep it (100 %); the others take their
    activity's countries and regions, one row each, with its percentage."""
    own = tr.filter(pl.col("country").is_not_null() | pl.col("region").is_not_null()) \
        .with_columns(country_percentage=pl.lit(100.0))
    places = pl.concat([
        sub["countries"].select("iati_identifier", country="code", region=pl.lit(None, pl.Utf8),
                                percentage="percentage"),
        sub["regions"].select("iati_identifier", country=pl.lit(None, pl.Utf8),
                              region=pl.when(pl.col("vocabulary") == "1").then("code")
                              .otherwise(pl.format("{}:{}", "vocabulary", "code")),
                              percentage="percentage")])
    places = places.with_columns(country_percentage=_percentages()).drop("percentage")
    rest = tr.filter(pl.col("country").is_null() & pl.col("region").is_null()) \
        .drop("country", "region")
    spread = rest.join(places, on="iati_identifier", how="left", maintain_order="left") \
        .with_columns(pl.col("country_percentage").fill_null(100.0))
    return pl.concat([own, spread.select(own.columns)])


def _split_sectors(rows: pl.DataFrame, sectors: pl.DataFrame) -> pl.DataFrame:
    """Transactions with a DAC sector keep it (100 %); the others take their activity's
    DAC sectors (vocabulary 1, else the 3-digit vocabulary 2) with their percentages."""
    own = rows.filter(pl.col("sector_dac").is_not_null()) \
        .with_columns(sector_percentage=pl.lit(100.0))
    dac = sectors.filter(pl.col("vocabulary").is_in(["1", "2"]))
    dac = dac.filter(pl.col("vocabulary") == pl.col("vocabulary").min().over("iati_identifier"))
    dac = dac.select("iati_identifier", sector_dac="code",
                     sector_percentage=_percentages())
    spread = rows.filter(pl.col("sector_dac").is_null()).drop("sector_dac") \
        .join(dac, on="iati_identifier", how="left", maintain_order="left") \
        .with_columns(pl.col("sector_percentage").fill_null(100.0))
    return pl.concat([own, spread.select(own.columns)])

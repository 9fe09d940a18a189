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
from sqlalchemy import Engine

from sdgbridge.errors import InputError
from sdgbridge.projects.flows import places_and_sectors, value_part
from sdgbridge.projects.money import load_rates, rate_year, read_data_table, with_usd

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
            # "1.A" as some publishers write it is target 1.a of the framework
            target=code.str.to_lowercase() if level == "target" else pl.lit(None, pl.Utf8),
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
    rows, sub = places_and_sectors(engine, include_archived)
    declared = declared_sdgs(sub["tags"], sub["sectors"])
    is_declared = pl.col("iati_identifier").is_in(declared["iati_identifier"].unique().to_list())
    rows = pl.concat([
        infer_sdgs(rows.filter(~is_declared), mapping).drop("mapped_on"),
        rows.filter(is_declared).join(declared, on="iati_identifier", how="inner"),
    ], how="diagonal_relaxed")
    rows = rows.with_columns(sdg_share=pl.col("share"), rate_year=rate_year(),
                             value_share=value_part() * pl.col("share").fill_null(1.0))
    rows = with_usd(rows, load_rates() if rates is None else rates, ("value", "value_share"))
    return (rows
            .sort("iati_identifier", "transaction_seq", "country", "region", "sector_dac",
                  pl.col("goal").cast(pl.Int64), "target", nulls_last=True)
            .select(FLAT_COLUMNS))

"""Which disaggregation of a series the assessment reads: its headline, one value per year.

A row is part of the headline when every dimension is at its total, in this order of rules:

1. **the rules table** (``data/headlines.csv``, or a user's file): for a series × dimension,
   ``total`` names the code that *is* the total (``type_of_speed=ANYS``), ``reference`` a
   category chosen as the series' reference where the series has no total (education level
   ``PRIMAR``), each with its reason; ``sum`` lists codes (``CAN|CAR|DIA|RES``) whose values
   add up to the total: the headline is their sum, only in years where every listed code has
   a value, and only for additive units (:data:`ADDITIVE_UNITS`; anything else is refused);
2. a total code (``BOTHSEX``, ``ALLAGE``, ``_T`` …, :data:`sdgbridge.summary.TOTAL_CODES`);
3. the only code the series has for that dimension (under-5 mortality is published for
   ``age=<5Y`` only, women in parliament for ``sex=FEMALE`` only);
4. sex published as ``MALE`` and ``FEMALE`` with no total: the headline is ``MALE`` plus ``FEMALE``
   where the units are additive (counts add up; rates and shares do not, so those series
   keep no headline).

A series matching none of these (a category with no total and no row in the table: tariffs
by product, ICT skills by type) has no headline and is not assessed; ``docs/targets.md``
lists them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import polars as pl

from sdgbridge.errors import InputError
from sdgbridge.ingest.model import parse_dims
from sdgbridge.summary import TOTAL_CODES

RULES = ("total", "reference", "sum")
COLUMNS = ("series", "dimension", "codes", "rule", "reason")
#: Units whose values add up across disjoint groups (counts, amounts, areas, volumes).
ADDITIVE_UNITS = frozenset({
    "NUMBER", "NUM_TH", "NUM_M", "TONNES", "TONNES_M", "METONS", "MT_CO2E", "KG", "HA_TH",
    "KMSQ", "M_M3_PER_YR", "P_KM", "T_KM", "CON_USD", "CON_USD_M", "CON_PPP_USD", "CU_USD",
    "CU_USD_M", "CU_USD_B", "CUR_LCU", "CUR_LCU_M"})
SEX_PARTS = ("FEMALE", "MALE")
_SUMMED = "\t"  # in a group key: the other dimensions, then the summed dimension
PAIR_SCHEMA = {"series": pl.Utf8, "dims_id": pl.Int64, "group": pl.Utf8, "parts": pl.Int64,
               "checked": pl.Boolean}


@dataclass(frozen=True)
class Rule:
    """One row of the rules table: how ``dimension`` of ``series`` reaches its headline."""

    series: str
    dimension: str
    codes: tuple[str, ...]
    rule: str
    line: int
    source: str

    @property
    def is_sum(self) -> bool:
        return self.rule == "sum"


Rules = dict[tuple[str, str], Rule]


def rules_text(path: Path | None = None) -> str:
    """The rules table as text (the shipped one unless ``path`` is given)."""
    if path is None:
        return files("sdgbridge.assessment").joinpath("data/headlines.csv").read_text("utf-8")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the headline rules ({exc}).") from exc


def rules_sha256(path: Path | None = None) -> str:
    return hashlib.sha256(rules_text(path).encode()).hexdigest()


def load_rules(path: Path | None = None) -> Rules:
    """The rules table, checked: errors name the file and line and say what to write."""
    source = str(path or "assessment/data/headlines.csv")
    try:
        df = pl.read_csv(rules_text(path).encode(), infer_schema_length=0)
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{source}: cannot read the headline rules ({exc}).") from exc
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}; the table needs "
                         f"{', '.join(COLUMNS)}.")
    rules: Rules = {}
    for line, row in enumerate(df.iter_rows(named=True), start=2):
        rule = _rule(row, line, source)
        if (rule.series, rule.dimension) in rules:
            raise InputError(f"{source}, line {line}: a second rule for {rule.series} "
                             f"{rule.dimension}; keep one row per series and dimension.")
        rules[(rule.series, rule.dimension)] = rule
    return rules


def _rule(row: dict[str, str | None], line: int, source: str) -> Rule:
    where = f"{source}, line {line}"
    values = {c: (row[c] or "").strip() for c in COLUMNS}
    empty = [c for c in COLUMNS if not values[c]]
    if empty:
        raise InputError(f"{where}: {', '.join(empty)} empty; every rule needs a series, a "
                         "dimension, its code(s), the rule and the reason.")
    if values["rule"] not in RULES:
        raise InputError(f"{where}: rule {values['rule']!r}; use one of {', '.join(RULES)}.")
    codes = tuple(c.strip() for c in values["codes"].split("|"))
    if values["rule"] == "sum" and (len(codes) < 2 or not all(codes)):
        raise InputError(f"{where}: a sum needs two or more codes joined by '|' "
                         "(e.g. CAN|CAR|DIA|RES).")
    if values["rule"] != "sum" and len(codes) != 1:
        raise InputError(f"{where}: rule {values['rule']!r} takes one code; list several "
                         "codes only with rule 'sum'.")
    return Rule(values["series"], values["dimension"], codes, values["rule"], line, source)


def headline_pairs(rows: list[tuple[str, int, str]], rules: Rules) -> pl.DataFrame:
    """Headline dimension sets from ``(series, dims_id, key)`` rows (module docstring).

    Returns ``series, dims_id, group, parts, checked``: rows of one ``group`` (the key with
    the summed dimension left out) add up to one headline value, which needs ``parts``
    values; ``checked`` is true where a table rule asked for the sum (units not additive are
    then an error), false for the automatic sex sum (such rows are dropped instead).
    """
    codes: dict[tuple[str, str], set[str]] = {}
    for series, _, key in rows:
        for name, value in parse_dims(key).items():
            codes.setdefault((series, name), set()).add(value)
    kept = []
    for series, dims_id, key in rows:
        pair = _pair(series, parse_dims(key), codes, rules)
        if pair is not None:
            kept.append((series, dims_id, *pair))
    return pl.DataFrame(kept, schema=PAIR_SCHEMA, orient="row")


def _pair(series: str, dims: dict[str, str], codes: dict[tuple[str, str], set[str]],
          rules: Rules) -> tuple[str, int, bool] | None:
    """``(group, parts, checked)`` when ``dims`` is (part of) the headline, else None."""
    summed: tuple[str, int, bool] | None = None
    for name, value in dims.items():
        rule = rules.get((series, name))
        if rule is not None:
            if value not in rule.codes:
                return None
            if rule.is_sum:
                summed = (name, len(rule.codes), True)
        elif value in TOTAL_CODES or len(codes[(series, name)]) == 1:
            continue
        elif name == "sex" and value in SEX_PARTS and _sex_parts_only(codes[(series, name)]):
            summed = (name, len(SEX_PARTS), False)
        else:
            return None
    if summed is None:
        return ";".join(f"{k}={v}" for k, v in sorted(dims.items())), 1, False
    name, parts, checked = summed
    rest = ";".join(f"{k}={v}" for k, v in sorted(dims.items()) if k != name)
    return f"{rest}{_SUMMED}{name}", parts, checked


def _sex_parts_only(values: set[str]) -> bool:
    """Sex has both parts and no total code (rule 4)."""
    return set(SEX_PARTS) <= values and not values & TOTAL_CODES


def combine(df: pl.DataFrame, pairs: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """One value per series × area × year × units × headline group: summed groups added up.

    ``df`` has ``series, area, year, value, units, dims_id, release``. A summed value
    needs every part that year (else it is dropped) and carries the newest release of its
    parts. Raises :class:`InputError` when a table rule sums values in units that do not add
    up; the automatic sex sum skips such rows.
    """
    frame = df.join(pairs, on=["series", "dims_id"], how="inner")
    summed = frame.filter(pl.col("parts") > 1)
    _check_units(summed.filter(pl.col("checked")), rules)
    summed = summed.filter(pl.col("units").is_in(sorted(ADDITIVE_UNITS)))
    keys = ["series", "area", "year", "units", "group"]
    added = summed.group_by(keys).agg(
        value=pl.col("value").sum(), n=pl.col("dims_id").n_unique(),
        parts=pl.col("parts").first(), dims_id=pl.col("dims_id").min(),
        release=pl.col("release").max())
    added = added.filter(pl.col("n") == pl.col("parts")).drop("n", "parts")
    single = frame.filter(pl.col("parts") == 1).drop("parts", "checked")
    return pl.concat([single, added.select(single.columns)])


def _check_units(summed: pl.DataFrame, rules: Rules) -> None:
    bad = summed.filter(~pl.col("units").is_in(sorted(ADDITIVE_UNITS)))
    if bad.height == 0:
        return
    series, units, group = bad["series"][0], bad["units"][0], bad["group"][0]
    rule = rules[(series, group.rsplit(_SUMMED, 1)[1])]
    raise InputError(f"{rule.source}, line {rule.line}: {series} is summed over "
                     f"{rule.dimension} but its values are in {units}, which do not add up; "
                     "use rule 'reference' with one code instead.")

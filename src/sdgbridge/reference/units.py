"""Units of measure as people read them: the UNSD SDG database's unit codes (``PERCENT``,
``MJ_PER_GDP_CON_PPP_USD``) as symbols or short words in English and Russian, and the
decimals a value in that unit is shown with (``data/units.csv``, a reviewed table of the 48
codes of the Global SDG Indicators Database, 2023-12 release: its ``ddf--entities--units``;
the words follow the series' own descriptions, e.g. "megajoules per constant 2017 purchasing
power parity GDP"). A code the table does not know is shown as it is."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

DEFAULT_DECIMALS = 2


@dataclass(frozen=True)
class Unit:
    code: str
    symbol_en: str
    symbol_ru: str
    decimals: int


@cache
def units() -> dict[str, Unit]:
    """Every known unit by its code."""
    text = files("sdgbridge.reference").joinpath("data/units.csv").read_text(encoding="utf-8")
    return {r["code"]: Unit(r["code"], r["symbol_en"], r["symbol_ru"], int(r["decimals"]))
            for r in csv.DictReader(text.splitlines())}


def unit_symbol(code: str | None, lang: str = "en") -> str:
    """``PERCENT`` -> ``%``; ``PER_100000_POP`` -> ``per 100,000 people`` (``на 100 тыс.
    чел.`` in Russian); an unknown code as it is; nothing for none."""
    if not code:
        return ""
    found = units().get(code)
    if found is None:
        return code
    return found.symbol_ru if lang == "ru" else found.symbol_en


def unit_decimals(code: str | None, value: float | None = None) -> int:
    """The decimals for a value in ``code``: the table's; for a small value (below 1 in
    absolute terms) at least 2 and for one below 0.01 at least 4, so that it never shows as
    0; for a large one (100 or more) at most 1, none from 1,000 on."""
    found = units().get(code or "")
    digits = found.decimals if found else DEFAULT_DECIMALS
    if value is not None and value == value and abs(value) >= 1000:
        return 0
    if value is not None and value == value and abs(value) >= 100:
        return min(digits, 1)
    if value is not None and value == value and value != 0:
        if abs(value) < 0.01:
            return max(digits, 4)
        if abs(value) < 1:
            return max(digits, 2)
    return digits

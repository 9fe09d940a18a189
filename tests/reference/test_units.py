"""Units as people read them: every unit code of the UN Global SDG Indicators Database has
a symbol in English and Russian, and values are shown with the unit's decimals."""

from __future__ import annotations

import csv

import pytest

from sdgbridge.reference.units import unit_decimals, unit_symbol, units
from sdgbridge.web.pages.base import measure
from tests.helpers import SHARED

ENTITIES = SHARED / "sdg" / "unsd_global_ddf_2023-12" / "ddf--entities--units.csv"


@pytest.mark.shared_data
def test_every_unit_code_of_the_global_database_is_known() -> None:
    with ENTITIES.open(encoding="utf-8") as fh:
        codes = {r["name"] for r in csv.DictReader(fh)}
    assert len(codes) == 48 and codes == set(units())
    assert all(u.symbol_en and u.symbol_ru for u in units().values())
    # no Latin word left in the Russian symbols but the unit signs the Russian text uses too
    latin = {u.code: u.symbol_ru for u in units().values()
             if any("a" <= ch.lower() <= "z" for ch in u.symbol_ru)}
    assert latin == {"MT_CO2E": "Мт CO₂-экв.", "PH": "pH"}


def test_symbols_and_decimals() -> None:
    assert (unit_symbol("PERCENT"), unit_symbol("PER_100000_POP", "ru")) == (
        "%", "на 100 тыс. чел.")
    assert unit_symbol("MJ_PER_GDP_CON_PPP_USD", "ru").startswith("МДж на долл. ВВП")
    assert (unit_symbol("SOMETHING_ELSE"), unit_symbol(None)) == ("SOMETHING_ELSE", "")
    assert measure(23.512, "PERCENT", "en") == "23.5\u202f%"
    assert measure(1234567.0, "TONNES", "ru") == "1\u202f234\u202f567 т"
    assert measure(0.004, "PERCENT") == "0.0040\u202f%"  # small values never show as 0
    assert measure(3.14159, "MJ_PER_GDP_CON_PPP_USD", "en", False) == "3.14"
    assert measure(None, "PERCENT") == "–"
    assert unit_decimals("KMSQ", 5.0) == 0 and unit_decimals("KMSQ", 0.5) == 2


def test_large_values_lose_their_decimals() -> None:
    assert measure(4973449.21, "CU_USD", "ru") == "4\u202f973\u202f449 долл. США"
    assert measure(123.456, "PER_100000_POP", "en") == "123.5 per 100,000 people"
    assert unit_decimals("PERCENT", 99.5) == 1 and unit_decimals("INDEX", 250.25) == 1

"""Landlocked countries (``data/landlocked.csv``): the UN's 32 landlocked developing
countries (the ``lldc`` flag of ``m49.csv``, UN-OHRLLS) and the 12 landlocked countries
that are not in that group (Andorra, Austria, Belarus, Czechia, Holy See, Hungary,
Liechtenstein, Luxembourg, San Marino, Serbia, Slovakia, Switzerland). Of them, the 40
ranked in SDSN's SDR 2023 are exactly the countries it gives no goal-14 score.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import polars as pl


@cache
def landlocked() -> pl.DataFrame:
    """``m49, iso3, name_en, group`` (``LLDC`` or ``developed``) of the landlocked countries."""
    data = files("sdgbridge.reference").joinpath("data/landlocked.csv").read_bytes()
    return pl.read_csv(data, schema_overrides={"m49": pl.Utf8})


def landlocked_areas() -> frozenset[str]:
    """M49 codes (the store's area codes) of the landlocked countries."""
    return frozenset(landlocked()["m49"])

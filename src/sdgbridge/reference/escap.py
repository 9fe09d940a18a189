"""ESCAP's members (``data/escap_members.csv``): the 53 member States and 9 associate members
of the UN Economic and Social Commission for Asia and the Pacific, with ESCAP's five
subregions. ``regional`` = ``no`` for the four members outside the region (France, the
Netherlands, the United Kingdom, the United States): ESCAP's "Asia and the Pacific" is the
other 58, the region of its SDG Progress Report, whose best performers set the ESCAP method's
regional benchmarks (:mod:`sdgbridge.assessment.benchmarks`). Sources: reference/data/README.md.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import polars as pl


@cache
def escap_members() -> pl.DataFrame:
    """``m49, iso3, name_en, membership`` (member / associate), ``regional`` (bool),
    ``subregion`` (ESCAP's, empty outside the region)."""
    data = files("sdgbridge.reference").joinpath("data/escap_members.csv").read_bytes()
    frame = pl.read_csv(data, schema_overrides={"m49": pl.Utf8, "subregion": pl.Utf8})
    return frame.with_columns(pl.col("regional") == "yes")


def escap_region() -> frozenset[str]:
    """M49 codes (the store's area codes) of ESCAP's Asia-Pacific region: its regional
    members and associate members (58)."""
    return frozenset(escap_members().filter(pl.col("regional"))["m49"])

"""The look-ups of names and titles in a language, and the framework's listings, on SQLite
and PostgreSQL."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine

from sdgbridge.errors import NotFound, SdgBridgeError, UnknownArea
from sdgbridge.reference.catalog import (
    area_entry,
    area_names,
    framework_table,
    goal_codes,
    group_areas,
    iso2_to_m49,
    titles,
    with_area_names,
)


def test_titles_in_a_language_with_english_beside(engine: Engine) -> None:
    ru, en = titles(engine, "goal", "ru"), titles(engine, "goal", "en")
    assert ru["6"] == "Чистая вода и санитария" and en["6"] == "Clean water and sanitation"
    assert len(ru) == len(en) == 17
    targets = titles(engine, "target", "ru")
    assert targets["6.1"].startswith("К 2030") and targets["6.1"] != titles(
        engine, "target", "en")["6.1"]
    assert titles(engine, "indicator", "xx") == titles(engine, "indicator", "en")


def test_framework_table(engine: Engine) -> None:
    goals = framework_table(engine, "goal", None, "en")
    assert goals["code"].to_list() == [str(n) for n in range(1, 18)]
    targets = framework_table(engine, "target", "6", "ru")
    assert targets["code"].to_list()[-3:] == ["6.6", "6.a", "6.b"]
    assert set(targets["goal"]) == {"6"}
    with pytest.raises(NotFound, match="No goal '18'"):
        framework_table(engine, "target", "18", "en")
    with pytest.raises(SdgBridgeError, match="No SDG titles in language 'xx'"):
        framework_table(engine, "goal", None, "xx")
    assert goal_codes(engine) == [str(n) for n in range(1, 18)]


def test_areas_by_name_in_a_language(engine: Engine) -> None:
    region = group_areas(engine, "CARSDG", "ru")
    assert [a["iso3"] for a in region] == ["AFG", "KAZ", "KGZ", "TJK", "TKM", "UZB"]
    assert region[1] == {"code": "398", "iso3": "KAZ", "iso2": "KZ", "name": "Казахстан"}
    assert area_entry(engine, "kaz", "en") == {"code": "398", "iso3": "KAZ", "iso2": "KZ",
                                               "kind": "country", "name": "Kazakhstan"}
    assert area_entry(engine, "417", "ru")["name"] == "Киргизия"  # the M49 table's name
    with pytest.raises(UnknownArea):
        area_entry(engine, "XXX", "en")
    assert area_names(engine, "ru")["398"] == "Казахстан"
    assert area_names(engine, "en")["398"] == "Kazakhstan"
    assert iso2_to_m49(engine)["KZ"] == "398" and "KZ" in iso2_to_m49(engine)


def test_area_names_go_beside_the_area_codes(engine) -> None:
    df = pl.DataFrame({"goal": ["1", "1", "1"], "area": ["398", "762", "CARSDG"],
                       "coverage": [3, 2, 5]})
    named = with_area_names(engine, df, "ru")
    assert named.columns == ["goal", "area", "area_name", "coverage"]
    assert named["area_name"].to_list() == ["Казахстан", "Таджикистан", "CARSDG"]
    assert with_area_names(engine, df)["area_name"].to_list()[:2] == ["Kazakhstan",
                                                                       "Tajikistan"]

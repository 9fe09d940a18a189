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
    assert area_entry(engine, "417", "ru")["name"] == "Кыргызстан"  # the UN's Russian name
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


def test_the_uns_russian_names_for_countries_regions_and_groups(engine: Engine) -> None:
    from sqlalchemy import select

    from sdgbridge.db import tables as t

    names = area_names(engine, "ru")
    assert (names["417"], names["364"], names["840"]) == (
        "Кыргызстан", "Иран (Исламская Республика)", "Соединенные Штаты Америки")
    assert (names["143"], names["142"], names["1"]) == ("Центральная Азия", "Азия", "Мир")
    with engine.connect() as conn:
        groups = {c: n for c, n in conn.execute(select(t.area_group.c.code,
                                                         t.area_group.c.name_ru))}
    assert groups["CARSDG"] == "Центральная Азия и Афганистан (Региональный центр по ЦУР)"
    assert groups["M49_143"] == "Центральная Азия" and groups["LLDC"].startswith(
        "Развивающиеся страны, не имеющие выхода к морю")
    # every region and standard group has its Russian name
    assert [c for c, n in groups.items() if not n and not c.startswith("USER")] == []

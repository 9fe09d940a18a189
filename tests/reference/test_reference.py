from __future__ import annotations

import pytest
from sqlalchemy import select, update

from sdgbridge.db import tables as t
from sdgbridge.db.engine import make_engine
from sdgbridge.errors import SdgBridgeError, UnknownArea
from sdgbridge.reference import (
    FRAMEWORK_LANGUAGES,
    PACKAGED_FRAMEWORK,
    Seeded,
    define_group,
    delete_group,
    resolve_areas,
    seed_store,
)
from sdgbridge.reference.catalog import area_table, group_table, indicator_table


def test_framework_counts(engine) -> None:
    with engine.connect() as conn:
        goals = conn.execute(select(t.goal.c.code)).scalars().all()
        targets = conn.execute(select(t.target.c.code)).scalars().all()
        inds = conn.execute(select(t.indicator.c.code, t.indicator.c.same_as)).all()
        ru = conn.execute(select(t.framework_title.c.title).where(
            t.framework_title.c.kind == "goal", t.framework_title.c.code == "1",
            t.framework_title.c.lang == "ru")).scalar_one()
    assert len(goals) == 17 and len(targets) == 169 and len(inds) == 252
    assert dict(inds)["11.5.1"] == "1.5.1"  # one indicator listed under two targets
    assert ru == "Повсеместная ликвидация нищеты во всех ее формах"


def test_indicator_listing_in_russian(engine) -> None:
    df = indicator_table(engine, goal="6", lang="ru")
    assert df["code"].to_list()[:3] == ["6.1.1", "6.2.1", "6.3.1"]
    assert df.filter(df["code"] == "6.a.1")["target"].item() == "6.a"


def test_centre_group_and_iso_codes(engine) -> None:
    assert resolve_areas(engine, ["CARSDG"]) == ["398", "4", "417", "762", "795", "860"]
    assert resolve_areas(engine, ["KAZ", "004", "kgz"]) == ["398", "4", "417"]
    kz = area_table(engine, "CARSDG").filter(area_table(engine, "CARSDG")["iso3"] == "KAZ")
    assert kz.select("code", "name_en", "name_ru").row(0) == ("398", "Kazakhstan", "Казахстан")


def test_m49_and_sdg_groups(engine) -> None:
    assert resolve_areas(engine, ["M49_143"]) == ["398", "417", "762", "795", "860"]
    central_southern = resolve_areas(engine, ["SDG_62"])
    assert "4" in central_southern and "356" in central_southern and len(central_southern) == 14
    groups = group_table(engine)
    assert groups.filter(groups["code"] == "LLDC")["areas"].item() == 32


def test_user_group_lifecycle(engine) -> None:
    assert define_group(engine, "ARAL", "Aral Sea basin", ["KAZ", "UZB", "TKM"]) == \
        ["398", "860", "795"]
    assert resolve_areas(engine, ["ARAL"]) == ["398", "795", "860"]
    delete_group(engine, "ARAL")
    with pytest.raises(UnknownArea):
        resolve_areas(engine, ["ARAL"])


def test_unknown_area_message(engine) -> None:
    with pytest.raises(UnknownArea) as err:
        resolve_areas(engine, ["KAZ", "XYZ"])
    assert str(err.value) == (
        "Unknown area or group XYZ. Use an M49 code (398), an ISO 3166 alpha-3 code (KAZ) or a "
        "group code; `sdgbridge areas` lists them.")


def test_standard_groups_are_protected(engine) -> None:
    with pytest.raises(SdgBridgeError) as err:
        define_group(engine, "CARSDG", "mine", ["KAZ"])
    assert str(err.value) == ("Group 'CARSDG' is a standard group and cannot be redefined; "
                              "choose another code.")


def test_a_new_store_is_seeded_once(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    first = seed_store(engine)
    assert first.geography is not None and first.geography.areas == 278
    assert first.framework is not None and (first.framework.goals, first.framework.targets,
                                            first.framework.indicators) == (17, 169, 252)
    assert seed_store(engine) == Seeded()  # nothing missing: nothing loaded again
    assert resolve_areas(engine, ["CARSDG"]) == ["398", "4", "417", "762", "795", "860"]


def test_seeding_keeps_a_store_that_holds_its_reference_data(engine) -> None:
    define_group(engine, "ARAL", "Aral Sea basin", ["KAZ", "UZB"])
    with engine.begin() as conn:
        conn.execute(update(t.goal).where(t.goal.c.code == "6").values(short_en="Water"))
    assert seed_store(engine) == Seeded()
    assert resolve_areas(engine, ["ARAL"]) == ["398", "860"]
    with engine.connect() as conn:
        short = conn.execute(select(t.goal.c.short_en).where(t.goal.c.code == "6")).scalar()
    assert short == "Water"


def test_the_framework_ships_in_eight_languages() -> None:
    for name in ("sdg_goals.csv", "sdg_targets.csv", "sdg_indicators.csv"):
        with open(PACKAGED_FRAMEWORK / name, encoding="utf-8") as f:
            header = f.readline().strip().split(",")
        assert {f"title_{lang}" for lang in FRAMEWORK_LANGUAGES} <= set(header), name


@pytest.mark.shared_data
def test_the_shipped_framework_is_the_published_one(shared) -> None:
    for name in ("sdg_goals.csv", "sdg_targets.csv", "sdg_indicators.csv"):
        source = shared / "text" / "sdg_framework" / name
        assert (PACKAGED_FRAMEWORK / name).read_bytes() == source.read_bytes(), name

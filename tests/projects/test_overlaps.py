"""Overlapping projects and the partner network: text similarity by hand, small IATI
files written here and imported through the store, and a run on every shared file."""

from __future__ import annotations

import math
import shutil
import time
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.db.engine import make_engine
from sdgbridge.projects.overlaps import (
    NETWORK_COLUMNS,
    OVERLAP_COLUMNS,
    cosine,
    is_un,
    org_key,
    overlaps,
    partner_network,
    tfidf,
    tokens,
)
from sdgbridge.projects.service import import_files
from tests.helpers import SHARED

IATI = SHARED / "iati"
USG = IATI / "activities" / "usg" / "data"
UNDP, UNICEF, UNODC = "XM-DAC-41114", "XM-DAC-41122", "XM-DAC-41128"
USAID = "U.S. Agency for International Development"
NAMES = {UNDP: "UNDP", UNICEF: "UNICEF", "US-GOV-1": USAID}


# ---------------------------------------------------------------- a tiny IATI file

def _org(tag: str, ref: str, name: str, role: str | None = None) -> str:
    role_attr = f' role="{role}"' if role else ""
    return f'<{tag} ref="{ref}"{role_attr} type="40"><narrative>{name}</narrative></{tag}>'


def _transaction(kind: str, value: float, country: str | None, sector: str | None,
                 receiver: tuple[str, str] | None) -> str:
    return "".join([
        f'<transaction><transaction-type code="{kind}"/>'
        f'<transaction-date iso-date="2021-01-01"/>'
        f'<value value-date="2021-01-01">{value}</value>',
        _org("receiver-org", *receiver) if receiver else "",
        f'<sector vocabulary="1" code="{sector}"/>' if sector else "",
        f'<recipient-country code="{country}"/>' if country else "",
        "</transaction>"])


def activity(ident: str, org: str, title: str, text: str, start: str, end: str | None = None,
             *, country: str = "KZ", sector: str = "11220", lang: str = "en",
             at_activity: bool = False, funders: tuple[tuple[str, str], ...] = (),
             implementers: tuple[tuple[str, str], ...] = (),
             receiver: tuple[str, str] | None = None) -> str:
    """One IATI 2.03 activity: actual start (and end) dates; country and DAC sector on its
    two transactions (a commitment of 500, disbursements of 100 and 50), or on the
    activity when ``at_activity``."""
    place = (country, sector) if not at_activity else (None, None)
    parts = [_org("participating-org", ref, name, "1") for ref, name in funders]
    parts += [_org("participating-org", ref, name, "4") for ref, name in implementers]
    return "".join([
        f'<iati-activity xml:lang="{lang}" default-currency="USD">',
        f"<iati-identifier>{ident}</iati-identifier>",
        _org("reporting-org", org, NAMES[org]),
        f"<title><narrative>{title}</narrative></title>",
        f'<description type="1"><narrative>{text}</narrative></description>',
        *(parts or [_org("participating-org", org, NAMES[org], "2")]),
        '<activity-status code="2"/>',
        f'<activity-date type="2" iso-date="{start}"/>',
        f'<activity-date type="4" iso-date="{end}"/>' if end else "",
        f'<recipient-country code="{country}"/><sector vocabulary="1" code="{sector}"/>'
        if at_activity else "",
        _transaction("2", 500, *place, receiver),
        _transaction("3", 100, *place, receiver),
        _transaction("3", 50, *place, receiver),
        "</iati-activity>"])


def load(engine: Engine, settings: Settings, folder: Path, *activities: str) -> None:
    path = folder / "test-activities.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">'
                    + "".join(activities) + "</iati-activities>", encoding="utf-8")
    report = import_files(engine, settings, [path])
    assert (report.new, report.rejected) == (len(activities), 0)


TEACHERS = ("Primary school teacher training in rural Kazakhstan",
            "Training primary school teachers in rural districts of Kazakhstan.")
PROJECTS = (
    activity("XX-1", UNICEF, *TEACHERS, "2020-01-01", "2022-12-31"),
    # the same work in other words, by another organisation, ongoing since 2021
    activity("XX-2", UNDP, "Training of rural primary school teachers",
             "Rural districts: primary school teachers trained in Kazakhstan.", "2021-06-01"),
    # the same country and target at the same time, other work
    activity("XX-3", UNICEF, "Water pipelines for Almaty schools",
             "Construction of water supply pipelines.", "2020-06-01", "2021-06-01"),
    activity("XX-4", UNICEF, *TEACHERS, "2015-01-01", "2016-12-31"),  # before XX-1
    activity("XX-5", UNICEF, *TEACHERS, "2020-01-01", "2022-12-31", country="KG"),
    activity("XX-6", UNICEF, *TEACHERS, "2020-01-01", "2022-12-31", sector="12110"),  # 3.8
    # country and sector on the activity, not on its transactions
    activity("XX-7", UNDP, "Teacher training for rural primary schools", TEACHERS[1],
             "2022-01-01", "2023-12-31", at_activity=True),
    activity("XX-8", UNDP, "Подготовка учителей начальных классов в сельских школах",
             "Обучение учителей начальных классов и сельских школ.", "2021-01-01",
             "2021-12-31", lang="ru"),
    activity("XX-9", UNICEF, "Учителя начальных классов сельских школ: подготовка",
             "Подготовка для учителей сельских школ.", "2021-03-01", "2021-09-30", lang="ru"),
)


# ---------------------------------------------------------------- similarity by hand

def test_terms_drop_stop_words_in_english_and_russian() -> None:
    assert tokens("The training OF teachers, 2021!") == ["training", "teachers",
                                                         "training teachers"]
    assert tokens("Обучение и подготовка учителей") == [
        "обучение", "подготовка", "учителей", "обучение подготовка", "подготовка учителей"]


def test_tfidf_cosine_by_hand() -> None:
    v = tfidf({"x": "water pipes", "y": "water schools", "z": "the water of the pipes",
               "e": "the of and"})
    # n = 4; "water" is in x, y, z: idf 1 + ln(5/4); every other term is in one or two
    assert v["x"] == pytest.approx(v["z"]) and cosine(v["x"], v["z"]) == pytest.approx(1.0)
    water, pipes, pair = 1 + math.log(5 / 4), 1 + math.log(5 / 3), 1 + math.log(5 / 3)
    school = 1 + math.log(5 / 2)
    expected = water ** 2 / math.sqrt((water ** 2 + pipes ** 2 + pair ** 2)
                                      * (water ** 2 + 2 * school ** 2))
    assert cosine(v["x"], v["y"]) == pytest.approx(expected, rel=1e-12)
    assert v["e"] == {} and cosine(v["x"], v["e"]) == 0.0
    assert cosine(v["x"], v["y"]) == cosine(v["y"], v["x"])


def test_un_rule_and_org_keys() -> None:
    assert all(map(is_un, [UNDP, UNICEF, UNODC, "XM-DAC-928", "XM-DAC-47066", "41AAA",
                           "XI-IATI-UNPF", "XM-OCHA-CERF"]))
    assert not any(map(is_un, ["XM-DAC-41317", "XM-DAC-44000", "XM-OCHA-ABC123", "US-GOV-1",
                               "XI-IATI-EBRD", None]))
    names = {"u.s. agency for international development": "US-GOV-1"}
    assert org_key("1", "U.S. Agency for  International Development", names) == "US-GOV-1"
    assert org_key("41114", None, {}) == UNDP
    assert org_key("XM-DAC-61000", "Enterprise X", names) == "Enterprise X"
    assert org_key("XM-DAC-44000", "World Bank", {}) == "XM-DAC-44000"
    assert org_key("", None, {}) is None


# ---------------------------------------------------------------- overlaps on the store

def test_overlapping_projects(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    load(engine, settings, tmp_path, *PROJECTS)
    found = overlaps(engine)
    assert found.columns == list(OVERLAP_COLUMNS)
    # XX-1 and XX-7 share a description; XX-8 and XX-9 "учителей начальных классов",
    # "сельских школ"; XX-2 says XX-1's words in another order (fewer bigrams shared).
    assert found.select("a", "b", "country", "target").rows() == [
        ("XX-1", "XX-7", "KZ", "4.1"), ("XX-8", "XX-9", "KZ", "4.1"),
        ("XX-1", "XX-2", "KZ", "4.1"), ("XX-2", "XX-7", "KZ", "4.1")]
    assert found["similarity"].is_between(0.5, 1.0).all()
    by_pair = {(r["a"], r["b"]): r for r in found.iter_rows(named=True)}
    # actual start to actual end; XX-2 has no end (ongoing); XX-7's place is its own
    assert (by_pair["XX-1", "XX-2"]["overlap_start"], by_pair["XX-1", "XX-2"]["overlap_end"]) \
        == (date(2021, 6, 1), date(2022, 12, 31))
    assert (by_pair["XX-2", "XX-7"]["overlap_start"], by_pair["XX-2", "XX-7"]["overlap_end"]) \
        == (date(2022, 1, 1), date(2023, 12, 31))
    assert [(r["a_org"], r["b_org"], r["same_org"]) for r in by_pair.values()] == [
        (UNICEF, UNDP, False), (UNDP, UNICEF, False), (UNICEF, UNDP, False),
        (UNDP, UNDP, True)]


def test_every_candidate_at_similarity_zero(engine: Engine, settings: Settings,
                                            tmp_path: Path) -> None:
    """KZ × 4.1 holds XX-1, 2, 3, 7, 8, 9: 15 pairs less the 3 whose dates do not meet
    (XX-7 from 2022 against XX-3, XX-8, XX-9); XX-4 (2015-16), XX-5 (KG) and XX-6 (3.8)
    are never paired. XX-2 (from 2021-06-01) and XX-3 (to 2021-06-01) meet on one day."""
    load(engine, settings, tmp_path, *PROJECTS)
    everything = overlaps(engine, min_similarity=0.0)
    assert everything.height == 12
    assert not {"XX-4", "XX-5", "XX-6"} & (set(everything["a"]) | set(everything["b"]))
    meet = everything.filter((pl.col("a") == "XX-2") & (pl.col("b") == "XX-3"))
    assert meet.select("overlap_start", "overlap_end").row(0) == (date(2021, 6, 1),) * 2
    assert everything["similarity"].is_sorted(descending=True)
    assert everything.filter(pl.col("similarity") >= 0.5).equals(overlaps(engine))
    water = everything.filter((pl.col("a") == "XX-3") | (pl.col("b") == "XX-3"))
    assert water["similarity"].max() < 0.1


def _store(template: Path, path: Path) -> Engine:
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


def test_results_do_not_depend_on_the_order_of_the_file(sqlite_template: Path,
                                                        settings: Settings,
                                                        tmp_path: Path) -> None:
    results = []
    for name, order in (("forward", PROJECTS), ("backward", PROJECTS[::-1])):
        (tmp_path / name).mkdir()
        engine = _store(sqlite_template, tmp_path / name / "store.db")
        load(engine, settings, tmp_path / name, *order)
        results.append((overlaps(engine, min_similarity=0.0), partner_network(engine)))
        engine.dispose()
    assert results[0][0].equals(results[1][0]) and results[0][1].equals(results[1][1])


# ---------------------------------------------------------------- partner network

PARTNERS = (
    activity("N-1", UNDP, "Border", "Border posts.", "2021-01-01",
             funders=((UNDP, "UNDP"), (UNICEF, "UNICEF")),
             implementers=((UNODC, "UNODC"), ("", "Mercy Corps")), receiver=("", "Mercy Corps")),
    activity("N-2", UNDP, "Schools", "Schools.", "2021-01-01",
             funders=((UNDP, "UNDP"), (UNICEF, "UNICEF")),
             implementers=(("XM-DAC-61000", "Enterprise X"), ("", "Mercy Corps")),
             receiver=(UNICEF, "UNICEF")),
    # USAID written "1" as a funder: the same name has US-GOV-1 elsewhere; pays itself
    activity("N-3", "US-GOV-1", "Roads", "Roads.", "2021-01-01",
             funders=(("1", USAID), (UNDP, "UNDP")), receiver=("US-GOV-1", USAID)),
)


def test_partner_network(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    load(engine, settings, tmp_path, *PARTNERS)
    net = partner_network(engine)
    assert net.columns == list(NETWORK_COLUMNS)
    assert net.select(NETWORK_COLUMNS[:6]).rows() == [
        (UNDP, UNICEF, "co-funding", 2, None, True),
        ("US-GOV-1", UNDP, "co-funding", 1, None, False),
        ("Enterprise X", "Mercy Corps", "co-implementing", 1, None, False),
        ("Mercy Corps", UNODC, "co-implementing", 1, None, False),
        (UNDP, "Mercy Corps", "funds", 1, 150.0, False),  # 100 + 50; not the 500 commitment
        (UNDP, UNICEF, "funds", 1, 150.0, True)]
    assert net.filter(pl.col("org_a") == "US-GOV-1")["org_a_name"].to_list() == [USAID]


# ---------------------------------------------------------------- every shared file

def test_real_files(sqlite_engine: Engine, settings: Settings) -> None:
    """On SQLite only (the small tests above run on both stores): the import of the 75
    files takes most of the time."""
    engine = sqlite_engine
    import_files(engine, settings, [USG])
    started = time.perf_counter()
    found = overlaps(engine)
    took = time.perf_counter() - started
    pairs = found.select("a", "b").unique()
    print(f"\noverlaps on 4,857 activities: {found.height} pairs × country × target, "
          f"{pairs.height} distinct pairs, {took:.2f} s")
    assert found.height > 1000
    assert (found["a"] < found["b"]).all()  # no self-pairs, each pair one way
    assert not found.select("a", "b", "country", "target").is_duplicated().any()
    assert found["similarity"].is_between(0.5, 1.0).all()
    assert (found["same_org"] == (found["a_org"] == found["b_org"])).all()
    _assert_dates_overlap(engine, found)

    started = time.perf_counter()
    net = partner_network(engine)
    print(f"partner network: {net.height} edges, {time.perf_counter() - started:.2f} s")
    assert (net["org_a"] != net["org_b"]).all()
    assert set(net["relation"]) <= {"co-funding", "co-implementing", "funds"}
    # every activity of the files has one funding and one implementing organisation
    assert net["relation"].unique().to_list() == ["funds"] and net.height == 419
    unodc = net.filter((pl.col("org_a") == "US-GOV-11") & (pl.col("org_b") == UNODC))
    assert unodc["org_b_name"].item() == "United Nations Office on Drugs and Crime"


def _assert_dates_overlap(engine: Engine, found: pl.DataFrame) -> None:
    """Each pair's overlap lies within both projects' dates, read again from the store."""
    with engine.connect() as conn:
        acts = pl.read_database("SELECT iati_identifier, planned_start, actual_start, "
                                "planned_end, actual_end FROM iati_activity", conn,
                                infer_schema_length=None)

    def day(kind: str) -> pl.Expr:
        return pl.coalesce(f"actual_{kind}", f"planned_{kind}").str.slice(0, 10).str.to_date()

    dates = acts.select("iati_identifier", start=day("start"), end=day("end"))
    both = found.join(dates, left_on="a", right_on="iati_identifier") \
        .join(dates, left_on="b", right_on="iati_identifier", suffix="_b")
    assert both.height == found.height
    start, end = pl.col("overlap_start"), pl.col("overlap_end")
    inside = (start >= pl.col("start")) & (start >= pl.col("start_b")) & (
        end.is_null() | ((end >= start) & (end <= pl.col("end").fill_null(end))
                         & (end <= pl.col("end_b").fill_null(end))))
    assert both.select(inside.all()).item()
    assert both.select((start == pl.max_horizontal("start", "start_b")).all()).item()

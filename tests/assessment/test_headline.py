"""Headlines for series published only by category: the rules table, the sums, the store.

Expected values are read here straight from the specimen CSV (the source the store was
loaded from) and added by hand, not taken from the implementation.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from sdgbridge.assessment.headline import combine, headline_pairs, load_rules
from sdgbridge.assessment.inputs import assessment_input
from sdgbridge.errors import InputError
from sdgbridge.ingest.load import ingest
from tests.helpers import SDG_CSV, derived_slice

HEADER = "series,dimension,codes,rule,reason\n"


def rules_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "headlines.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def pairs(rows: list[tuple[str, int, str]], *rules: str, tmp_path: Path) -> dict[int, tuple]:
    frame = headline_pairs(rows, load_rules(rules_file(tmp_path, *rules)) if rules else {})
    return {r["dims_id"]: (r["group"], r["parts"], r["checked"])
            for r in frame.iter_rows(named=True)}


# ── Which rows are the headline ─────────────────────────────────────────────


def test_totals_and_single_codes_without_rules(tmp_path: Path) -> None:
    rows = [("A", 1, "age=<5Y;sex=BOTHSEX"), ("A", 2, "age=<5Y;sex=MALE"),
            ("B", 3, "education_level=PRIMAR"), ("B", 4, "education_level=LOWSEC")]
    got = pairs(rows, tmp_path=tmp_path)
    # A: age has one code, sex is at its total; B: a category with no total, no rule.
    assert got == {1: ("age=<5Y;sex=BOTHSEX", 1, False)}


def test_rules_name_the_total_or_a_reference_category(tmp_path: Path) -> None:
    rows = [("N", 1, "type_of_speed=ANYS"), ("N", 2, "type_of_speed=10MBPS"),
            ("E", 3, "education_level=PRIMAR;sex=BOTHSEX"),
            ("E", 4, "education_level=LOWSEC;sex=BOTHSEX"),
            ("E", 5, "education_level=PRIMAR;sex=FEMALE")]
    got = pairs(rows, "N,type_of_speed,ANYS,total,any speed",
                "E,education_level,PRIMAR,reference,first level", tmp_path=tmp_path)
    assert set(got) == {1, 3}


def test_a_sum_rule_groups_its_parts(tmp_path: Path) -> None:
    rows = [("D", i, f"cause=C{i};sex=BOTHSEX") for i in (1, 2, 3)]
    rows.append(("D", 9, "cause=C1;sex=MALE"))
    got = pairs(rows, "D,cause,C1|C2|C3,sum,complete list", tmp_path=tmp_path)
    assert set(got) == {1, 2, 3}
    assert {v[1:] for v in got.values()} == {(3, True)}
    assert len({v[0] for v in got.values()}) == 1  # one headline group


def test_sex_without_total_is_summed_male_plus_female(tmp_path: Path) -> None:
    rows = [("P", 1, "age=15+;sex=MALE"), ("P", 2, "age=15+;sex=FEMALE"),
            ("Q", 3, "sex=FEMALE")]  # Q: the only code, kept as it is
    got = pairs(rows, tmp_path=tmp_path)
    assert got[1][1:] == got[2][1:] == (2, False) and got[1][0] == got[2][0]
    assert got[3] == ("sex=FEMALE", 1, False)


# ── Adding up ───────────────────────────────────────────────────────────────

OBS = {"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64, "value": pl.Float64,
       "units": pl.Utf8, "dims_id": pl.Int64, "release": pl.Int64}


def test_sums_need_every_part_and_additive_units(tmp_path: Path) -> None:
    rules = load_rules(rules_file(tmp_path, "D,cause,C1|C2,sum,complete list"))
    rows = [("D", 1, "cause=C1"), ("D", 2, "cause=C2"), ("P", 3, "sex=MALE"),
            ("P", 4, "sex=FEMALE"), ("R", 5, "sex=MALE"), ("R", 6, "sex=FEMALE")]
    obs = pl.DataFrame([
        ("D", "398", 2015, 10.0, "NUMBER", 1, 1), ("D", "398", 2015, 5.0, "NUMBER", 2, 2),
        ("D", "398", 2016, 11.0, "NUMBER", 1, 1),  # C2 missing in 2016: no headline
        ("P", "398", 2015, 3.0, "TONNES", 3, 1), ("P", "398", 2015, 4.0, "TONNES", 4, 1),
        ("R", "398", 2015, 30.0, "PERCENT", 5, 1), ("R", "398", 2015, 40.0, "PERCENT", 6, 1),
    ], schema=OBS, orient="row")
    out = combine(obs, headline_pairs(rows, rules), rules).sort("series")
    # D 2015 = 10 + 5 (newest release of the parts: 2); P = 3 + 4 t; R: shares, no sum.
    assert out.select("series", "year", "value", "release").rows() == [
        ("D", 2015, 15.0, 2), ("P", 2015, 7.0, 1)]


def test_a_sum_rule_on_shares_is_refused(tmp_path: Path) -> None:
    path = rules_file(tmp_path, "R,sex,MALE|FEMALE,sum,wrong on purpose")
    rules = load_rules(path)
    rows = [("R", 5, "sex=MALE"), ("R", 6, "sex=FEMALE")]
    obs = pl.DataFrame([("R", "398", 2015, 30.0, "PERCENT", 5, 1),
                        ("R", "398", 2015, 40.0, "PERCENT", 6, 1)], schema=OBS, orient="row")
    with pytest.raises(InputError) as err:
        combine(obs, headline_pairs(rows, rules), rules)
    assert str(err.value) == (
        f"{path}, line 2: R is summed over sex but its values are in PERCENT, which do not "
        "add up; use rule 'reference' with one code instead.")


@pytest.mark.parametrize(("row", "words"), [
    ("S,age,15+,best,x", "line 2: rule 'best'; use one of total, reference, sum."),
    ("S,age,15+,reference,", "line 2: reason empty"),
    ("S,cause,C1,sum,x", "line 2: a sum needs two or more codes joined by '|'"),
    ("S,age,15+|25+,reference,x", "line 2: rule 'reference' takes one code"),
])
def test_bad_rules_are_refused_naming_the_line(tmp_path: Path, row: str, words: str) -> None:
    with pytest.raises(InputError, match="line 2"):
        load_rules(rules_file(tmp_path, row))
    with pytest.raises(InputError) as err:
        load_rules(rules_file(tmp_path, row))
    assert words in str(err.value)


def test_duplicate_and_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="line 3: a second rule for S age"):
        load_rules(rules_file(tmp_path, "S,age,15+,reference,x", "S,age,25+,reference,y"))
    bad = tmp_path / "bad.csv"
    bad.write_text("series,dimension,codes\nS,age,15+\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        load_rules(bad)


def test_shipped_rules_load_and_every_rule_has_a_reason() -> None:
    rules = load_rules()
    assert len(rules) == 37  # 35, plus SG_REG_BRTH and SL_TLF_CHLDEC (SDR 2025 profile)
    assert {r.rule for r in rules.values()} == {"total", "reference", "sum"}
    assert rules[("SH_DTH_NCD", "name_of_non_communicable_disease")].codes == (
        "CAN", "CAR", "DIA", "RES")


# ── On the store ────────────────────────────────────────────────────────────

SERIES = ("SH_DTH_NCD", "IT_NET_BBND", "SE_ACS_ELECT", "TM_TAX_DMFN")


def source_values(series: str, area: str, **dims: str) -> dict[str, dict[int, float]]:
    """{code of the first dimension: {year: value}} from the specimen CSV, by hand."""
    (column, _), *others = dims.items()
    found: dict[str, dict[int, float]] = {}
    with (SDG_CSV / f"{series}.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["SeriesCode"] == series and row["GeoAreaCode"] == area and all(
                    row[k] == v for k, v in others):
                found.setdefault(row[column], {})[int(row["TimePeriod"])] = float(row["Value"])
    return found


def test_headlines_of_category_series_on_the_store(engine, tmp_path: Path) -> None:
    ingest(engine, derived_slice(tmp_path / "s.csv", SERIES))
    obs = assessment_input(engine, ["398"], list(SERIES))
    got = {s: dict(zip(g["year"], g["value"], strict=True))
           for (s,), g in obs.partition_by("series", as_dict=True).items()}
    assert "TM_TAX_DMFN" not in got  # tariffs by product: no rule, no headline
    ncd = source_values("SH_DTH_NCD", "398", **{"Name of non communicable disease": "",
                                               "Sex": "BOTHSEX"})
    years = set.intersection(*(set(v) for v in ncd.values()))
    assert len(ncd) == 4 and years
    assert got["SH_DTH_NCD"] == pytest.approx(
        {y: sum(ncd[c][y] for c in ncd) for y in years})
    speed = source_values("IT_NET_BBND", "398", **{"Type of speed": ""})
    assert got["IT_NET_BBND"] == speed["ANYS"]
    schools = source_values("SE_ACS_ELECT", "398", **{"Education level": ""})
    assert got["SE_ACS_ELECT"] == schools["PRIMAR"]

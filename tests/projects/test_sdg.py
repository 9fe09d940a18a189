"""DAC → SDG mapping: validation, inference, and the flat export on real IATI files."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from sdgbridge.config import Settings
from sdgbridge.errors import InputError
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.parse import parse_activities
from sdgbridge.projects.model import FRAMES, IatiBatch
from sdgbridge.projects.sdg import (
    COLUMNS,
    declared_sdgs,
    flat_export,
    infer_sdgs,
    load_mapping,
)
from sdgbridge.projects.service import activity_files, import_files
from sdgbridge.projects.store import import_batch
from sdgbridge.xml import parse_xml
from tests.helpers import SHARED

IATI = SHARED / "iati"
USG = IATI / "activities" / "usg" / "data"
NON_EMBEDDED = IATI / "codelists" / "non-embedded"
HEADER = ",".join(COLUMNS)


def _csv(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "map.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _names(file: str) -> dict[str, str]:
    """code → English name of an IATI code list."""
    root = parse_xml(NON_EMBEDDED / file).getroot()
    return {i.findtext("code"): i.findtext("name/narrative").strip()
            for i in root.iterfind("codelist-items/codelist-item")}


# ---------------------------------------------------------------- the mapping

@pytest.mark.shared_data
def test_shipped_mapping_is_valid_and_cites_the_code_lists() -> None:
    m = load_mapping()
    sectors = _names("Sector.xml") | _names("SectorCategory.xml")
    sdg = {k: re.sub(r"^Goal \d+\. ", "", v).lower()
           for k, v in (_names("UNSDG-Goals.xml") | _names("UNSDG-Targets.xml")).items()}
    assert set(_names("SectorCategory.xml")) <= set(m["dac_code"])  # every 3-digit category
    for row in m.iter_rows(named=True):
        assert sectors[row["dac_code"]] == row["dac_name"], row
        assert row["basis"].startswith(f"DAC {row['dac_code']} {row['dac_name']}")
        if row["goal"] is None:
            assert row["basis"].endswith("→ no SDG"), row
            continue
        ref = row["target"] or row["goal"]
        quote = re.search(rf"→ SDG {re.escape(ref)} '(.+)'$", row["basis"])
        assert quote, row  # the basis quotes the goal's or target's own words, in order
        assert re.search(".*".join(re.escape(f.strip().lower()) for f in
                                   quote.group(1).split("…")), sdg[ref]), row


def test_share_sum_error_names_the_lines(tmp_path: Path) -> None:
    path = _csv(tmp_path, "12240,Basic nutrition,2,2.2,1,DAC 12240 → SDG 2.2",
                "14020,Water,6,6.1,0.5,b", "14020,Water,6,6.2,0.4,b")
    with pytest.raises(InputError) as err:
        load_mapping(path)
    assert str(err.value) == f"{path}, lines 3 and 4: the shares of DAC 14020 sum to 0.9, not 1."


def test_unknown_column_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, "12240,Basic nutrition,2,2.2,1,b,x", header=HEADER + ",weight")
    with pytest.raises(InputError) as err:
        load_mapping(path)
    assert str(err.value) == (f"{path}, line 1: unknown column 'weight'; the columns are "
                              "dac_code, dac_name, goal, target, share, basis.")


@pytest.mark.parametrize(("line", "message"), [
    ("1224,x,2,2.2,1,b", "dac_code '1224' is not a DAC code (a 3-digit category or a 5-digit "
                         "purpose code)."),
    ("12240,x,18,,1,b", "goal '18' is not an SDG goal (1 to 17)."),
    ("12240,x,2,3.1,1,b", "target '3.1' is not in goal 2."),
    ("12240,x,,2.2,1,b", "target '2.2' without a goal; give its goal too."),
    ("12240,x,2,2.2,1.5,b", "share '1.5' is not a number above 0 and at most 1."),
    ("12240,x,2,2.2,1,", "basis is empty; say where the link comes from."),
])
def test_bad_row_names_its_line(tmp_path: Path, line: str, message: str) -> None:
    path = _csv(tmp_path, "111,Education,4,,1,b", line)
    with pytest.raises(InputError) as err:
        load_mapping(path)
    assert str(err.value) == f"{path}, line 3: {message}"


def test_repeated_row_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, "14020,w,6,6.1,0.5,b", "14020,w,6,6.1,0.5,b")
    with pytest.raises(InputError, match=r"line 3: DAC 14020 → SDG 6.1 repeats line 2\.$"):
        load_mapping(path)


# ---------------------------------------------------------------- inference

MAPPING = pl.DataFrame(
    [("12240", "Basic nutrition", "2", "2.2", 1.0, "to 2.2"),
     ("122", "Basic Health", "3", None, 1.0, "to 3"),
     ("14020", "Water and sanitation", "6", "6.1", 0.5, "to 6.1"),
     ("14020", "Water and sanitation", "6", "6.2", 0.5, "to 6.2"),
     ("91010", "Administrative costs", None, None, 1.0, "no SDG")],
    schema=list(COLUMNS), orient="row")


def test_inference_five_digit_then_category_then_unmapped() -> None:
    tr = pl.DataFrame({"id": ["a", "b", "c", "d", "e", "f"],
                       "sector_dac": ["12240", "12250", "14020", "31110", "91010", None]})
    got = infer_sdgs(tr, MAPPING)
    assert got.select("id", "mapped_on", "goal", "target", "share", "inferred").rows() == [
        ("a", "12240", "2", "2.2", 1.0, True),  # its own 5-digit row
        ("b", "122", "3", None, 1.0, True),  # no row for 12250: its category 122
        ("c", "14020", "6", "6.1", 0.5, True),
        ("c", "14020", "6", "6.2", 0.5, True),
        ("d", None, None, None, None, None),  # neither 31110 nor 311 mapped
        ("e", "91010", None, None, 1.0, True),  # mapped, deliberately to no SDG
        ("f", None, None, None, None, None),
    ]
    assert got["basis"].to_list() == ["to 2.2", "to 3", "to 6.1", "to 6.2",
                                      "DAC 31110: not in the DAC-SDG mapping", "no SDG",
                                      "no DAC sector"]


def test_declared_sdgs_split_equally_per_goal_then_target() -> None:
    tags = pl.DataFrame({"iati_identifier": ["x", "x", "x", "y"],
                         "vocabulary": ["2", "3", "3", "1"],
                         "code": ["4", "3.1", "3.2", "ignored"]})
    sectors = pl.DataFrame({"iati_identifier": ["x", "x"], "vocabulary": ["7", "1"],
                            "code": ["3", "12240"]})
    got = declared_sdgs(tags, sectors).sort("goal", "target")
    # goal 3 is declared both as a goal and by two targets: the targets are kept
    assert got.select("goal", "target", "share", "inferred").rows() == [
        ("3", "3.1", 0.25, False), ("3", "3.2", 0.25, False), ("4", None, 0.5, False)]


def test_shipped_mapping_covers_the_shared_files(settings: Settings) -> None:
    batch = parse_activities(activity_files([USG]), load_codelists(settings.iati_codelists),
                             None)
    tr = batch.frames["transactions"]
    got = infer_sdgs(tr, load_mapping()).unique(["iati_identifier", "seq"], keep="first")
    assert got.height == tr.height == 14401
    codes = tr["sector_dac"].drop_nulls().n_unique()
    mapped = got["inferred"].fill_null(False).mean()
    to_goal = got.group_by("iati_identifier", "seq").agg(pl.col("goal").is_not_null().any())
    print(f"\n{codes} DAC codes in the shared files; transactions with a mapped sector: "
          f"{mapped:.2%}; with an SDG goal: {to_goal['goal'].mean():.2%}")
    assert mapped >= 0.95
    assert got.filter(pl.col("inferred").is_null() & pl.col("sector_dac").is_not_null()
                      ).height == 0  # every DAC code found in the files is mapped


# ---------------------------------------------------------------- the flat export

def _per_transaction(flat: pl.DataFrame) -> pl.DataFrame:
    return flat.group_by("iati_identifier", "transaction_seq").agg(
        pl.col("value").first(), pl.col("value_share").sum(),
        pl.col("inferred").fill_null(False).any().alias("mapped"))


def test_flat_export_reconciles_on_real_files(engine, settings: Settings) -> None:
    import_files(engine, settings, [USG / "dhs", USG / "usda"])
    flat = flat_export(engine)
    assert flat.columns[:9] == ["iati_identifier", "transaction_seq", "reporting_org_ref",
                                "reporting_org", "transaction_type", "date", "year",
                                "currency", "value"]
    per = _per_transaction(flat)
    assert per.height == 38 + 224  # the transactions of the dhs and usda files
    mapped = per.filter("mapped")
    print(f"\ndhs + usda: {mapped.height / per.height:.2%} of {per.height} transactions "
          "with a mapped sector")
    assert mapped.height / per.height >= 0.95
    for value, total in mapped.select("value", "value_share").iter_rows():
        assert total == pytest.approx(value, rel=1e-12, abs=1e-9)
    nutrition = flat.filter(pl.col("sector_dac") == "12240")
    assert set(nutrition["target"]) <= {"2.2"} and nutrition["sdg_share"].eq(1).all()


def _batch(**rows: list[dict]) -> IatiBatch:
    """A parsed batch with the given rows (other columns null)."""
    batch = IatiBatch()
    for kind, items in rows.items():
        batch.frames[kind] = pl.DataFrame(
            [{c: r.get(c) for c in FRAMES[kind]} for r in items], schema=FRAMES[kind],
            orient="row")
    return batch


def test_activity_level_split_and_declared_sdgs(engine, tmp_path: Path) -> None:
    ident, tagged = "XM-TEST-1", "XM-TEST-2"
    batch = _batch(
        activities=[{"iati_identifier": ident, "reporting_org_ref": "XM-TEST"},
                    {"iati_identifier": tagged, "reporting_org_ref": "XM-TEST"}],
        tags=[{"iati_identifier": tagged, "vocabulary": "2", "code": "5"}],
        countries=[{"iati_identifier": ident, "code": "KZ", "percentage": 75.0},
                   {"iati_identifier": ident, "code": "KG", "percentage": 25.0}],
        sectors=[{"iati_identifier": ident, "vocabulary": "1", "code": "14020",
                  "percentage": 60.0},
                 {"iati_identifier": ident, "vocabulary": "1", "code": "12240",
                  "percentage": 40.0},
                 {"iati_identifier": ident, "vocabulary": "99", "code": "X",
                  "percentage": 100.0}],
        transactions=[{"iati_identifier": ident, "seq": 0, "type": "3",
                       "date": "2020-01-31", "value": 1000.0, "currency": "USD"},
                      {"iati_identifier": tagged, "seq": 0, "type": "3", "value": 50.0,
                       "country": "TJ", "sector_dac": "12240"}])
    source = tmp_path / "x.xml"
    source.write_text("<iati-activities/>", encoding="utf-8")
    import_batch(engine, batch, [source])
    flat, declared = (flat_export(engine).filter(pl.col("iati_identifier") == i)
                      for i in (ident, tagged))
    # the publisher's own SDG tag wins over the mapping (12240 → 2.2)
    assert declared.select("country", "goal", "target", "value_share", "inferred").rows() == [
        ("TJ", "5", None, 50.0, False)]
    got = {(r["country"], r["sector_dac"], r["target"]): r["value_share"]
           for r in flat.iter_rows(named=True)}
    assert got == pytest.approx({
        ("KG", "12240", "2.2"): 100.0, ("KG", "14020", "6.1"): 75.0,
        ("KG", "14020", "6.2"): 75.0, ("KZ", "12240", "2.2"): 300.0,
        ("KZ", "14020", "6.1"): 225.0, ("KZ", "14020", "6.2"): 225.0})
    assert flat["year"].unique().to_list() == [2020]
    assert flat["value_share"].sum() == pytest.approx(1000.0)

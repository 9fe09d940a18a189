"""IATI activity parsing on the real US Government files, and on hostile or broken copies.

No database. The real files are parsed once per module; the counts are checked against a
direct count over the XML (iterparse + XPath, not the parser under test) and against the
table in ``shared/data/iati/README.md``.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import polars as pl
import pytest
from lxml import etree

from sdgbridge.errors import InputError, Rejection, UnsafeXml
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.files import validate_schema
from sdgbridge.projects.iati.parse import ParsedBatch, parse_activities, recipient_countries
from tests.helpers import SHARED

pytestmark = pytest.mark.shared_data  # the real IATI files, schema and code lists

IATI = SHARED / "iati"
SCHEMA = IATI / "schema" / "iati-activities-schema.xsd"
DATA = IATI / "activities" / "usg" / "data"
SMALL = DATA / "doe" / "doe-kyrgyzstan.xml"  # 5 activities, 9 transactions, all KG
SMALL_IDS = ["US-GOV-20-10/11-ISN(NADR)-5-KG", "US-GOV-20-DN4002010.6", "US-GOV-20-NA-26225",
             "US-GOV-20-NA-26226", "US-GOV-20-NN5028"]
# README "Coverage": activities per recipient country (its per-country file groups).
README_ACTIVITIES = {"KZ": 916, "KG": 873, "TJ": 1131, "TM": 267, "UZ": 906, "AF": 284}
README_REGIONS = {"619": 80, "689": 400}  # 689: 404 records, 4 of them duplicates
UNSAFE = ("the XML declares a DTD or entities (<!DOCTYPE); sdgbridge never expands entities "
          "or loads external ones. Remove the DOCTYPE from the file, or ask its publisher for "
          "a plain SDMX-ML/IATI file.")


@pytest.fixture(scope="module")
def files() -> list[Path]:
    if not DATA.exists():
        pytest.fail(f"{DATA} is missing: these tests read the real IATI files in ../shared.")
    return sorted(DATA.rglob("*.xml"))


@pytest.fixture(scope="module")
def codelists() -> dict[str, frozenset[str]]:
    return load_codelists(IATI / "codelists")


@pytest.fixture(scope="module")
def batch(files: list[Path], codelists: dict[str, frozenset[str]]) -> ParsedBatch:
    return parse_activities(files, codelists, SCHEMA)


def direct_count(files: list[Path]) -> dict[str, Counter]:
    """Counts straight from the XML: records, transactions, and per recipient country and
    region the unique activities (first copy of an identifier wins) and their transactions."""
    seen: set[str] = set()
    out: dict[str, Counter] = defaultdict(Counter)
    for path in files:
        for _, act in etree.iterparse(str(path), tag="iati-activity", resolve_entities=False,
                                      no_network=True, load_dtd=False):
            ident = act.xpath("normalize-space(iati-identifier)")
            out["total"]["records"] += 1
            out["total"]["transactions"] += int(act.xpath("count(transaction)"))
            if ident not in seen:
                seen.add(ident)
                codes = act.xpath("recipient-country/@code | transaction/recipient-country/@code")
                out["activities"].update(set(codes))
                out["transactions"].update(act.xpath("transaction/recipient-country/@code"))
                out["regions"].update(set(act.xpath("transaction/recipient-region/@code")))
            act.clear()
    out["total"]["unique"] = len(seen)
    return out


# ---------------------------------------------------------------- code lists


def test_code_lists_are_read_by_name_and_cached(codelists: dict[str, frozenset[str]]) -> None:
    for name in ("ActivityStatus", "TransactionType", "OrganisationRole", "OrganisationType",
                 "Country", "Region", "Sector", "Currency", "BudgetType", "BudgetStatus",
                 "FlowType", "FinanceType", "AidType", "SectorVocabulary", "RegionVocabulary"):
        assert codelists[name], name
    assert {"KZ", "KG", "TJ", "TM", "UZ", "AF"} <= codelists["Country"]
    assert {"619", "689"} <= codelists["Region"]
    assert "15150" in codelists["Sector"] and "151" not in codelists["Sector"]
    assert codelists["TransactionType"] >= {"1", "2", "3", "4"}
    assert "99" not in codelists["TransactionType"]
    assert load_codelists(IATI / "codelists" / ".." / "codelists")["Sector"] \
        is codelists["Sector"]


# ---------------------------------------------------------------- the real files


def test_every_real_file_validates_and_parses(files: list[Path], batch: ParsedBatch) -> None:
    assert len(files) == 75
    assert all(validate_schema(path, SCHEMA) == [] for path in files)
    assert batch.rejections == [] and batch.activities_rejected == 0
    assert batch.files == [str(p) for p in files]


def test_totals_match_the_xml_and_the_readme(files: list[Path], batch: ParsedBatch) -> None:
    direct = direct_count(files)["total"]
    assert direct == {"records": 4861, "unique": 4857, "transactions": 14405}
    acts = batch.frames["activities"]
    assert acts.height == 4857 == acts["iati_identifier"].n_unique()
    # The DOC, DOD and USDA "South and Central Asia" files are one file: 2 activities x 2
    # copies skipped, with their 4 transactions.
    assert (batch.duplicates_identical, batch.duplicates_conflicting) == (4, 0)
    assert acts.height + batch.duplicates_identical == 4861
    assert batch.frames["transactions"].height == 14405 - 4


def test_per_country_counts_match_a_direct_count(files: list[Path], batch: ParsedBatch) -> None:
    direct = direct_count(files)
    by_country = recipient_countries(batch).group_by("code").agg(
        pl.col("iati_identifier").n_unique())
    assert dict(by_country.iter_rows()) == dict(direct["activities"]) == README_ACTIVITIES
    tx = batch.frames["transactions"].filter(pl.col("country").is_not_null())
    assert dict(tx.group_by("country").len().iter_rows()) == dict(direct["transactions"])
    assert sum(direct["transactions"].values()) == 13420


def test_per_region_counts_match_a_direct_count(files: list[Path], batch: ParsedBatch) -> None:
    tx = batch.frames["transactions"].filter(pl.col("region").is_not_null())
    regions = tx.group_by("region").agg(pl.col("iati_identifier").n_unique())
    assert dict(regions.iter_rows()) == dict(direct_count(files)["regions"]) == README_REGIONS


def test_country_and_sector_are_read_on_transactions(batch: ParsedBatch) -> None:
    tx = batch.frames["transactions"]
    assert tx.filter(pl.col("sector_dac").is_null()).height == 6  # the MCC file has none
    assert set(tx["sector_other_vocabulary"].drop_nulls()) == {"99"}
    assert dict(tx.group_by("type").len().iter_rows()) == {"3": 9974 - 4, "2": 4431}
    assert batch.frames["countries"].height == 3  # only the MCC file has them on activities


def test_one_usaid_activity_exactly(batch: ParsedBatch) -> None:
    ident = "US-GOV-1-115-115-A-00-03-00020-11"
    act = batch.frames["activities"].filter(pl.col("iati_identifier") == ident).row(0, named=True)
    assert act == {
        "iati_identifier": ident, "reporting_org_ref": "US-GOV-1",
        "reporting_org_name": "U.S. Agency for International Development",
        "reporting_org_type": "10", "title_en": "KAZ SO 2.11 CITIZEN PARTICIPATION",
        "title_ru": None, "title_other": None,
        "description_en": "Strengthened Democratic Culture among Citizens and Target "
                          "Institutions",
        "description_ru": None, "status": "3", "default_currency": "USD", "default_lang": "en",
        "planned_start": "2012-10-01", "actual_start": "2012-10-01",
        "planned_end": "2014-09-30", "actual_end": "2014-09-30", "hierarchy": "1",
        "last_updated": "2025-03-04T21:36:22.405Z", "iati_version": "2.03",
        "source_file": str(DATA / "usaid" / "usaid-kz.xml"), "line": 2}
    tx = batch.frames["transactions"].filter(pl.col("iati_identifier") == ident)
    assert tx.row(0, named=True) == {
        "iati_identifier": ident, "seq": 0, "type": "3", "date": "2012-12-31",
        "value": -31093.0, "currency": "USD", "value_date": "2012-12-31",
        "provider_ref": None, "provider_name": None, "receiver_ref": None,
        "receiver_name": "Counterpart International", "description": None, "country": "KZ",
        "region": None, "sector_dac": "15150", "sector_other": "2004",
        "sector_other_vocabulary": "99", "flow_type": "10", "finance_type": "110",
        "aid_type": "C01"}
    assert tx["value"].to_list() == [-31093.0, 31093.0]
    parts = batch.frames["participants"].filter(pl.col("iati_identifier") == ident)
    assert parts.select("seq", "role", "ref", "type").rows() == [
        (0, "1", "US-GOV-1", "10"), (1, "2", "US-GOV-1", "10"), (2, "3", "US-GOV-1", "10"),
        (3, "4", None, "22")]  # ref="" in the file: nothing


def test_the_iati_2_01_mcc_file(batch: ParsedBatch) -> None:
    ident = "US-GOV-18-KGZ-2750BXDILD-LEGAL REG-NA"
    act = batch.frames["activities"].filter(pl.col("iati_identifier") == ident)
    assert act.select("iati_version", "status", "hierarchy", "actual_end").row(0) == (
        "2.01", "5", "3", "2012-06-30")
    pick = {kind: batch.frames[kind].filter(pl.col("iati_identifier") == ident).drop(
        "iati_identifier") for kind in ("countries", "sectors", "budgets", "transactions")}
    assert pick["countries"].rows() == [("KG", 100.0)]
    assert pick["sectors"].rows() == [("1", "99810", 100.0), ("99", "9000", 100.0)]
    assert pick["budgets"].rows() == [(0, "2", None, "2006-04-01", "2012-06-30", 0.0, "USD",
                                       "2006-04-01")]
    tx = pick["transactions"]
    assert tx["value"].to_list() == [100000.0, 0.0, -100000.0, 0.0, 0.0, 0.0]
    assert tx.select("provider_ref", "receiver_name", "country", "aid_type").row(0) == (
        "US-GOV-18", "Kyrgyz Republic", None, "C01")
    docs = batch.frames["documents"].filter(pl.col("iati_identifier") == "US-GOV-18-KGZ-2750BXDILD")
    assert docs.select("seq", "format", "category").rows() == [(0, "text/html", "A01"),
                                                                 (1, "text/html", "A06")]


# ---------------------------------------------------------------- hostile and broken copies


def copy_of(tmp_path: Path, text: str, name: str = "doe-kyrgyzstan.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, start: int = 0) -> int:
    return text[: text.index(needle, start)].count("\n") + 1


def nth_activity(text: str, n: int) -> int:
    """Offset of the n-th (1-based) ``<iati-activity `` start tag."""
    return [m.start() for m in re.finditer("<iati-activity ", text)][n - 1]


def parse_one(path: Path, codelists: dict[str, frozenset[str]]) -> ParsedBatch:
    return parse_activities([path], codelists, SCHEMA)


def assert_only_rejected(batch: ParsedBatch, rejected: str) -> None:
    """The other four activities are whole, nothing of the rejected one is left."""
    kept = [i for i in SMALL_IDS if i != rejected]
    assert batch.frames["activities"]["iati_identifier"].to_list() == kept
    for kind, frame in batch.frames.items():
        assert rejected not in frame["iati_identifier"].to_list(), kind
    assert batch.frames["transactions"].height == 9 - 2
    assert batch.activities_rejected == 1


def test_truncated_file(tmp_path: Path, codelists: dict[str, frozenset[str]]) -> None:
    text = SMALL.read_text(encoding="utf-8")
    path = copy_of(tmp_path, text[: len(text) // 2])
    with pytest.raises(InputError) as err:
        parse_one(path, codelists)
    assert type(err.value) is InputError
    assert re.fullmatch(
        rf"{re.escape(str(path))}:{text[: len(text) // 2].count(chr(10)) + 1}: broken XML "
        r"\(Premature end of data in tag \S+ line \d+.*\)\. The file may be truncated or not "
        r"XML at all; fetch it again from its publisher\.", str(err.value))


def test_entity_bomb_is_refused(tmp_path: Path, codelists: dict[str, frozenset[str]]) -> None:
    lols = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE iati-activities [<!ENTITY lol0 "lol">{lols}]>\n'
    text = SMALL.read_text(encoding="utf-8").replace(
        "<narrative>Department of Energy</narrative>", "<narrative>&lol9;</narrative>", 1)
    path = copy_of(tmp_path, bomb + text)
    with pytest.raises(UnsafeXml) as err:
        parse_one(path, codelists)
    assert str(err.value) == f"{path}:2: {UNSAFE}"


def test_external_entity_is_refused(tmp_path: Path, codelists: dict[str, frozenset[str]]) -> None:
    xxe = '<!DOCTYPE iati-activities [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    text = SMALL.read_text(encoding="utf-8").replace(
        "<narrative>Department of Energy</narrative>", "<narrative>&xxe;</narrative>", 1)
    path = copy_of(tmp_path, xxe + text)
    with pytest.raises(UnsafeXml) as err:
        parse_one(path, codelists)
    assert str(err.value) == f"{path}:1: {UNSAFE}"
    with pytest.raises(UnsafeXml):
        validate_schema(path, SCHEMA)


def test_doctype_hidden_beyond_the_head_is_refused(
        tmp_path: Path, codelists: dict[str, frozenset[str]]) -> None:
    # check_safe_xml reads the first 64 KiB; the parsed document is checked again.
    pad = "<!--" + "x" * 70_000 + "-->\n"
    xxe = '<!DOCTYPE iati-activities [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    text = SMALL.read_text(encoding="utf-8").replace(
        "<narrative>Department of Energy</narrative>", "<narrative>&xxe;</narrative>", 1)
    path = copy_of(tmp_path, pad + xxe + text)
    with pytest.raises(UnsafeXml) as err:
        parse_one(path, codelists)
    assert str(err.value) == (f"{path}: the XML declares a DTD (<!DOCTYPE iati-activities>); "
                              "sdgbridge never expands entities or loads external ones. "
                              "Remove the DOCTYPE.")


@pytest.mark.parametrize(("root", "what"), [
    ('<iati-activities xmlns="http://example.org/iati" ',
     "<iati-activities> in namespace http://example.org/iati, but IATI has no namespace"),
    ("<iati-organisations ", "an IATI organisation file, not an activity file"),
    ("<GenericData ", "<GenericData>, not an IATI activity file (<iati-activities>)"),
])
def test_wrong_root_or_namespace(tmp_path: Path, codelists: dict[str, frozenset[str]],
                                 root: str, what: str) -> None:
    text = SMALL.read_text(encoding="utf-8")
    tag = root.split()[0][1:]
    text = text.replace("<iati-activities ", root, 1).replace(
        "</iati-activities>", f"</{tag}>")
    path = copy_of(tmp_path, text)
    with pytest.raises(InputError) as err:
        parse_one(path, codelists)
    assert type(err.value) is InputError
    assert str(err.value) == (f"{path}:1: the root element is {what}. Give IATI 2.0x activity "
                              "files only (fetch them again from the IATI Registry).")


def test_unknown_transaction_type(tmp_path: Path, codelists: dict[str, frozenset[str]]) -> None:
    text = SMALL.read_text(encoding="utf-8")
    start = text.index('<transaction-type code="2"/>', nth_activity(text, 2))
    text = text[:start] + '<transaction-type code="99"/>' + text[start + 28:]
    path = copy_of(tmp_path, text)
    assert validate_schema(path, SCHEMA) == []  # the schema does not know code lists
    batch = parse_one(path, codelists)
    line = line_of(text, 'code="99"')
    assert batch.rejections == [Rejection(str(path), line, "transaction[2]/transaction-type",
                                          "unknown TransactionType code '99'")]
    assert str(batch.rejections[0]) == (f"{path}:{line}: transaction[2]/transaction-type: "
                                        "unknown TransactionType code '99'")
    assert_only_rejected(batch, SMALL_IDS[1])


def test_unknown_country_on_a_transaction(tmp_path: Path,
                                          codelists: dict[str, frozenset[str]]) -> None:
    text = SMALL.read_text(encoding="utf-8")
    start = text.index('<recipient-country code="KG"/>', nth_activity(text, 4))
    text = text[:start] + '<recipient-country code="XK1"/>' + text[start + 30:]
    path = copy_of(tmp_path, text)
    batch = parse_one(path, codelists)
    assert batch.rejections == [Rejection(
        str(path), line_of(text, 'code="XK1"'), "transaction[1]/recipient-country",
        "unknown Country code 'XK1'")]
    assert_only_rejected(batch, SMALL_IDS[3])


def test_missing_required_element(tmp_path: Path, codelists: dict[str, frozenset[str]]) -> None:
    text = SMALL.read_text(encoding="utf-8")
    start = text.index("<transaction-date ", nth_activity(text, 3))
    text = text[:start] + text[text.index("/>", start) + 2:]
    path = copy_of(tmp_path, text)
    # The field is libxml2's path inside the activity: no [1] when the element is single.
    expected = Rejection(
        str(path), line_of(text, "<value", nth_activity(text, 3)), "transaction/value",
        "schema: Element 'value': This element is not expected. Expected is "
        "( transaction-date ).")
    assert validate_schema(path, SCHEMA) == [expected]
    batch = parse_one(path, codelists)
    assert batch.rejections == [expected]
    kept = [i for i in SMALL_IDS if i != SMALL_IDS[2]]
    assert batch.frames["activities"]["iati_identifier"].to_list() == kept
    assert batch.frames["transactions"].height == 9 - 1
    for frame in batch.frames.values():
        assert SMALL_IDS[2] not in frame["iati_identifier"].to_list()


def test_schema_error_outside_the_activities(tmp_path: Path) -> None:
    text = SMALL.read_text(encoding="utf-8").replace(' version="2.03"', "", 1)
    path = copy_of(tmp_path, text)
    with pytest.raises(InputError) as err:
        validate_schema(path, SCHEMA)
    assert str(err.value) == (
        f"{path}:1: not a valid IATI activity file outside its activities (Element "
        "'iati-activities': The attribute 'version' is required but missing.). Fetch it "
        "again from its publisher.")


def test_duplicates_across_files(tmp_path: Path, codelists: dict[str, frozenset[str]]) -> None:
    text = SMALL.read_text(encoding="utf-8")
    first = copy_of(tmp_path, text, "a.xml")
    start = text.index("<value ", nth_activity(text, 5))
    changed = text[:start] + text[start:].replace(">", ' currency="EUR">', 1)
    second = copy_of(tmp_path, changed, "b.xml")
    batch = parse_activities([first, second], codelists, SCHEMA)
    assert (batch.duplicates_identical, batch.duplicates_conflicting) == (4, 1)
    line = line_of(text, SMALL_IDS[4])
    assert batch.rejections == [Rejection(
        str(second), line, "iati-identifier",
        f"duplicate of '{SMALL_IDS[4]}' at {first}:{line - 1}, which differs; "
        "the first one is kept")]
    assert batch.frames["activities"]["source_file"].unique().to_list() == [str(first)]
    assert batch.frames["activities"].height == 5
    assert batch.frames["transactions"]["currency"].unique().to_list() == ["USD"]


def test_the_switch_interval_is_restored_after_an_import_and_after_a_failure(
        codelists: dict[str, frozenset[str]], tmp_path: Path) -> None:
    """The import shortens CPython's thread switch interval while it reads (so the reading
    thread overlaps the extraction) and gives the old one back, also when it fails."""
    before = sys.getswitchinterval()
    parse_activities([SMALL], codelists, SCHEMA)
    assert sys.getswitchinterval() == before
    broken = tmp_path / "broken.xml"
    broken.write_text("<iati-activities version='2.03'><iati-activity>")
    with pytest.raises(InputError):
        parse_activities([broken], codelists, SCHEMA)
    assert sys.getswitchinterval() == before

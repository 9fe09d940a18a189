"""The SDMX-ML reader on specimens of the Kyrgyz (NSC) and Tajik (Tajstat) files (tests/data/sdmx,
taken from the real ones, which one test reads whole), and on broken or hostile copies of them
made in tmp_path. No database, no network."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from sdgbridge.errors import InputError, NoReader, UnsafeXml
from sdgbridge.ingest import registry
from sdgbridge.ingest.model import OBS_COLUMNS, SERIES_COLUMNS, Batch
from sdgbridge.ingest.readers.sdmx import SdmxReader, area, indicator
from tests.helpers import SPECIMENS

# ../shared/data beside the repository, as in tests/conftest.py (missing data fails loudly).
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REAL_KG = DATA / "sdmx" / "kyrgyzstan_nsc"
REAL_TJ = DATA / "sdmx" / "tajikistan_tajstat"
KG = SPECIMENS / "sdmx" / "kyrgyzstan_nsc"
TJ = SPECIMENS / "sdmx" / "tajikistan_tajstat"
KG_DSD = KG / "SDG_DSD.KG_1.8.xml"
OPENSDG_CSV = SPECIMENS / "opensdg" / "kazakhstan" / "data" / "indicator_7-1-1.csv"
# Observation counts per real file, as the data README states them.
COUNTS = {"1.1.1.xml": 175, "3.3.3.xml": 56, "4.1.2.a.xml": 90, "5.5.1.xml": 27,
          "6.1.1.1.xml": 34, "8.5.2.1.xml": 51, "9.c.1.xml": 37, "16.1.1.xml": 315}
# Observation counts per specimen file, as tests/data/README.md states them.
SPECIMEN_COUNTS = {"1.1.1.xml": 30, "4.1.2.a.xml": 6, "5.5.1.xml": 15, "6.1.1.1.xml": 8,
                   "9.c.1.xml": 12, "16.1.1.xml": 29}
TAIL = "The file may be truncated or not XML at all; fetch it again from its publisher."


def read_one(path: Path, **kwargs: object) -> Batch:
    batches = list(SdmxReader(**kwargs).read(path))  # type: ignore[arg-type]
    assert len(batches) == 1
    return batches[0]


def obs(batch: Batch, **where: str) -> dict[str, str | None]:
    """The single observation matching ``where`` (column=value)."""
    rows = batch.observations.filter(**where).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


def specimen(tmp_path: Path, src: Path, edit: Callable[[bytes], bytes], name: str = "") -> Path:
    """A copy of ``src`` in tmp_path, changed by ``edit``."""
    out = tmp_path / (name or src.name)
    out.write_bytes(edit(src.read_bytes()))
    return out


# --- the real files -----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SPECIMEN_COUNTS))
def test_every_kyrgyz_file_reads(name: str) -> None:
    batch = read_one(KG / name)
    df = batch.observations
    assert df.height == SPECIMEN_COUNTS[name]
    assert tuple(df.columns) == OBS_COLUMNS and set(df.dtypes) == {pl.Utf8}
    assert tuple(batch.series.columns) == SERIES_COLUMNS
    assert set(df["publisher"]) == {"KG_NSC"} and set(df["_file"]) == {str(KG / name)}
    assert df["value"].null_count() == 0 and df["series"].null_count() == 0
    assert set(batch.series["national"]) == {True}


def test_tajik_file_reads() -> None:
    batch = read_one(TJ / "TAJSTAT_Data.xml")
    df = batch.observations
    assert df.height == 11 and batch.series.height == 7
    assert set(df["publisher"]) == {"TAJSTAT"}  # its Sender says BIS
    assert set(df["area"]) == {"762"}  # REF_AREA "tj"
    assert batch.areas == []


@pytest.mark.shared_data
def test_folders_read_every_data_message() -> None:
    assert [b.observations.height for b in SdmxReader().read(REAL_KG)] == [
        COUNTS[n] for n in sorted(COUNTS)]
    assert [b.observations.height for b in SdmxReader().read(REAL_TJ)] == [188]


def test_kyrgyz_values_and_attributes() -> None:
    batch = read_one(KG / "1.1.1.xml")
    first = obs(batch, area="417", period="2007")
    assert first["series"] == "SI_POV_DAY1" and first["value"] == "0.13"
    assert first["_line"] == "Series[1]/Obs[1]"
    assert (first["units"], first["unit_mult"], first["nature"], first["obs_status"],
            first["time_detail"]) == ("PT", "0", "C", "A", "2007")
    assert first["attrs"] is None and first["footnote"] is None and first["source"] is None
    # Totals are codes: kept as written, never dropped from the key.
    assert first["dims"] == (
        "activity=_T;age=_T;composite_breakdown=_T;cust_breakdown=_T;disability_status=_T;"
        "education_lev=_T;income_wealth_quantile=_T;occupation=_T;product=_T;sex=_T;"
        "urbanisation=_T")
    region = obs(batch, area="KG02", period="2007")
    assert region["value"] == "0.05" and region["_line"] == "Series[4]/Obs[1]"  # line 78


def test_disaggregated_values() -> None:
    # 16.1.1.xml refers to DSD KG_NSC:SDG(1.7); only 1.8 ships: read with 1.8.
    batch = read_one(KG / "16.1.1.xml")
    female = obs(batch, _line="Series[4]/Obs[1]")
    assert (female["series"], female["area"], female["period"], female["value"]) == (
        "VC_IHR_PSRC", "417", "2014", "3.142772")
    assert ";sex=F;" in female["dims"] and female["units"] == "PER_100000_POP"
    assert batch.observations.filter(series="VC_IHR_PSRC", area="417", period="2014").height == 3


def test_footnote_and_source_attributes() -> None:
    parl = obs(read_one(KG / "5.5.1.xml"), series="SG_GEN_PARL", period="2007")
    assert parl["value"] == "25.6" and parl["footnote"] == "*по данным ЦИК КР"
    mobile = read_one(KG / "9.c.1.xml").observations
    assert set(mobile["source"]) == {"*according to the MDD KR"}


def test_tajik_values_and_quirks() -> None:
    batch = read_one(TJ / "TAJSTAT_Data.xml")
    pov = obs(batch, series="SI_POV_DAY1", period="2015")
    assert (pov["value"], pov["units"], pov["_line"]) == ("4.81", "PERCENT", "40")
    assert (pov["unit_mult"], pov["nature"], pov["obs_status"]) == ("0", "C", "A")
    assert obs(batch, series="NV_IND_MANF", period="2017")["value"] == "10.0"  # not "10"
    assert obs(batch, series="SH_MED_DEN", period="2018")["value"] == "211"  # "211 " upstream
    assert obs(batch, series="SH_PRV_SMOK", period="2017")["units"] is None  # none given
    # The Tajik data use UNSD units its own (global 1.0) DSD lacks: not checked against it.
    assert "units" not in batch.codelists


def test_series_descriptions_and_indicators() -> None:
    series = read_one(KG / "4.1.2.a.xml").series.to_dicts()
    assert series == [{"code": "_L_KG_040101_1B", "publisher": "KG_NSC",
                       "description": "Primary education completion rate",
                       "description_ru": "Уровень завершения начального образования",
                       "national": True, "indicators": "4.1.2"}]
    kg = read_one(KG / "6.1.1.1.xml").series
    assert kg["indicators"].to_list() == ["6.1.1", "6.1.1"]
    tj = read_one(TJ / "TAJSTAT_Data.xml").series
    pov = tj.filter(code="SI_POV_DAY1").to_dicts()[0]
    assert pov["indicators"] == "1.1.1" and pov["description_ru"] is None
    assert pov["description"] == "Proportion of population below international poverty line"
    assert tj.filter(code="SL_TLF_CHD")["indicators"].to_list() == [None]  # not in its DSD


def test_subnational_areas_are_declared() -> None:
    batch = read_one(KG / "1.1.1.xml")
    assert len(batch.areas) == 9
    assert batch.areas[0] == {"code": "KG02", "name_en": "Issyk-Kul",
                              "name_ru": "Иссык-Кульская область", "kind": "subnational",
                              "parent": "417", "source": "KG_NSC:SDG(1.8)"}
    assert set(batch.observations["area"]) == {"417"} | {a["code"] for a in batch.areas}


def test_codelists_come_from_the_dsd() -> None:
    lists = read_one(KG / "16.1.1.xml").codelists
    assert set(lists) == {"activity", "age", "composite_breakdown", "cust_breakdown",
                          "disability_status", "education_lev", "income_wealth_quantile",
                          "occupation", "product", "sex", "urbanisation", "units"}
    assert {"F", "M", "_T"} <= lists["sex"] and "FEMALE" not in lists["sex"]
    assert {"PER_100000_POP", "NUMBER"} <= lists["units"]


def test_files_are_data_plus_dsd() -> None:
    assert SdmxReader().files(KG) == [KG / n for n in sorted(SPECIMEN_COUNTS)] + [KG_DSD]
    assert SdmxReader().files(TJ / "TAJSTAT_Data.xml") == [
        TJ / "TAJSTAT_Data.xml", TJ / "TAJSTAT_DSD.xml"]


def test_helpers() -> None:
    assert [area(c) for c in ("KG", "tj", "KG02", "008", "XX")] == [
        ("417", None), ("762", None), ("KG02", "417"), ("8", None), ("XX", None)]
    assert [indicator(t) for t in ("1.1.1", "4.1.2.a", "3.9.1.1 ", "TAJSTAT_Data")] == [
        "1.1.1", "4.1.2", "3.9.1", None]


# --- selection ----------------------------------------------------------------------------

def test_handles() -> None:
    assert SdmxReader.handles(KG / "1.1.1.xml") and SdmxReader.handles(TJ / "TAJSTAT_Data.xml")
    assert SdmxReader.handles(KG) and SdmxReader.handles(TJ)
    assert not SdmxReader.handles(KG_DSD)  # a structure message, not data
    assert not SdmxReader.handles(DATA / "sdmx" / "sdmx1_test_data")
    assert not SdmxReader.handles(OPENSDG_CSV)


def test_registry_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "readers", lambda: [SdmxReader])
    assert isinstance(registry.get_reader(KG / "1.1.1.xml"), SdmxReader)
    assert isinstance(registry.get_reader(TJ), SdmxReader)
    assert isinstance(registry.get_reader(KG_DSD, fmt="sdmx"), SdmxReader)
    with pytest.raises(NoReader):
        registry.get_reader(OPENSDG_CSV)


# --- finding the DSD ----------------------------------------------------------------------

def test_missing_dsd(tmp_path: Path) -> None:
    path = specimen(tmp_path, KG / "5.5.1.xml", lambda b: b)
    with pytest.raises(InputError) as exc:
        read_one(path)
    assert str(exc.value) == (
        f"{path}: no DSD KG_NSC:SDG(1.8) found in {tmp_path} or {tmp_path.parent}. Put the DSD "
        "file (an SDMX-ML structure message) beside the data, or pass it with --structure.")


def test_dsd_given_and_value_text_kept(tmp_path: Path) -> None:
    path = specimen(tmp_path, KG / "5.5.1.xml",
                    lambda b: b.replace(b'OBS_VALUE="25.6"', b'OBS_VALUE="12.50"', 1))
    batch = read_one(path, structure=KG_DSD)
    assert batch.observations["value"][0] == "12.50"  # sdmx1 gives the text, not a float
    assert SdmxReader(structure=KG_DSD).files(path) == [path, KG_DSD]
    with pytest.raises(InputError) as exc:
        read_one(path, structure=tmp_path / "nope.xml")
    assert str(exc.value) == f"{tmp_path / 'nope.xml'}: no such DSD file; check --structure."


def test_dsd_in_the_folder_above(tmp_path: Path) -> None:
    # The Open SDG layout: the DSD at the repository root, the messages in data/.
    shutil.copy(KG_DSD, tmp_path)
    (tmp_path / "data").mkdir()
    path = specimen(tmp_path / "data", KG / "9.c.1.xml", lambda b: b)
    assert read_one(tmp_path / "data").observations.height == 12
    assert SdmxReader().files(tmp_path / "data") == [path, tmp_path / KG_DSD.name]


def test_unknown_publisher(tmp_path: Path) -> None:
    shutil.copy(TJ / "TAJSTAT_DSD.xml", tmp_path)
    path = specimen(tmp_path, TJ / "TAJSTAT_Data.xml",
                    lambda b: b.replace(b'concept="REF_AREA" value="tj"', b'concept="REF_AREA" '
                                        b'value="DE"'))
    with pytest.raises(InputError) as exc:
        read_one(path)
    assert str(exc.value) == (
        f"{path}: cannot tell which national statistical office publishes this message "
        "(sender 'BIS', areas in ['DE']); sdgbridge knows KAZSTAT, KG_NSC, TAJSTAT. Set the "
        "message's Sender id to one of them.")


# --- broken and hostile files -------------------------------------------------------------

def test_truncated_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = specimen(tmp_path, KG / "5.5.1.xml", lambda b: b"\n".join(b.split(b"\n")[:30]) + b"\n")
    with pytest.raises(InputError) as exc:
        read_one(path, structure=KG_DSD)
    assert str(exc.value) == (
        f"{path}:31: broken XML (Premature end of data in tag Series line 20, line 31, "
        f"column 1). {TAIL}")
    assert capsys.readouterr().out == ""  # sdmx1's parser-stack dump is swallowed


def test_truncated_header(tmp_path: Path) -> None:
    path = specimen(tmp_path, KG / "5.5.1.xml", lambda b: b"\n".join(b.split(b"\n")[:8]) + b"\n")
    with pytest.raises(InputError) as exc:
        read_one(path, structure=KG_DSD)
    assert str(exc.value) == (
        f"{path}:9: broken XML (Premature end of data in tag Sender line 8, line 9, column 1). "
        f"{TAIL}")


def _after_declaration(prolog: bytes) -> Callable[[bytes], bytes]:
    return lambda b: b.replace(b"?>\n", b"?>\n" + prolog, 1)


BOMB = (b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;">]>\n')
XXE = b'<!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
UNSAFE = ("the XML declares a DTD or entities (<!DOCTYPE); sdgbridge never expands entities "
          "or loads external ones. Remove the DOCTYPE from the file, or ask its publisher for "
          "a plain SDMX-ML/IATI file.")


@pytest.mark.parametrize("prolog", [BOMB, XXE], ids=["entity-bomb", "external-entity"])
def test_entities_are_refused(tmp_path: Path, prolog: bytes) -> None:
    path = specimen(tmp_path, KG / "5.5.1.xml", _after_declaration(prolog))
    with pytest.raises(UnsafeXml) as exc:
        read_one(path, structure=KG_DSD)
    assert str(exc.value) == f"{path}:2: {UNSAFE}"


def test_entities_in_a_dsd_are_refused(tmp_path: Path) -> None:
    dsd = specimen(tmp_path, KG / "5.5.1.xml", _after_declaration(XXE), name="DSD.xml")
    dsd.write_bytes(dsd.read_bytes().replace(b"StructureSpecificData", b"Structure"))
    path = specimen(tmp_path, KG / "5.5.1.xml", lambda b: b)
    with pytest.raises(UnsafeXml) as exc:
        read_one(path)
    assert str(exc.value) == f"{dsd}:2: {UNSAFE}"


UTF16 = ("the file is UTF-16 or UTF-32, not UTF-8; sdgbridge reads SDMX-ML in UTF-8 only. "
         "Convert it (e.g. `iconv -f UTF-16 -t UTF-8`) and read the copy.")


@pytest.mark.parametrize("prolog", [b"", BOMB], ids=["plain", "entity-bomb"])
def test_utf16_is_refused(tmp_path: Path, prolog: bytes) -> None:
    # Without an XML declaration, with a BOM; the byte-level entity check cannot see into it.
    def to_utf16(b: bytes) -> bytes:
        return (prolog + b.split(b"\n", 1)[1]).decode().encode("utf-16")
    path = specimen(tmp_path, KG / "5.5.1.xml", to_utf16)
    assert SdmxReader.handles(path)  # claimed, so that the user learns what is wrong
    with pytest.raises(InputError) as exc:
        read_one(path, structure=KG_DSD)
    if b"<!DOCTYPE" in prolog:  # the entity check decodes UTF-16 and refuses it first
        assert type(exc.value) is UnsafeXml and "declares a DTD or entities" in str(exc.value)
    else:
        assert type(exc.value) is InputError and str(exc.value) == f"{path}: {UTF16}"


def test_compact_data_20_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "compact.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<CompactData xmlns="http://www.SDMX.org/'
        'resources/SDMXML/schemas/v2_0/message"><Header><ID>X</ID></Header></CompactData>\n')
    assert SdmxReader.handles(path)
    with pytest.raises(InputError) as exc:
        read_one(path)
    assert str(exc.value) == (
        f"{path}: not an SDMX-ML data message sdgbridge reads (root 'CompactData'); give "
        "SDMX-ML 2.1 or 2.0 GenericData (convert 2.0 CompactData to 2.1 with the SDMX Converter).")


def test_structure_file_given_as_data() -> None:
    with pytest.raises(InputError) as exc:
        read_one(KG_DSD)
    assert str(exc.value).startswith(f"{KG_DSD}: not an SDMX-ML data message sdgbridge reads "
                                     "(root 'Structure')")


def test_a_release_is_named_by_its_office() -> None:
    """Not by its folder: the sending office by the message's agency, or by the file's name
    where the header names another sender (Tajstat's says BIS)."""
    assert SdmxReader().default_source(KG) == (
        "National Statistical Committee of the Kyrgyz Republic, SDMX (kyrgyzstan_nsc)")
    assert SdmxReader().default_source(TJ) == ("Agency on Statistics under the President of "
                                               "the Republic of Tajikistan, SDMX "
                                               "(tajikistan_tajstat)")

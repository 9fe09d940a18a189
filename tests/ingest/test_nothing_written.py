"""Every reader, end to end: broken or hostile copies of specimen files stop the ingest with a
message naming the file, and leave the store exactly as it was."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sdgbridge.errors import IngestRejected, InputError, NoReader, UnsafeXml
from sdgbridge.ingest.load import ingest
from tests.helpers import SPECIMENS, derived_slice, snapshot

KG = SPECIMENS / "sdmx" / "kyrgyzstan_nsc"
KZ = SPECIMENS / "opensdg" / "kazakhstan" / "data"
BOMB = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n')
XXE = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _sdmx(tmp: Path, edit: Callable[[str], str]) -> Path:
    folder = tmp / "kg"
    folder.mkdir()
    shutil.copy(KG / "SDG_DSD.KG_1.8.xml", folder)
    text = (KG / "1.1.1.xml").read_text(encoding="utf-8")
    (folder / "1.1.1.xml").write_text(edit(text), encoding="utf-8")
    return folder


def _after_prolog(text: str) -> str:
    return text.split("?>", 1)[1]


def _opensdg(tmp: Path, edit: Callable[[str], str]) -> Path:
    folder = tmp / "kazakhstan" / "data"
    folder.mkdir(parents=True)
    text = (KZ / "indicator_17-11-1.csv").read_text(encoding="utf-8")
    (folder / "indicator_17-11-1.csv").write_text(edit(text), encoding="utf-8")
    return folder


CASES = {
    "sdmx-entity-bomb": (lambda tmp: _sdmx(tmp, lambda t: BOMB + _after_prolog(t)), UnsafeXml,
                         "the XML declares a DTD or entities (<!DOCTYPE)"),
    "sdmx-external-entity": (lambda tmp: _sdmx(tmp, lambda t: XXE + _after_prolog(t)),
                             UnsafeXml, "the XML declares a DTD or entities (<!DOCTYPE)"),
    "sdmx-truncated": (lambda tmp: _sdmx(tmp, lambda t: t[: len(t) // 2]), InputError,
                       "1.1.1.xml"),
    "opensdg-bad-value": (lambda tmp: _opensdg(tmp, lambda t: t.replace("2020,PT,36.0",
                                                                        "2020,PT,36.0%")),
                          IngestRejected, "indicator_17-11-1.csv:8: value: non-numeric "
                                          "value '36.0%'"),
    "opensdg-ragged": (lambda tmp: _opensdg(tmp, lambda t: t.replace("2020,PT,36.0",
                                                                     "2020,36.0")),
                       IngestRejected, "indicator_17-11-1.csv:8: row: 2 fields where the "
                                       "header has 3"),
    "opensdg-no-value-column": (lambda tmp: _opensdg(tmp, lambda t: t.replace(
        "Year,UNIT_MEASURE,Value", "Year,UNIT_MEASURE,Amount", 1)), NoReader,
        "no reader recognises this input (tried ddf, sdg_api, opensdg, sdmx, sdr, values)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_input_writes_nothing(engine, tmp_path: Path, case: str) -> None:
    make, error, text = CASES[case]
    derived = derived_slice(tmp_path / "base.csv", ("EG_ACS_ELEC",))
    ingest(engine, derived)  # the store holds something that must survive untouched
    before = snapshot(engine)
    with pytest.raises(error) as err:
        ingest(engine, make(tmp_path))
    assert text in str(err.value)
    assert snapshot(engine) == before

"""Reading files ahead in a background thread: results and errors in file order, the cycle
collector restored, the schema error log not shared between threads."""

from __future__ import annotations

import gc
import shutil
import threading
from pathlib import Path

import pytest

from sdgbridge.errors import InputError
from sdgbridge.files import fingerprint
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.files import PREFETCH, _schema, checked_trees
from sdgbridge.projects.iati.parse import parse_activities
from tests.helpers import SHARED

pytestmark = pytest.mark.shared_data  # the real IATI files and schema

IATI = SHARED / "iati"
SCHEMA = IATI / "schema" / "iati-activities-schema.xsd"
DATA = IATI / "activities" / "usg" / "data"
SMALL = sorted((DATA / "dhs").glob("*.xml"))  # 6 files, 20 activities


def test_files_come_back_in_order() -> None:
    assert len(SMALL) > PREFETCH
    got = [(path, tree.getroot().get("version"), invalid, sha256)
           for path, tree, invalid, sha256 in checked_trees(SMALL, SCHEMA)]
    assert [g[0] for g in got] == SMALL
    assert {g[1] for g in got} == {"2.03"} and all(g[2] == {} for g in got)
    _, entries = fingerprint(SMALL)  # the checksums the import records
    assert [g[3] for g in got] == [e["sha256"] for e in entries]


def test_the_first_broken_file_is_the_one_reported(tmp_path: Path) -> None:
    copies = []
    for i, src in enumerate(SMALL):
        dst = tmp_path / f"{i}-{src.name}"
        shutil.copy(src, dst)
        copies.append(dst)
    for broken in (copies[1], copies[4]):  # two broken files: the earlier one is reported
        broken.write_text(broken.read_text(encoding="utf-8")[:500], encoding="utf-8")
    codelists = load_codelists(IATI / "codelists")
    with pytest.raises(InputError, match=rf"^{copies[1]}:\d+: broken XML"):
        parse_activities(copies, codelists, SCHEMA)
    assert gc.isenabled()


def test_collector_state_is_restored() -> None:
    codelists = load_codelists(IATI / "codelists")
    gc.disable()
    try:
        parse_activities(SMALL[:1], codelists, SCHEMA)
        assert not gc.isenabled()  # left off, as the caller had it
    finally:
        gc.enable()
    parse_activities(SMALL[:1], codelists, SCHEMA)
    assert gc.isenabled()


def test_each_thread_has_its_own_schema() -> None:
    here = _schema(SCHEMA.resolve())
    assert _schema(SCHEMA.resolve()) is here
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(_schema(SCHEMA.resolve())))
    thread.start()
    thread.join()
    assert other and other[0] is not here

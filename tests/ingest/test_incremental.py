"""Incremental releases (issue 13, finding 11): a release of a package that differs from the
newest release in a few files reads only those, and leaves exactly the store a whole read
would."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from sdgbridge.db import tables as t
from sdgbridge.db.engine import make_engine
from sdgbridge.errors import IngestRejected
from sdgbridge.ingest.load import ingest
from sdgbridge.ingest.readers.ddf import DdfReader
from sdgbridge.query import ObservationQuery, query_observations
from tests.helpers import SAMPLE_SERIES, datapoint_file, ddf_sample, derived_slice

AREAS = ["1", "4", "398", "417", "762", "795", "860"]


def _edit(file: Path, line: int, value: str) -> None:
    """Set the value (last field) of ``line`` (1 = the first data row) of a CSV."""
    rows = file.read_text(encoding="utf-8").splitlines()
    head, _, _ = rows[line].rpartition(",")
    rows[line] = f"{head},{value}"
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _current(engine: Engine) -> pl.DataFrame:
    """The current observations of the sample's series, in a comparable order."""
    df = query_observations(engine, ObservationQuery(
        series=[s.upper() for s in SAMPLE_SERIES]))
    cols = ["series", "area", "period", "dims", "units", "value", "value_text"]
    return df.select([c for c in cols if c in df.columns]).sort(
        [c for c in cols if c in df.columns], nulls_last=True)


def _whole(package: Path, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
           ) -> pl.DataFrame:
    """What a whole read of ``package`` (after the same earlier releases) leaves: the same
    releases into a new SQLite store, beside the fixture's, with incremental releases off."""
    with monkeypatch.context() as m:
        m.setattr(DdfReader, "incremental", False)
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        for step in sorted((tmp_path / "steps").iterdir()):
            ingest(engine, step)
        ingest(engine, package)
        out = _current(engine)
        engine.dispose()
    return out


@pytest.fixture
def first(engine: Engine, tmp_path: Path) -> Path:
    """The sample package, ingested whole as release 1 (and kept as the first step)."""
    package = ddf_sample(tmp_path / "steps" / "1")
    report = ingest(engine, package)
    assert report.files_read is None and report.release_id == 1
    return package


def _copy(package: Path, to: Path) -> Path:
    shutil.copytree(package, to)
    return to


def test_one_changed_value_reads_one_file_and_leaves_what_a_whole_read_leaves(
        engine: Engine, first: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new = _copy(first, tmp_path / "new")
    _edit(datapoint_file(new, "eg_acs_elec"), 1, "78.9")
    report = ingest(engine, new)
    assert (report.files_read, report.files_total, report.files_base) == (1, 7, 1)
    assert (report.rows_loaded, report.rows_superseded, report.rows_removed) == (1, 1, 0)
    eg = datapoint_file(first, "eg_acs_elec").read_text(encoding="utf-8").count("\n") - 1
    assert report.rows_read == eg and report.series == 1
    assert _current(engine).equals(_whole(new, tmp_path, "whole", monkeypatch))
    with engine.connect() as conn:  # the release still records every file of the package
        files = conn.execute(select(func.count()).where(
            t.release_file.c.release_id == report.release_id)).scalar_one()
    assert files == len(list(new.iterdir()))


def test_a_removed_row_is_removed_as_by_a_whole_read(
        engine: Engine, first: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new = _copy(first, tmp_path / "new")
    file = datapoint_file(new, "sh_h2o_safe")
    rows = file.read_text(encoding="utf-8").splitlines()
    file.write_text("\n".join(rows[:1] + rows[2:]) + "\n", encoding="utf-8")
    report = ingest(engine, new)
    assert (report.files_read, report.rows_removed, report.rows_loaded) == (1, 1, 0)
    assert _current(engine).equals(_whole(new, tmp_path, "whole", monkeypatch))


def test_a_changed_code_list_reads_everything(engine: Engine, first: Path,
                                              tmp_path: Path) -> None:
    new = _copy(first, tmp_path / "new")
    sex = new / "ddf--entities--sex.csv"
    sex.write_text(sex.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # same codes
    report = ingest(engine, new)
    assert report.files_read is None
    assert report.rows_read == sum(  # every datapoints file read again
        datapoint_file(new, s).read_text(encoding="utf-8").count("\n") - 1
        for s in SAMPLE_SERIES)


def test_a_file_gone_changes_nothing_as_a_whole_read(engine: Engine, first: Path,
                                                     tmp_path: Path) -> None:
    new = _copy(first, tmp_path / "new")
    datapoint_file(new, "ag_fls_index").unlink()
    before = _current(engine)
    report = ingest(engine, new)
    # A whole read covers no pair of the series that went: nothing is removed either way.
    assert (report.release_id, report.files_read, report.files_total) == (None, 0, 6)
    assert _current(engine).equals(before)


def test_a_new_file_is_read_alone(engine: Engine, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    package = ddf_sample(tmp_path / "steps" / "1", series=SAMPLE_SERIES[:-1])
    ingest(engine, package)
    new = ddf_sample(tmp_path / "new")  # the same files and one more series
    report = ingest(engine, new)
    assert (report.files_read, report.files_total) == (1, 7)
    assert report.rows_loaded == report.rows_read > 0
    assert _current(engine).equals(_whole(new, tmp_path, "whole", monkeypatch))


def test_after_another_readers_release_it_reads_everything(
        engine: Engine, first: Path, tmp_path: Path) -> None:
    ingest(engine, derived_slice(tmp_path / "slice.csv", ("EG_FEC_RNEW",)))
    new = _copy(first, tmp_path / "new")
    _edit(datapoint_file(new, "eg_acs_elec"), 1, "78.9")
    assert ingest(engine, new).files_read is None


def test_after_a_release_with_rejections_only_a_partial_ingest_is_incremental(
        engine: Engine, tmp_path: Path) -> None:
    package = ddf_sample(tmp_path / "p1")
    _edit(datapoint_file(package, "si_pov_day1"), 1, "not-a-number")
    first = ingest(engine, package, partial=True, rejects_path=tmp_path / "r.csv")
    assert first.rows_rejected == 1
    new = _copy(package, tmp_path / "new")
    _edit(datapoint_file(new, "eg_acs_elec"), 1, "78.9")
    # A whole read would meet the rejected row again: refused unless --partial.
    with pytest.raises(IngestRejected):
        ingest(engine, new)
    again = ingest(engine, new, partial=True, rejects_path=tmp_path / "r2.csv")
    assert again.files_read == 1 and again.rows_loaded == 1


@pytest.mark.parametrize(("name", "scope"), [
    ("ddf--datapoints--si_pov_day1--by--age--geo_area--year.csv", "si_pov_day1"),
    ("ddf--datapoints--si_pov_day1--by--geo_area--sex--year.csv", "si_pov_day1"),
    ("ddf--entities--sex.csv", None), ("ddf--concepts--continuous.csv", None),
    ("datapackage.json", None)])
def test_scope_groups_a_series_files_together(name: str, scope: str | None) -> None:
    assert DdfReader().scope(Path(name)) == scope

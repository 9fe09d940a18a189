"""Releases: supersede without erasing, --as-of, diff, identical re-ingest, kill safety."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from sdgbridge.ingest.load import ingest
from sdgbridge.query import ObservationQuery, diff_releases, query_observations
from sdgbridge.query.observations import release_table
from tests.helpers import derived_slice, snapshot

SERIES = ("EG_ACS_ELEC", "SH_H2O_SAFE", "AG_FLS_INDEX")


@pytest.fixture
def first(tmp_path: Path) -> Path:
    return derived_slice(tmp_path / "v1.csv", SERIES)


def _edit(src: Path, dst: Path) -> Path:
    """v2: one value changed (KAZ electricity 2021), one row dropped, one row added."""
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], rows[1:]
    col = {c: i for i, c in enumerate(head)}
    key = lambda r: (r[col["SeriesCode"]], r[col["GeoAreaCode"]], r[col["TimePeriod"]],  # noqa: E731
                     r[col["Location"]])
    changed = next(r for r in body if key(r) == ("EG_ACS_ELEC", "398", "2021", "ALLAREA"))
    changed[col["Value"]] = "99.5"
    dropped = next(r for r in body if key(r) == ("SH_H2O_SAFE", "417", "2015", "ALLAREA"))
    body.remove(dropped)
    added = list(changed)
    added[col["TimePeriod"]] = "2023"
    body.append(added)
    with dst.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([head, *body])
    return dst


def _value(engine, series: str, area: str, year: int, as_of: int | None = None) -> str | None:
    df = query_observations(engine, ObservationQuery(series=[series], areas=[area],
                                                     year_from=year, year_to=year,
                                                     as_of=as_of,
                                                     dimensions={"location": "ALLAREA"}))
    return df["value_text"].item() if df.height else None


def test_identical_input_changes_nothing(engine, first: Path) -> None:
    r1 = ingest(engine, first)
    before = snapshot(engine)
    r2 = ingest(engine, first)
    assert (r2.release_id, r2.rows_loaded, r2.rows_unchanged) == (None, 0, r1.rows_loaded)
    assert snapshot(engine) == before


def test_newer_release_supersedes_and_keeps_old_values(engine, first: Path,
                                                       tmp_path: Path) -> None:
    r1 = ingest(engine, first)
    r2 = ingest(engine, _edit(first, tmp_path / "v2.csv"))
    assert (r2.rows_loaded, r2.rows_superseded, r2.rows_removed) == (2, 1, 1)
    assert r2.rows_unchanged == r1.rows_loaded - 2
    assert _value(engine, "EG_ACS_ELEC", "398", 2021) == "99.5"
    assert _value(engine, "EG_ACS_ELEC", "398", 2021, as_of=r1.release_id) == "100"
    assert _value(engine, "SH_H2O_SAFE", "417", 2015) is None
    assert _value(engine, "SH_H2O_SAFE", "417", 2015, as_of=r1.release_id) is not None
    diff = diff_releases(engine, r1.release_id, r2.release_id)
    assert sorted(diff.select("change", "series", "area", "period").rows()) == [
        ("added", "EG_ACS_ELEC", "398", "2023"),
        ("changed", "EG_ACS_ELEC", "398", "2021"),
        ("removed", "SH_H2O_SAFE", "417", "2015")]
    releases = release_table(engine)
    assert releases["id"].to_list() == [2, 1]
    assert releases.row(0, named=True)["rows_superseded"] == 1


KILLER = """
import os, signal
from pathlib import Path
from sdgbridge.db.engine import make_engine
from sdgbridge.ingest import load

real = getattr(load, {step!r})
def dying(*args, **kwargs):
    real(*args, **kwargs)   # every row of the release is written inside the transaction ...
    os.kill(os.getpid(), signal.SIGKILL)   # ... and the process dies before the commit
setattr(load, {step!r}, dying)
load.ingest(make_engine({url!r}), Path({path!r}))
"""


def _kill_during(engine, step: str, path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    code = KILLER.format(step=step, url=url, path=str(path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr


def test_kill_during_first_load_leaves_store_empty(engine, tmp_path: Path) -> None:
    before = snapshot(engine)
    big = derived_slice(tmp_path / "more.csv", ("SI_POV_DAY1", "SH_STA_WASTN", *SERIES))
    _kill_during(engine, "insert_observations", big)
    assert snapshot(engine) == before
    assert ingest(engine, big).rows_loaded > 0  # the store is usable afterwards


def test_kill_during_ingest_leaves_store_as_before(engine, first: Path, tmp_path: Path) -> None:
    ingest(engine, first)
    before = snapshot(engine)
    big = derived_slice(tmp_path / "more.csv", ("SI_POV_DAY1", "SH_STA_WASTN", *SERIES))
    _kill_during(engine, "merge_observations", big)
    assert snapshot(engine) == before
    assert ingest(engine, big).rows_loaded > 0  # the store is usable afterwards

"""Small helpers shared by tests: the specimens of ``tests/data`` (see its README) copied to a
temp folder, the paths of the real data in ``../shared/data`` for the real-data tests, and the
output of a command."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from sdgbridge.cli import app
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.iati.parse import parse_activities
from sdgbridge.projects.store import ImportReport, import_batch

ROOT = Path(__file__).resolve().parents[1]
SPECIMENS = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "data"
DDF = SHARED / "sdg" / "unsd_global_ddf_2023-12"
DERIVED = SHARED / "sdg" / "derived" / "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv"
DDF_SPECIMEN = SPECIMENS / "ddf"
SDG_CSV = SPECIMENS / "sdg_csv"
IATI_ACTIVITIES = SPECIMENS / "iati" / "activities"
IATI_CODELISTS = SPECIMENS / "iati" / "codelists"
SAMPLE_SERIES = ("si_pov_day1", "sh_h2o_safe", "eg_acs_elec", "sh_sta_wastn", "se_adt_funs",
                 "en_mat_ftprpc", "ag_fls_index")


def ddf_sample(folder: Path, series: tuple[str, ...] = SAMPLE_SERIES) -> Path:
    """A copy of the DDF specimen: the concepts, the entity files and some series' datapoints."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in DDF_SPECIMEN.glob("ddf--[ce]*.csv"):
        shutil.copy(f, folder)
    shutil.copy(DDF_SPECIMEN / "datapackage.json", folder)
    for s in series:
        for f in DDF_SPECIMEN.glob(f"ddf--datapoints--{s}--by--*.csv"):
            shutil.copy(f, folder)
    return folder


def datapoint_file(folder: Path, series: str) -> Path:
    return next(folder.glob(f"ddf--datapoints--{series}--by--*.csv"))


def derived_slice(path: Path, series: tuple[str, ...]) -> Path:
    """One SDG-API-layout CSV with the rows of some series, by series code as in the derived
    file of ``../shared`` (``tests/data/sdg_csv`` holds a specimen file per series)."""
    with path.open("w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst, lineterminator="\n")
        for i, code in enumerate(sorted(series)):
            with (SDG_CSV / f"{code}.csv").open(encoding="utf-8", newline="") as src:
                reader = csv.reader(src)
                header = next(reader)
                if i == 0:
                    writer.writerow(header)
                writer.writerows(reader)
    return path


def import_specimens(engine: Engine, *names: str) -> ImportReport:
    """Store IATI specimen files (``tests/data/iati/activities``) as ``projects import`` does,
    with the specimen code lists and without the IATI schema, which stays in ``../shared``
    (``tests/test_specimens.py`` checks there that the specimens are valid IATI 2.03)."""
    files = [IATI_ACTIVITIES / name for name in names]
    batch = parse_activities(files, load_codelists(IATI_CODELISTS), None)
    return import_batch(engine, batch, files)


def count(engine: Engine, table: t.Table) -> int:  # type: ignore[name-defined]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def snapshot(engine: Engine) -> dict[str, int]:
    """Row counts of the data tables and of the current observations (to show that nothing
    was written, nor superseded)."""
    counts = {name: count(engine, tbl) for name, tbl in
              (("release", t.release), ("observation", t.observation), ("series", t.series),
               ("dimension_set", t.dimension_set), ("area", t.area))}
    with engine.connect() as conn:
        counts["current"] = conn.execute(select(func.count()).where(
            t.observation.c.superseded_by.is_(None))).scalar_one()
    return counts


def make_obs(points: dict[int, float], series: str = "S", area: str = "398") -> pl.DataFrame:
    """An assessment input frame: one series in one area, {year: value}."""
    return pl.DataFrame({"series": series, "area": area, "year": list(points),
                         "value": [float(v) for v in points.values()]},
                        schema={"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64,
                                "value": pl.Float64})


def make_targets(direction: str, target: float | None, series: str = "S") -> pl.DataFrame:
    """A one-row target table."""
    return pl.DataFrame({"series": [series], "direction": [direction], "target": [target],
                         "source": ["test"]},
                        schema={"series": pl.Utf8, "direction": pl.Utf8, "target": pl.Float64,
                                "source": pl.Utf8})


def cli_output(*args: str) -> str:
    """What ``sdgbridge ARGS`` prints; the command must succeed."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def refused(*args: str) -> str:
    """The message of the error ``sdgbridge ARGS`` stops with (one of sdgbridge's errors)."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code != 0, result.output
    assert result.exception is not None and type(result.exception).__module__.startswith(
        "sdgbridge"), repr(result.exception)
    return str(result.exception)

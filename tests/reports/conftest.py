"""The store the reports' tests share: the real UNSD 2023-12 data of the region for a slice
of series over several goals, with a published UNSD run (as the API reads it)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from sdgbridge.assessment.run import assess
from sdgbridge.assessment.store import save
from sdgbridge.db.engine import make_engine
from sdgbridge.ingest.load import ingest
from tests.roadmaps.test_roadmaps import DERIVED

# Series of goals 1, 3, 6, 7, 9 and 17, each with a numeric target in the shipped table; and a
# raw count of disaster victims (1.5.1), which the goal statuses do not count.
SERIES = ["VC_DSR_MISS", "SI_POV_DAY1", "SH_STA_MORT", "SH_DYN_MORT", "SH_H2O_SAFE",
          "ER_H2O_WUEYST", "EG_ACS_ELEC", "EG_FEC_RNEW", "EG_EGY_PRIM", "NV_IND_MANFPC",
          "IT_USE_ii99"]
GROUP = "CARSDG"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
          ) -> Iterator[Engine]:
    if not DERIVED.exists():
        pytest.skip(f"{DERIVED} is not there (../shared beside the repository)")
    folder = tmp_path_factory.mktemp("profiles")
    shutil.copy(sqlite_template, folder / "store.db")
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    pl.read_csv(DERIVED, infer_schema_length=0).filter(
        pl.col("SeriesCode").is_in(SERIES)).write_csv(folder / "slice.csv")
    ingest(engine, folder / "slice.csv", source="UNSD 2023-12")
    save(engine, assess(engine, "unsd", [GROUP]), publish=True)  # as the API reads it
    yield engine
    engine.dispose()



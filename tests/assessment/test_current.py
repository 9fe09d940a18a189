"""Which assessment is current (one policy for the pages and the API), the results of a
stored run at a level, and the data gaps of the target table's series, on SQLite and
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, update

from sdgbridge.assessment.current import (
    NO_RUN,
    current_assessment,
    current_run,
    current_run_id,
    run_results,
    target_gaps,
)
from sdgbridge.assessment.inputs import load_targets
from sdgbridge.assessment.run import assess, roll_up, series_indicators
from sdgbridge.assessment.store import results, save
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound
from sdgbridge.ingest.load import ingest
from sdgbridge.kept import Keeper
from sdgbridge.query.observations import release_table
from tests.helpers import derived_slice

SERIES = ("EG_ACS_ELEC", "SH_H2O_SAFE", "SI_POV_DAY1")
REGION = ["398", "4", "417", "762", "795", "860"]


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    ingest(engine, derived_slice(tmp_path / "s.csv", SERIES), source="slice")
    return engine


def _release(engine: Engine, tmp_path: Path) -> None:
    ingest(engine, derived_slice(tmp_path / "more.csv", ("SH_STA_ANEM",)), source="more")


def test_the_newest_published_run_covering_the_areas_is_current(store: Engine) -> None:
    assert current_run(store, "unsd") is None
    region = save(store, assess(store, "unsd", ["CARSDG"]), publish=True)
    kaz = save(store, assess(store, "unsd", ["KAZ"]), publish=True)
    assert current_run(store, "unsd") == kaz
    assert current_run(store, "unsd", ["KAZ"]) == kaz
    assert current_run(store, "unsd", ["CARSDG"]) == current_run(store, "unsd", REGION) == region
    assert current_run(store, "unsd", ["KGZ", "398"]) == region
    assert current_run(store, "escap", ["KAZ"]) is None


def test_ad_hoc_runs_are_never_current(store: Engine) -> None:
    region = save(store, assess(store, "unsd", ["CARSDG"]), publish=True)
    first = int(release_table(store)["id"][0])
    save(store, assess(store, "unsd", ["CARSDG"], as_of=first))
    save(store, assess(store, "unsd", ["CARSDG"], series=["SI_POV_DAY1"]))
    save(store, assess(store, "unsd", ["CARSDG"]))  # the whole table, but not published
    assert current_run(store, "unsd", ["CARSDG"]) == region


def test_runs_of_other_parameters_are_not_current(store: Engine) -> None:
    region = save(store, assess(store, "unsd", ["CARSDG"]), publish=True)
    with store.begin() as conn:
        conn.execute(update(t.assessment_run).where(t.assessment_run.c.id == region)
                     .values(params_version="unsd-0.0"))
    assert current_run(store, "unsd", ["CARSDG"]) is None


def test_a_group_run_is_current_for_the_group_only(store: Engine) -> None:
    region = save(store, assess(store, "unsd", ["CARSDG"]), publish=True)
    group = save(store, assess(store, "unsd", [], group="CARSDG"), publish=True)
    assert current_run(store, "unsd", ["CARSDG"]) == group  # the group itself
    assert current_run(store, "unsd", REGION) == region  # its countries
    assert set(run_results(store, group, "series", ["CARSDG"])["area"]) == {"CARSDG"}


def test_a_published_run_stays_current_after_a_new_release(store: Engine, tmp_path: Path
                                                           ) -> None:
    with pytest.raises(NotFound) as none:
        current_run_id(store, "unsd", ["KAZ"])
    assert str(none.value) == NO_RUN
    ad_hoc = save(store, assess(store, "unsd", ["CARSDG"]))
    with pytest.raises(NotFound) as unpublished:
        current_run_id(store, "unsd", ["KAZ"])
    assert str(unpublished.value) == (
        "No published unsd run for KAZ: the stored ones are ad hoc, made with other "
        "parameters or for other areas. Publish one for the region with `sdgbridge assess "
        "--method unsd --publish`.")
    run = save(store, assess(store, "unsd", ["CARSDG"]), publish=True)
    assert run != ad_hoc and current_run_id(store, "unsd", ["KAZ"]) == run
    _release(store, tmp_path)
    assert current_run_id(store, "unsd", ["KAZ"]) == run  # until a newer one is published


def _same(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    cols = ["series", "area", "status", "scale", "latest_year"]
    return a.select(cols).sort("series", "area").equals(b.select(cols).sort("series", "area"))


def test_the_current_assessment_is_read_or_assessed_now(store: Engine, tmp_path: Path
                                                        ) -> None:
    kept = Keeper()
    now = current_assessment(store, "unsd", ["CARSDG"], kept=kept)
    assert now.run_id is None and now.params_version.startswith("unsd")
    assert _same(now.results, assess(store, "unsd", ["CARSDG"]).results)
    assert current_assessment(store, "unsd", ["CARSDG"], kept=kept) is now  # kept
    save(store, assess(store, "unsd", ["CARSDG"], series=["SI_POV_DAY1"]))  # ad hoc
    still = current_assessment(store, "unsd", ["CARSDG"], kept=kept)
    assert still.run_id is None and _same(still.results, now.results)
    run = save(store, assess(store, "unsd", ["CARSDG"]), publish=True)
    stored = current_assessment(store, "unsd", ["CARSDG"], kept=kept)
    assert stored.run_id == run and _same(stored.results, now.results)
    assert stored.releases == (1,) and stored.published_at is not None
    assert stored.rolled("goal").equals(
        roll_up(results(store, run), series_indicators(store), "goal"))
    assert set(stored.rolled("target", "398")["area"]) == {"398"}
    _release(store, tmp_path)
    assert current_assessment(store, "unsd", ["CARSDG"], kept=kept).run_id == run


def test_run_results_at_a_level_for_areas(store: Engine) -> None:
    run = save(store, assess(store, "unsd", ["CARSDG"]))
    goals = run_results(store, run, "goal", ["KAZ", "KGZ"])
    expected = roll_up(results(store, run), series_indicators(store), "goal")
    assert goals.equals(expected.filter(pl.col("area").is_in(["398", "417"])))
    assert run_results(store, run).equals(results(store, run))


def test_target_gaps(store: Engine) -> None:
    gaps = target_gaps(store, ["398", "417"])
    wanted = load_targets()["series"].to_list()
    assert gaps.height == 2 * len(wanted)
    assert set(gaps.filter(pl.col("has_data"))["series"]) == set(SERIES) & set(wanted)

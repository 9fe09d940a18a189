"""What the pages, the API and the fast path keep: every change of what a value depends on
makes a new stamp (the project frames are made again after every kind of change to the
projects), on SQLite and PostgreSQL; the keeper holds at most its number of entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from sdgbridge import knowledge as kb
from sdgbridge.assessment.run import assess
from sdgbridge.assessment.store import save
from sdgbridge.ingest.load import ingest
from sdgbridge.kept import Keeper, projects_stamp, releases_stamp, stamp
from sdgbridge.knowledge.embed import get_embedder
from sdgbridge.projects.editing import archive_project, create_project, update_project
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org, update_org
from sdgbridge.projects.queries import three_w
from tests.helpers import IATI_CODELISTS, derived_slice

UNDP = "XM-DAC-41114"


@pytest.fixture
def cl() -> dict[str, frozenset[str]]:
    return load_codelists(IATI_CODELISTS)


def test_every_change_makes_a_new_stamp(engine: Engine, cl: dict) -> None:
    stamps = [projects_stamp(engine)]
    create_org(engine, name_en="UNDP", type="40", ref=UNDP, codelists=cl)
    stamps.append(projects_stamp(engine))
    ident = create_project(engine, identifier=f"{UNDP}-1", title_en="Water for schools",
                           reporting_org_ref=UNDP, status="2", countries=["KZ"],
                           sectors=["14030"], planned_start="2024-01-01", codelists=cl,
                           origin="test")
    stamps.append(projects_stamp(engine))
    update_project(engine, ident, cl, "test", title_en="Water for rural schools")
    stamps.append(projects_stamp(engine))
    update_org(engine, UNDP, cl, "test", name_en="UN Development Programme")
    stamps.append(projects_stamp(engine))
    archive_project(engine, ident, "test")
    stamps.append(projects_stamp(engine))
    assert len(set(stamps)) == len(stamps)
    assert projects_stamp(engine) == stamps[-1]  # nothing changed: the same stamp


def test_frames_are_kept_until_the_projects_change(engine: Engine, cl: dict) -> None:
    frames, made = Keeper(), []

    def counted(eng: Engine) -> object:
        made.append(1)
        return three_w(eng)

    create_org(engine, name_en="UNDP", type="40", ref=UNDP, codelists=cl)
    first = frames.get(engine, "three_w", counted)
    assert frames.get(engine, "three_w", counted) is first and len(made) == 1
    create_project(engine, identifier=f"{UNDP}-2", title_en="Roads", reporting_org_ref=UNDP,
                   status="2", countries=["KG"], sectors=["21020"],
                   planned_start="2024-01-01", codelists=cl, origin="test")
    second = frames.get(engine, "three_w", counted)
    assert len(made) == 2 and second.equals(three_w(engine))


def test_each_source_has_its_stamp(engine: Engine, tmp_path: Path) -> None:
    before = {s: stamp(engine, s) for s in ("releases", "runs", "documents")}
    ingest(engine, derived_slice(tmp_path / "s.csv", ("SH_H2O_SAFE",)), source="slice")
    assert releases_stamp(engine) == stamp(engine, "releases") != before["releases"]
    assert stamp(engine, "runs") == before["runs"]
    save(engine, assess(engine, "unsd", ["KAZ"]))
    assert stamp(engine, "runs") != before["runs"]
    assert stamp(engine, "documents") == before["documents"]
    kb.add_document(engine, "Water for every village of the district.", title="Water",
                    embedder=get_embedder("hashing"), tag=False)
    assert stamp(engine, "documents") != before["documents"]
    assert stamp(engine) == (*stamp(engine, "releases"), *stamp(engine, "projects"),
                             *stamp(engine, "organisations"), *stamp(engine, "runs"),
                             *stamp(engine, "documents"))


def test_an_organisations_edit_keeps_the_projects_frames(engine: Engine, cl: dict) -> None:
    """The partner registry is a source of its own: an edit of an organisation (a new
    Russian name, a contact) leaves the projects' frames (money, 3W, overlaps) kept; an
    edit of a project does not."""
    create_org(engine, name_en="UNDP", type="40", ref=UNDP, codelists=cl)
    create_project(engine, identifier=f"{UNDP}-3", title_en="Wells", reporting_org_ref=UNDP,
                   status="2", countries=["TJ"], sectors=["14030"],
                   planned_start="2024-01-01", codelists=cl, origin="test")
    projects, orgs = stamp(engine, "projects"), stamp(engine, "organisations")
    update_org(engine, UNDP, cl, "test", name_ru="ПРООН")
    assert stamp(engine, "projects") == projects and stamp(engine, "organisations") != orgs
    assert projects_stamp(engine) != (*projects, *orgs)  # both, for what reads both
    update_project(engine, f"{UNDP}-3", cl, "test", title_en="Wells and pumps")
    assert stamp(engine, "projects") != projects


def test_a_value_is_kept_until_its_sources_change(engine: Engine, tmp_path: Path) -> None:
    kept, made = Keeper(), []

    def count(eng: Engine, name: str) -> int:
        made.append(name)
        return len(made)

    assert kept.get(engine, "n", count, "a", on=("releases",)) == 1
    assert kept.get(engine, "n", count, "a", on=("releases",)) == 1  # kept
    assert kept.get(engine, "n", count, "b", on=("releases",)) == 2  # other parameters
    save(engine, assess(engine, "unsd", ["KAZ"]))  # a run: not what it depends on
    assert kept.get(engine, "n", count, "a", on=("releases",)) == 1
    ingest(engine, derived_slice(tmp_path / "s.csv", ("SH_H2O_SAFE",)), source="slice")
    assert kept.get(engine, "n", count, "a", on=("releases",)) == 3
    assert made == ["a", "b", "a"]


def test_the_keeper_is_bounded(engine: Engine) -> None:
    kept, made = Keeper(entries=3), []

    def square(eng: Engine, n: int) -> int:
        made.append(n)
        return n * n

    for n in range(10):
        assert kept.get(engine, "square", square, n) == n * n
    assert len(kept) == 3 and made == list(range(10))
    assert kept.get(engine, "square", square, 9) == 81 and len(made) == 10  # kept
    kept.get(engine, "square", square, 7)  # now the most recently used
    kept.get(engine, "square", square, 10)  # makes room: 8 goes, the least recently used
    assert len(kept) == 3
    kept.get(engine, "square", square, 7)
    kept.get(engine, "square", square, 8)
    assert made == [*range(10), 10, 8]


def test_a_keeper_of_no_entries_keeps_nothing(engine: Engine) -> None:
    kept, made = Keeper(entries=0), []
    for _ in range(2):
        kept.get(engine, "one", lambda eng: made.append(1))
    assert len(made) == 2 and len(kept) == 0


def test_a_keeper_with_a_budget_keeps_at_most_its_weight() -> None:
    kept = Keeper(entries=100, budget=10, weigh=len)
    for i in range(6):
        kept.keep(i, "x" * 3)  # 3 units each: at most three fit in 10
        assert kept.weight <= 10
    assert len(kept) == 3 and kept.weight == 9
    assert kept.find(2) is None and kept.find(3) == "xxx"  # the oldest went first
    kept.keep(5, "y" * 8)  # replaced: its old weight is given back first
    assert kept.weight == 8 and len(kept) == 1 and kept.find(5) == "y" * 8


def test_a_value_asked_for_at_once_is_made_once(engine: Engine) -> None:
    """Eight requests of a server just started ask for the same frame at once: it is made
    once, the others wait for it (the load run's first seconds: every thread making every
    page's frames took pages to 14 s and past wrk's 10 s timeout, issue 13)."""
    import threading
    import time

    kept, made, answers = Keeper(), [], []

    def slow(engine: Engine, n: int) -> list[int]:
        made.append(n)
        time.sleep(0.3)
        return [n]

    def ask() -> None:
        answers.append(kept.get(engine, "slow", slow, 7, on=("releases",)))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert made == [7] and answers == [[7]] * 8
    assert kept.get(engine, "slow", slow, 8, on=("releases",)) == [8] and made == [7, 8]

"""The project frames the pages and the API keep (flat export, 3W, overlaps, network) are
made again after every kind of change to the projects, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from sdgbridge.projects.editing import archive_project, create_project, update_project
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org, update_org
from sdgbridge.projects.queries import three_w
from sdgbridge.web.deps import KeptFrames, projects_stamp
from tests.helpers import IATI_CODELISTS

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
    frames, made = KeptFrames(), []

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

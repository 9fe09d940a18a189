"""Projects' visibility (issue 14): a project made by hand for partners only, or internal, is
left out of every projects read of someone who may not read it (the list, the project, its
history, 3W, the flat export, overlaps, the partner network) and kept in the frames per class
of reader, never answered to another."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine

from sdgbridge.actors import PUBLIC, Actor, acting_as
from sdgbridge.errors import NotFound, SdgBridgeError
from sdgbridge.kept import Keeper
from sdgbridge.projects.coordination import projects_frame
from sdgbridge.projects.editing import create_project, update_project
from sdgbridge.projects.orgs import create_org
from sdgbridge.projects.overlaps import overlaps
from sdgbridge.projects.queries import project_detail, project_history, project_table, three_w
from sdgbridge.projects.sdg import flat_export

OWN, OTHER = "XM-OWN-1", "XM-OTHER-2"
READER = Actor("reader@x.org", "web", account_id=1, role="reader")


@pytest.fixture
def orgs(engine: Engine, cl: dict) -> dict[str, int]:
    return {ref: create_org(engine, name_en=ref, type="40", ref=ref, codelists=cl)
            for ref in (OWN, OTHER)}


def _project(engine: Engine, cl: dict, ident: str, ref: str, visibility: str) -> None:
    create_project(engine, identifier=ident, title_en=f"Drip irrigation {ident}",
                   reporting_org_ref=ref, status="2", countries=["KG"], sectors=["14030"],
                   planned_start="2025-01-01", codelists=cl, origin="test",
                   visibility=visibility)


def test_who_reads_which_project(engine: Engine, cl: dict, orgs: dict[str, int]) -> None:
    _project(engine, cl, f"{OWN}-PUB", OWN, "public")
    _project(engine, cl, f"{OWN}-PART", OWN, "partners")
    _project(engine, cl, f"{OTHER}-INT", OTHER, "internal")
    editor = Actor("ed@own.org", "web", account_id=2, organisation_id=orgs[OWN],
                   role="partner_editor")
    analyst = Actor("an@centre.org", "web", account_id=3, role="analyst")
    expected = {PUBLIC: {f"{OWN}-PUB"}, READER: {f"{OWN}-PUB", f"{OWN}-PART"},
                editor: {f"{OWN}-PUB", f"{OWN}-PART"},
                analyst: {f"{OWN}-PUB", f"{OWN}-PART", f"{OTHER}-INT"}}
    for actor, ids in expected.items():
        with acting_as(actor):
            assert set(project_table(engine)["iati_identifier"]) == ids, actor.label
            for ident in (f"{OWN}-PUB", f"{OWN}-PART", f"{OTHER}-INT"):
                assert (project_detail(engine, ident) is not None) == (ident in ids)
                if ident not in ids:
                    with pytest.raises(NotFound):
                        project_history(engine, ident)
            flat = flat_export(engine)
            assert set(flat["iati_identifier"]) <= ids
            assert set(overlaps(engine)[["a", "b"]].to_series().to_list()) <= ids
    with acting_as(PUBLIC):
        assert three_w(engine).height == 0  # no transactions at all: nothing to count


def test_frames_are_kept_per_class_of_reader(engine: Engine, cl: dict,
                                             orgs: dict[str, int]) -> None:
    _project(engine, cl, f"{OWN}-PUB", OWN, "public")
    _project(engine, cl, f"{OWN}-PART", OWN, "partners")
    kept = Keeper()
    made: list[str] = []

    def listing(engine: Engine) -> pl.DataFrame:  # a frame of the projects, as 3W is one
        made.append("listing")
        return project_table(engine)

    def ids() -> set[str]:
        return set(projects_frame(engine, listing, kept)["iati_identifier"])

    with acting_as(READER):
        assert ids() == {f"{OWN}-PUB", f"{OWN}-PART"}
        assert ids() == {f"{OWN}-PUB", f"{OWN}-PART"} and len(made) == 1  # kept
    with acting_as(PUBLIC):  # asked after the reader's frame was kept: not that one
        assert ids() == {f"{OWN}-PUB"} and len(made) == 2
    update_project(engine, f"{OWN}-PART", cl, "test", visibility="public")
    with acting_as(PUBLIC):  # made public: the next frame shows it
        assert ids() == {f"{OWN}-PUB", f"{OWN}-PART"}


def test_a_bad_visibility_is_refused(engine: Engine, cl: dict, orgs: dict[str, int]) -> None:
    with pytest.raises(SdgBridgeError, match="visibility 'secret': one of public"):
        _project(engine, cl, f"{OWN}-X", OWN, "secret")
    assert project_table(engine).height == 0

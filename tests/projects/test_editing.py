"""The organisations registry and projects made by hand: validation, history, seeding from
the IATI activities. On SQLite and PostgreSQL (the commands: ``tests/cli/test_projects.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from lxml import etree
from sqlalchemy import Engine, select

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound, SdgBridgeError
from sdgbridge.projects.editing import archive_project, create_project, shares, update_project
from sdgbridge.projects.iati.export import export_activities, stored_batch
from sdgbridge.projects.orgs import (
    archive_org,
    create_org,
    list_orgs,
    org_history,
    seed_from_iati,
    update_org,
)
from sdgbridge.projects.queries import project_history, project_table
from sdgbridge.projects.service import import_files
from sdgbridge.projects.store import content_digests
from tests.helpers import SHARED, count

IATI = SHARED / "iati"
DHS = IATI / "activities" / "usg" / "data" / "dhs"
UNDP = "XM-DAC-41114"


def _undp(engine: Engine, cl: dict, **extra) -> int:
    return create_org(engine, name_en="United Nations Development Programme", type="40",
                      ref=UNDP, un_entity="UNDP", countries=["kz", "KG", "KZ"],
                      codelists=cl, **extra)


def _changes(engine: Engine, record_type: str) -> list[dict]:
    ch = t.record_change.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.record_change).where(ch.record_type == record_type)
                            .order_by(ch.id)).mappings().all()
    return [dict(r) | {"details": json.loads(r["details"])} for r in rows]


# ---------------------------------------------------------------- organisations

def test_org_create_update_archive_with_history(engine: Engine, cl: dict) -> None:
    org_id = _undp(engine, cl, contacts=[{"name": "Ana Li", "email": "ana@undp.org"}])
    row = list_orgs(engine).row(0, named=True)
    assert row | {"id": 0} == {
        "id": 0, "ref": UNDP, "name_en": "United Nations Development Programme",
        "name_ru": None, "type": "40", "un_entity": "UNDP", "countries": "KZ,KG",
        "contacts": '[{"name": "Ana Li", "email": "ana@undp.org"}]', "archived": False}
    diff = update_org(engine, UNDP, cl, "test", name_ru="ПРООН", countries=["KZ", "TJ"],
                      type="40")
    assert diff == {"name_ru": [None, "ПРООН"], "countries": [["KZ", "KG"], ["KZ", "TJ"]]}
    assert update_org(engine, f"org:{org_id}", cl, "test", type="40") == {}  # no change
    assert list_orgs(engine, country="tj")["ref"].to_list() == [UNDP]
    assert list_orgs(engine, country="KG").is_empty()
    assert list_orgs(engine, type="10").is_empty()
    assert archive_org(engine, org_id, "test") is True
    assert archive_org(engine, UNDP, "test") is False
    assert list_orgs(engine).is_empty()
    assert list_orgs(engine, include_archived=True)["archived"].to_list() == [True]
    history = org_history(engine, UNDP)
    assert history["change"].to_list() == ["created", "updated", "archived"]
    assert history["origin"].to_list() == ["library", "test", "test"]
    details = [json.loads(d) for d in history["details"]]
    assert details[0]["countries"] == [None, ["KZ", "KG"]]
    assert details[0]["ref"] == [None, UNDP]
    assert details[1] == {"name_ru": [None, "ПРООН"],
                          "countries": [["KZ", "KG"], ["KZ", "TJ"]]}
    assert details[2] == {"archived": [False, True]}
    assert set(history["record_key"]) == {UNDP}


def test_history_follows_ref_changes(engine: Engine, cl: dict) -> None:
    first = create_org(engine, name_en="Ministry of Health", type="10", codelists=cl)
    update_org(engine, f"org:{first}", cl, "test", ref="KZ-MOH-1")
    update_org(engine, "KZ-MOH-1", cl, "test", ref="KZ-MOH-2")
    # another organisation takes the freed ref: its history is its own
    other = create_org(engine, name_en="Other", type="10", ref="KZ-MOH-1", codelists=cl)
    update_org(engine, other, cl, "test", name_en="Other ministry")
    history = org_history(engine, "KZ-MOH-2")
    assert history["record_key"].to_list() == [f"org:{first}", "KZ-MOH-1", "KZ-MOH-2"]
    assert [json.loads(d).get("ref") for d in history["details"]] == [
        None, [None, "KZ-MOH-1"], ["KZ-MOH-1", "KZ-MOH-2"]]
    assert org_history(engine, "KZ-MOH-1")["change"].to_list() == ["created", "updated"]
    assert org_history(engine, first).height == 3
    update_org(engine, "KZ-MOH-2", cl, "test", ref=None)  # back to org:<id>
    assert org_history(engine, first)["record_key"].to_list()[-1] == f"org:{first}"
    assert org_history(engine, first).height == 4


@pytest.mark.parametrize(("values", "message"), [
    ({"type": "99"}, "type '99' is not an IATI OrganisationType code. Use one of 10, 11, 15, "
     "21, 22, 23, 24, 30, 40, 60, 70, 71, 72, 73, 80, 90."),
    ({"countries": ["KZ", "XX"]}, "country 'XX' is not in the IATI Country code list. Use an "
     "ISO 3166 alpha-2 code, e.g. KZ, KG, TJ."),
    ({"name_en": "  "}, "name_en is empty: give the organisation's English name."),
    ({"un_entity": ""}, "un_entity is empty: give the UN entity's short code (UNDP, UNICEF …), "
     "or leave it out."),
    ({"ref": "US GOV"}, "ref 'US GOV': an IATI organisation identifier has no spaces and does "
     "not look like org:<number> (sdgbridge's name for organisations without a ref)."),
    ({"contacts": [{"email": "nobody"}]}, "contacts[0].email 'nobody' is not an e-mail "
     "address; write it as name@domain.org."),
    ({"contacts": [{"fax": "1"}]}, "contacts[0]: unknown key(s) fax; a contact has name, "
     "email, phone, role."),
])
def test_org_validation_messages(engine: Engine, real_cl: dict, values: dict,
                                 message: str) -> None:
    args = {"name_en": "An NGO", "type": "21", "codelists": real_cl} | values
    with pytest.raises(SdgBridgeError) as err:
        create_org(engine, **args)
    assert str(err.value) == message
    assert count(engine, t.organisation) == count(engine, t.record_change) == 0


def test_duplicate_ref_names_the_holder(engine: Engine, cl: dict) -> None:
    org_id = _undp(engine, cl)
    message = (f"ref '{UNDP}' is already used by organisation org:{org_id} (United Nations "
               "Development Programme). Each ref names one organisation: choose another ref, "
               f"or change that organisation with `sdgbridge orgs update {UNDP}`.")
    with pytest.raises(SdgBridgeError) as err:
        create_org(engine, name_en="Copy", type="40", ref=UNDP, codelists=cl)
    assert str(err.value) == message
    other = create_org(engine, name_en="Other", type="40", codelists=cl)
    with pytest.raises(SdgBridgeError) as err:
        update_org(engine, other, cl, "test", ref=UNDP)
    assert str(err.value) == message
    with pytest.raises(NotFound, match="No organisation 'XM-NOPE'"):
        update_org(engine, "XM-NOPE", cl, "test", name_en="x")
    with pytest.raises(SdgBridgeError, match="Unknown organisation field"):
        update_org(engine, other, cl, "test", colour="red")
    assert count(engine, t.organisation) == 2


def _xml_org_refs() -> dict[str, set[str]]:
    """The reporting and participating organisation refs in the DHS files, with their names."""
    refs: dict[str, set[str]] = {}
    for path in sorted(DHS.glob("*.xml")):
        for el in etree.parse(str(path)).iter("reporting-org", "participating-org"):
            ref = (el.get("ref") or "").strip()
            if ref:
                refs.setdefault(ref, set()).add(el.findtext("narrative"))
    return refs


def test_seed_from_iati_registers_every_ref_once(engine: Engine, settings: Settings,
                                                 cl: dict) -> None:
    import_files(engine, settings, [DHS])
    refs = _xml_org_refs()
    assert len(refs) == 2  # US-GOV-19 (DHS) and "2" (State, as the files write it)
    report = seed_from_iati(engine, cl)
    assert sorted(report.created) == sorted(refs)
    assert (report.existing, report.skipped, report.without_ref) == (0, {}, 1)
    orgs = list_orgs(engine)
    assert orgs.height == len(refs)
    for row in orgs.iter_rows(named=True):
        assert row["name_en"] in refs[row["ref"]] and row["type"] == "10"
    assert orgs.filter(pl.col("ref") == "US-GOV-19")["name_en"].item() == \
        "Department of Homeland Security"
    changes = _changes(engine, "organisation")
    assert {c["origin"] for c in changes} == {"iati"}
    assert {c["record_key"] for c in changes} == set(refs)
    again = seed_from_iati(engine, cl)
    assert (again.created, again.existing) == ([], len(refs))
    archive_org(engine, "2", "test")  # an archived organisation is not registered again
    assert seed_from_iati(engine, cl).created == []
    assert count(engine, t.organisation) == len(refs)
    assert len(_changes(engine, "organisation")) == len(refs) + 1


# ---------------------------------------------------------------- projects made by hand

def _project(engine: Engine, cl: dict, **extra) -> str:
    args = {"identifier": f"{UNDP}-KZ-0042", "title_en": "Water for schools",
            "reporting_org_ref": UNDP, "status": "2", "countries": ["KZ", "kg"],
            "sectors": ["14030", "11220", "12220"], "planned_start": "2024-01-15",
            "planned_end": "2026-12-31", "codelists": cl, "origin": "test"} | extra
    return create_project(engine, **args)


def test_project_create_update_archive(engine: Engine, cl: dict, settings: Settings,
                                       tmp_path: Path) -> None:
    _undp(engine, cl)
    ident = _project(engine, cl, title_ru="Вода для школ")
    stored = stored_batch(engine, [ident])
    act = stored.frames["activities"].row(0, named=True)
    assert (act["source_file"], act["reporting_org_name"], act["reporting_org_type"],
            act["status"], act["planned_start"]) == (
        "manual", "United Nations Development Programme", "40", "2", "2024-01-15")
    countries = stored.frames["countries"].sort("code")
    assert countries.select("code", "percentage").rows() == [("KG", 50.0), ("KZ", 50.0)]
    assert stored.frames["sectors"]["percentage"].sort().to_list() == [33.33, 33.33, 33.34]
    assert stored.frames["sectors"]["vocabulary"].unique().to_list() == ["1"]
    assert stored.frames["participants"].select("role", "ref").rows() == [("2", UNDP)]

    def digest() -> str:
        with engine.connect() as conn:
            return conn.execute(select(t.iati_activity.c.content_sha256)).scalar_one()

    assert digest() == content_digests(stored_batch(engine, [ident]))[ident]
    before = digest()
    diff = update_project(engine, ident, cl, "test", status="3", title_en="Water for all "
                          "schools", planned_end="2026-12-31")
    assert diff == {"status": ["2", "3"],
                    "title_en": ["Water for schools", "Water for all schools"]}
    assert digest() != before
    assert digest() == content_digests(stored_batch(engine, [ident]))[ident]
    assert update_project(engine, ident, cl, "test", status="3") == {}
    assert archive_project(engine, ident, "test") is True
    assert archive_project(engine, ident, "test") is False
    history = project_history(engine, ident)
    assert history["change"].to_list() == ["created", "updated", "archived"]
    created = json.loads(history["details"][0])
    assert created["title_en"] == [None, "Water for schools"]
    assert created["countries"] == [None, ["KZ", "KG"]]
    assert created["source_file"] == [None, "manual"]
    assert json.loads(history["details"][1])["status"] == ["2", "3"]
    assert project_table(engine, "KG").height == 0  # archived: left out of listings
    assert project_table(engine, "KG", include_archived=True)["iati_identifier"].to_list() \
        == [ident]
    out = export_activities(engine, tmp_path / "manual.xml", [ident],
                            schema_path=settings.iati_schema)
    assert out.read_bytes().count(b"<iati-activity ") == 1


@pytest.mark.parametrize(("values", "message"), [
    ({"status": "9"}, "status '9' is not an IATI ActivityStatus code. Use one of 1, 2, 3, 4, "
     "5, 6."),
    ({"countries": ["KZ", "XK9"]}, "country 'XK9' is not in the IATI Country code list. Use "
     "an ISO 3166 alpha-2 code, e.g. KZ, KG, TJ."),
    ({"sectors": ["99999"]}, "sector '99999' is not in the IATI Sector code list. Use a "
     "5-digit DAC purpose code (vocabulary 1), e.g. 12220 basic health care."),
    ({"planned_start": "15/01/2024"}, "planned_start '15/01/2024': write the date as "
     "yyyy-mm-dd (e.g. 2024-03-31)."),
    ({"planned_end": "2024-02-30"}, "planned_end '2024-02-30': write the date as yyyy-mm-dd "
     "(e.g. 2024-03-31)."),
    ({"planned_end": "2023-12-31"}, "planned_end 2023-12-31 is before planned_start "
     "2024-01-15; swap or correct the dates."),
    ({"planned_start": None, "planned_end": None}, "Give planned_start or planned_end "
     "(yyyy-mm-dd): an IATI activity needs at least one activity date."),
    ({"reporting_org_ref": "XM-NOPE"}, "organisation 'XM-NOPE' is not registered. Register it "
     "first (`sdgbridge orgs add --ref XM-NOPE …`, or `sdgbridge orgs seed-from-iati`); "
     "`sdgbridge orgs list` lists them."),
    ({"identifier": "has space"}, "identifier 'has space': an IATI identifier has no spaces; "
     "use hyphens (e.g. XM-DAC-41114-PROJ-0042)."),
    ({"participants": [("7", UNDP)]}, "participant role '7' is not an IATI OrganisationRole "
     "code. Use one of 1, 2, 3, 4."),
])
def test_project_validation_messages(engine: Engine, real_cl: dict, values: dict,
                                     message: str) -> None:
    _undp(engine, real_cl)
    with pytest.raises(SdgBridgeError) as err:
        _project(engine, real_cl, **values)
    assert str(err.value) == message
    assert count(engine, t.iati_activity) == 0


def test_project_identifier_unique_and_imported_ones_not_edited(
        engine: Engine, cl: dict, settings: Settings) -> None:
    import_files(engine, settings, [DHS / "dhs-kazakhstan.xml"])
    imported = project_table(engine)["iati_identifier"].item()
    seed_from_iati(engine, cl)
    with pytest.raises(SdgBridgeError) as err:
        _project(engine, cl, identifier=imported, reporting_org_ref="US-GOV-19")
    assert str(err.value) == (
        f"identifier '{imported}' is already a project (imported from "
        f"{DHS / 'dhs-kazakhstan.xml'}). Choose another identifier, or change it in its IATI "
        "file and import the file again.")
    with pytest.raises(SdgBridgeError, match="was imported from .*change it at its publisher"):
        update_project(engine, imported, cl, "test", status="4")
    with pytest.raises(SdgBridgeError, match="was imported from"):
        archive_project(engine, imported, "test")
    with pytest.raises(NotFound, match="No project 'nope'"):
        update_project(engine, "nope", cl, "test", status="4")
    ident = _project(engine, cl, reporting_org_ref="US-GOV-19", identifier="US-GOV-19-X1")
    with pytest.raises(SdgBridgeError, match=r"already a project \(made by hand\)"):
        _project(engine, cl, reporting_org_ref="US-GOV-19", identifier=ident)
    with pytest.raises(SdgBridgeError, match="Cannot set reporting_org_ref here"):
        update_project(engine, ident, cl, "test", reporting_org_ref=UNDP)
    archive_org(engine, "US-GOV-19", "test")
    with pytest.raises(SdgBridgeError, match="organisation 'US-GOV-19' is archived"):
        _project(engine, cl, reporting_org_ref="US-GOV-19", identifier="US-GOV-19-X2")


def test_shares_sum_to_100() -> None:
    assert shares(0) == [] and shares(1) == [100.0]
    for n in range(1, 30):
        assert round(sum(shares(n)), 6) == 100.0

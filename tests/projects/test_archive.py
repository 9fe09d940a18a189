"""Archived projects and organisations: left out of listings, 3W and the flat export by
default, shown with ``include_archived``; restoring them is recorded in their history.
On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import polars as pl
import pytest
from sqlalchemy import Engine, update

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import SdgBridgeError
from sdgbridge.projects.editing import archive_project, create_project, restore_project
from sdgbridge.projects.orgs import archive_org, create_org, list_orgs, org_history, restore_org
from sdgbridge.projects.queries import project_history, project_table, three_w
from sdgbridge.projects.sdg import flat_export
from sdgbridge.projects.service import import_files
from tests.helpers import SHARED

IATI = SHARED / "iati"
DHS = IATI / "activities" / "usg" / "data" / "dhs"
UNDP = "XM-DAC-41114"


def _archive_directly(engine: Engine, ident: str) -> None:
    """Imported projects are not archived through the library (that is for hand-made ones):
    set the flag as the store would hold it, to see what the readers do with it."""
    with engine.begin() as conn:
        conn.execute(update(t.iati_activity).where(t.iati_activity.c.iati_identifier == ident)
                     .values(archived=True))


def test_readers_leave_archived_projects_out(engine: Engine, settings: Settings) -> None:
    import_files(engine, settings, [DHS])
    everything = project_table(engine)
    gone = everything["iati_identifier"][0]
    w_all, flat_all = three_w(engine), flat_export(engine)
    tx_gone = flat_all.filter(pl.col("iati_identifier") == gone)
    assert tx_gone.height > 0
    _archive_directly(engine, gone)

    listed = project_table(engine)
    assert listed.height == everything.height - 1 and gone not in listed["iati_identifier"]
    both = project_table(engine, include_archived=True)
    assert both.height == everything.height
    assert both.filter(pl.col("archived"))["iati_identifier"].to_list() == [gone]
    flat = flat_export(engine)
    assert gone not in flat["iati_identifier"] and flat.height == flat_all.height - tx_gone.height
    assert flat_export(engine, include_archived=True).equals(flat_all)
    money = pl.col("commitment").sum() + pl.col("disbursement").sum()
    gone_money = tx_gone.filter(pl.col("transaction_type").is_in(["2", "3"]))["value_share"].sum()
    assert three_w(engine).select(money).item() == pytest.approx(
        w_all.select(money).item() - gone_money, rel=1e-12)
    assert three_w(engine, include_archived=True).equals(w_all)


def test_project_restore_is_recorded(engine: Engine, cl: dict) -> None:
    create_org(engine, name_en="UNDP", type="40", ref=UNDP, codelists=cl)
    ident = create_project(engine, identifier=f"{UNDP}-1", title_en="Water for schools",
                           reporting_org_ref=UNDP, status="2", countries=["KZ"],
                           sectors=["14030"], planned_start="2024-01-01", codelists=cl,
                           origin="test")
    assert restore_project(engine, ident, "test") is False  # not archived: nothing written
    assert archive_project(engine, ident, "test") is True
    assert project_table(engine).height == 0
    assert restore_project(engine, ident, "test") is True
    assert project_table(engine)["iati_identifier"].to_list() == [ident]
    history = project_history(engine, ident)
    assert history["change"].to_list() == ["created", "archived", "restored"]
    assert json.loads(history["details"][2]) == {"archived": [True, False]}


def test_org_restore_is_recorded(engine: Engine, cl: dict) -> None:
    create_org(engine, name_en="UNDP", type="40", ref=UNDP, codelists=cl)
    assert restore_org(engine, UNDP, "test") is False
    archive_org(engine, UNDP, "test")
    assert list_orgs(engine).height == 0
    assert restore_org(engine, UNDP, "test") is True
    assert restore_org(engine, UNDP, "test") is False
    assert list_orgs(engine)["ref"].to_list() == [UNDP]
    history = org_history(engine, UNDP)
    assert history["change"].to_list() == ["created", "archived", "restored"]
    # a restored organisation can be used again by hand-made projects
    create_project(engine, identifier=f"{UNDP}-2", title_en="Roads", reporting_org_ref=UNDP,
                   status="2", countries=["KG"], sectors=["21020"], planned_start="2024-01-01",
                   codelists=cl,
                   origin="test")


def test_archived_org_blocks_new_projects_until_restored(engine: Engine, cl: dict) -> None:
    create_org(engine, name_en="UNDP", type="40", ref=UNDP, codelists=cl)
    archive_org(engine, UNDP, "test")
    restore = rf"organisation '{UNDP}' is archived. Restore it first \(`sdgbridge orgs restore"
    with pytest.raises(SdgBridgeError, match=restore):
        create_project(engine, identifier=f"{UNDP}-3", title_en="Roads",
                       reporting_org_ref=UNDP, status="2", countries=["KG"],
                       sectors=["21020"], planned_start="2024-01-01", codelists=cl,
                       origin="test")

"""One project as stored, with its child rows; one organisation as the registry lists it. On
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.errors import NotFound
from sdgbridge.projects.orgs import archive_org, create_org, list_orgs, one_org
from sdgbridge.projects.queries import project_detail, project_table, three_w
from sdgbridge.projects.service import import_files
from sdgbridge.projects.store import CHILDREN
from tests.helpers import SHARED

USDA_KZ = SHARED / "iati" / "activities" / "usg" / "data" / "usda" / "usda-kazakhstan.xml"


def test_project_detail(engine: Engine, settings: Settings) -> None:
    import_files(engine, settings, [USDA_KZ])
    one = project_table(engine)["iati_identifier"][0]
    detail = project_detail(engine, one)
    assert detail is not None and set(detail) == {"project", "children"}
    assert detail["project"]["iati_identifier"] == one
    assert detail["project"]["source_file"].endswith("usda-kazakhstan.xml")
    assert set(detail["children"]) == set(CHILDREN)
    countries = detail["children"]["countries"]
    transactions = detail["children"]["transactions"]
    assert {c["code"] for c in countries} | {t["country"] for t in transactions} >= {"KZ"}
    assert all("iati_identifier" not in row for rows in detail["children"].values()
               for row in rows)
    assert project_detail(engine, "XM-NONE-1") is None


def test_one_org_by_ref_or_id(engine: Engine, cl: dict[str, frozenset[str]]) -> None:
    org_id = create_org(engine, name_en="UNICEF", type="40", ref="XM-DAC-41122", codelists=cl)
    listed = list_orgs(engine)
    assert one_org(engine, "XM-DAC-41122").equals(listed)
    assert one_org(engine, f"org:{org_id}").equals(listed)
    archive_org(engine, org_id)
    assert one_org(engine, org_id)["archived"].to_list() == [True]
    with pytest.raises(NotFound, match="No organisation 'XM-NONE'"):
        one_org(engine, "XM-NONE")


def test_three_w_rows_come_in_the_order_of_their_keys(engine: Engine, settings: Settings
                                                      ) -> None:
    # The Department of Defense publishes under one reference with several names (Army, …):
    # rows equal in the first keys, whose order was left to chance.
    import_files(engine, settings, sorted((SHARED / "iati" / "activities" / "usg" / "data" /
                                           "dod").glob("*.xml")))
    keys = ["reporting_org_ref", "country", "sector_dac", "year", "reporting_org_name",
            "currency"]
    w = three_w(engine)
    assert w.select(keys[:4]).is_duplicated().any() and w.select(keys).is_unique().all()
    assert w.equals(w.sort(keys, nulls_last=True))


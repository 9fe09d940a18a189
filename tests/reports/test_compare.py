"""Countries side by side (issue 18) on the real UNSD 2023-12 data: each value with its year
as the store holds it, each status the method's for that series and country, the gaps by
indicator and country, and the page in English and Russian."""

from __future__ import annotations

import polars as pl
import pytest
from fastapi.testclient import TestClient
from lxml import html
from sqlalchemy import Engine

from sdgbridge.assessment.current import current_assessment
from sdgbridge.config import Settings
from sdgbridge.errors import InputError
from sdgbridge.reports.compare import compare
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS

KAZ, KGZ, MNG = "398", "417", "496"


def test_the_comparison_of_three_countries_on_goal_7(store: Engine) -> None:
    found = compare(store, [KAZ, KGZ, MNG], goals=["7"])
    series = [r["series"] for r in found.rows]
    assert series == ["EG_ACS_ELEC", "EG_FEC_RNEW", "EG_EGY_PRIM"]  # the framework's order
    renewables = found.rows[1]["cells"]
    assert (renewables[KGZ]["value"], renewables[KGZ]["year"]) == (30.04, 2020)
    assert renewables[MNG] == {"value": None, "year": None,
                               "status": {m: None for m in ("unsd", "escap", "sdsn",
                                                            "opensdg")}}
    unsd = current_assessment(store, "unsd", [KAZ, KGZ]).results
    expected = unsd.filter(pl.col("series") == "EG_FEC_RNEW", pl.col("area") == KGZ)
    assert renewables[KGZ]["status"]["unsd"] == expected["scale"][0]
    # Mongolia is outside the slice: every indicator of goal 7 in scope has no data for it
    assert {g["indicator"] for g in found.gaps if MNG in g["areas"]} >= {"7.1.1", "7.2.1",
                                                                         "7.3.1"}
    assert sum(found.counts["unsd"][KGZ].values()) == 3
    with pytest.raises(InputError, match="Choose a goal"):
        compare(store, [KAZ])


def test_the_compare_page(store: Engine) -> None:
    client = TestClient(create_app(Settings(database_url="sqlite:///unused.db",
                                            iati_codelists=IATI_CODELISTS,
                                            page_cache_entries=0), engine=store))
    form = client.get("/compare?lang=en")
    assert form.status_code == 200 and "Compare countries" in form.text
    page = client.get("/compare?area=KAZ&area=KGZ&other=MNG&goal=7&lang=ru")
    assert page.status_code == 200
    doc = html.fromstring(page.text)
    heads = [h.text_content() for h in doc.xpath("//table[@class='compare']//thead//th")]
    assert heads[1:] == ["Казахстан", "Кыргызстан", "Монголия"]
    rows = doc.xpath("//table[@class='compare']/tbody/tr")
    kgz = rows[1].xpath("td")[1].text_content()
    assert kgz.startswith("30.04") and "2020" in kgz and "U" in kgz
    assert "нет данных для Монголия" in page.text or "Монголия" in doc.xpath(
        "//section[@aria-labelledby='gaps-h']")[0].text_content()
    assert len(doc.xpath("//section[@aria-labelledby='charts-h']//figure")) == 3
    assert client.get("/compare?area=KAZ&other=XXX&goal=7").status_code == 404

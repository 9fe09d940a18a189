"""Roadmaps over the API (issue 17): the example roadmap, its KPI lights from the real data,
a review recorded with an analyst's key (refused without a key or for a reader), the
reviews with their report lights, one review's frozen evidence, and a comparison."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.accounts import keys, users
from sdgbridge.config import Settings
from sdgbridge.roadmaps import EXAMPLE
from sdgbridge.roadmaps.service import import_roadmap
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS
from tests.roadmaps.test_roadmaps import example_data

REVIEW = {"cycle": "2026", "items": [
    {"commitment": "renewables", "status": "on_track", "comment": "Auctions held",
     "links": ["https://example.org/auctions"]},
    {"commitment": "water-efficiency", "status": "delayed"}]}


def test_roadmaps_through_the_api(sqlite_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_engine
    org = example_data(engine, tmp_path)
    import_roadmap(engine, EXAMPLE)
    tokens = {}
    for email, role in (("analyst@centre.org", "analyst"), ("reader@x.org", "reader")):
        users.create_account(engine, email, email.split("@")[0])
        users.set_membership(engine, email, org, role)
        tokens[role] = keys.create_key(engine, email, "t", ["read", "write"], org).secret
    client = TestClient(create_app(Settings(database_url="sqlite:///unused.db",
                                            iati_codelists=IATI_CODELISTS,
                                            page_cache_entries=0), engine=engine))
    listed = client.get("/api/v1/roadmaps").json()
    assert [r["key"] for r in listed["rows"]] == ["ca-eu-example"]
    detail = client.get("/api/v1/roadmaps/ca-eu-example").json()["roadmap"]
    assert len(detail["areas"]) == 7 and detail["example"] is True
    lights = client.get("/api/v1/roadmaps/ca-eu-example/kpis?method=unsd").json()["rows"]
    kgz = next(r for r in lights if r["kpi"] == "renewable-share" and r["country"] == "KGZ")
    assert (kgz["light"], kgz["latest_value"]) == ("green", 30.04)
    assert client.get("/api/v1/roadmaps/nope").status_code == 404
    url = "/api/v1/roadmaps/ca-eu-example/reviews"
    assert client.post(url, json=REVIEW).status_code == 401
    reader = {"Authorization": f"Bearer {tokens['reader']}"}
    assert client.post(url, json=REVIEW, headers=reader).status_code == 403
    analyst = {"Authorization": f"Bearer {tokens['analyst']}"}
    bad = client.post(url, json={**REVIEW, "items": [{"commitment": "nonsense",
                                                      "status": "done"}]}, headers=analyst)
    assert bad.status_code == 400 and "no commitment nonsense" in bad.json()["error"]
    first = client.post(url, json=REVIEW, headers=analyst)
    assert first.status_code == 201, first.text
    second = client.post(url, json={**REVIEW, "cycle": "2027", "items": [
        {"commitment": "renewables", "status": "at_risk"}]}, headers=analyst)
    ids = [int(first.json()["key"]), int(second.json()["key"])]
    listed = client.get(url).json()
    assert [r["id"] for r in listed["rows"]] == ids[::-1]
    reports = {r["commitment"]: r["light"] for r in listed["reports"]}
    assert reports["renewables"] == "green"
    review = client.get(f"/api/v1/roadmaps/reviews/{ids[0]}").json()["review"]
    assert review["items"][0]["evidence"]["links"] == ["https://example.org/auctions"]
    assert any(k["country"] == "KGZ" for k in review["items"][0]["kpis"])
    changes = client.get(f"/api/v1/roadmaps/reviews/{ids[0]}/compare/{ids[1]}").json()["rows"]
    renewables = next(r for r in changes if r["commitment"] == "renewables")
    assert (renewables["before"], renewables["after"], renewables["changed"]) == (
        "on_track", "at_risk", True)
    # one commitment: its definition, its KPI lights with the change column, its reviews
    one = client.get("/api/v1/roadmaps/ca-eu-example/commitments/renewables").json()
    assert one["commitment"]["area"]["key"] == "energy"
    assert one["commitment"]["roadmap"]["key"] == "ca-eu-example"
    assert {k["kpi"] for k in one["kpis"]} == {"renewable-share"}
    assert all(k["changed_with"] is None for k in one["kpis"])  # one release only
    assert [r["status"] for r in one["reviews"]] == ["at_risk", "on_track"]  # newest first
    assert client.get("/api/v1/roadmaps/ca-eu-example/commitments/nope").status_code == 404
    changed = client.get("/api/v1/roadmaps/ca-eu-example/kpis?changes=true").json()["rows"]
    assert {"previous_light", "changed_with"} <= set(changed[0])
    # the export: CSV that imports again, or Excel
    csv = client.get("/api/v1/roadmaps/ca-eu-example/export")
    assert csv.status_code == 200 and csv.text.startswith("roadmap_key,")
    assert "at_risk" in csv.text  # the latest review's status of renewables
    assert 'filename="ca-eu-example.csv"' in csv.headers["content-disposition"]
    xlsx = client.get("/api/v1/roadmaps/ca-eu-example/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/api/v1/roadmaps/ca-eu-example/export?format=pdf").status_code == 422

"""Projects, organisations and coordination over the API: reads equal the library's frames;
writes with the token go through the library (origin "api") and bad input writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.ingest.load import ingest
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import list_orgs, seed_from_iati
from sdgbridge.projects.overlaps import partner_network
from sdgbridge.projects.queries import project_table
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS, derived_slice, import_specimens

TOKEN = "p4Rk-8sWq_2NvLx7Tz5YcM9bHd3FgJe6"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SLASHED = "US-GOV-2-FFE-116-2012/027"  # an identifier with a slash
ORG = {"name_en": "Aral Sea basin programme", "type": "40", "ref": "XM-TEST-0001",
       "countries": ["kz", "UZ"], "contacts": [{"name": "A. Person", "email": "a@x.org"}]}
PROJECT = {"identifier": "XM-TEST-0001-P1", "title_en": "Water for Aral villages",
           "reporting_org_ref": "XM-TEST-0001", "status": "2", "countries": ["KZ"],
           "sectors": ["14030"], "planned_start": "2024-01-01", "planned_end": "2026-12-31"}


@pytest.fixture
def client(engine: Engine, tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(database_url="sqlite:///unused.db", api_token=TOKEN,
                        iati_codelists=IATI_CODELISTS)
    ingest(engine, derived_slice(tmp_path / "s.csv", ("EG_ACS_ELEC", "SH_H2O_SAFE")),
           source="slice")
    import_specimens(engine, "usda-kazakhstan.xml")
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c


def _ok(response, status: int = 200) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is True
    return body


def test_project_reads(client: TestClient, engine: Engine) -> None:
    listed = _ok(client.get("/api/v1/projects"))
    assert [p["iati_identifier"] for p in listed["rows"]] == \
        project_table(engine)["iati_identifier"].to_list()
    one = listed["rows"][0]["iati_identifier"]
    shown = _ok(client.get(f"/api/v1/projects/{one}"))
    assert shown["project"]["iati_identifier"] == one
    assert shown["project"]["source_file"].endswith("usda-kazakhstan.xml")
    assert {c["code"] for c in shown["children"]["countries"]} | {
        t["country"] for t in shown["children"]["transactions"]} >= {"KZ"}
    assert shown["history"] == _ok(client.get(f"/api/v1/projects/{one}/history"))["rows"]
    missing = client.get(f"/api/v1/projects/{SLASHED}")
    assert missing.status_code == 404
    assert missing.json()["error"] == (f"No project {SLASHED!r}. GET /api/v1/projects lists "
                                       "them.")
    assert client.get(f"/api/v1/projects/{SLASHED}/history").json()["error"] == (
        f"No project {SLASHED!r}. `sdgbridge projects list` lists them.")


def test_coordination_reads(client: TestClient, engine: Engine) -> None:
    network = _ok(client.get("/api/v1/projects/network"))
    assert network["total"] == partner_network(engine).height > 0
    vs = _ok(client.get("/api/v1/projects/vs-progress?areas=KAZ"))
    assert vs["total"] > 0 and {r["area"] for r in vs["rows"]} == {"398"}
    flagged = _ok(client.get("/api/v1/projects/vs-progress?areas=KAZ&only_flagged=true"))
    assert all(r["flag"] for r in flagged["rows"])
    assert _ok(client.get("/api/v1/projects/overlaps?min_similarity=1"))["total"] >= 0
    assert client.get("/api/v1/projects/overlaps?min_similarity=2").status_code == 422


def test_organisation_lifecycle(client: TestClient, engine: Engine) -> None:
    created = _ok(client.post("/api/v1/organisations", json=ORG, headers=AUTH), 201)
    assert created == {"ok": True, "key": "XM-TEST-0001"}
    shown = _ok(client.get("/api/v1/organisations/XM-TEST-0001"))
    org = shown["organisation"]
    assert (org["name_en"], org["countries"], org["archived"]) == (
        "Aral Sea basin programme", "KZ,UZ", False)
    changed = _ok(client.patch("/api/v1/organisations/XM-TEST-0001", headers=AUTH,
                               json={"name_ru": "Программа бассейна Аральского моря",
                                     "countries": ["KZ"]}))
    assert changed["changes"] == {"name_ru": [None, "Программа бассейна Аральского моря"],
                                  "countries": [["KZ", "UZ"], ["KZ"]]}
    again = _ok(client.patch("/api/v1/organisations/XM-TEST-0001", headers=AUTH,
                             json={"countries": ["KZ"]}))
    assert again["changes"] == {}
    assert _ok(client.post(f"/api/v1/organisations/org:{org['id']}/archive",
                           headers=AUTH))["archived"] is True
    assert _ok(client.post("/api/v1/organisations/XM-TEST-0001/archive",
                           headers=AUTH))["archived"] is False
    history = _ok(client.get("/api/v1/organisations/XM-TEST-0001/history",
                             headers=AUTH))["rows"]
    assert [(h["change"], h["origin"]) for h in history] == [
        ("created", "api"), ("updated", "api"), ("archived", "api")]
    assert _ok(client.get("/api/v1/organisations"))["total"] == 0
    assert _ok(client.get("/api/v1/organisations?archived=true", headers=AUTH))["total"] == 1


@pytest.mark.parametrize(("body", "status", "message"), [
    ({**ORG, "type": "99"}, 400, "type '99' is not an IATI OrganisationType code. Use one of"),
    ({**ORG, "countries": ["XX"]}, 400, "country 'XX' is not in the IATI Country code list."),
    ({**ORG, "contacts": [{"email": "nobody"}]}, 400,
     "contacts[0].email 'nobody' is not an e-mail address"),
    ({**ORG, "colour": "red"}, 422, "colour: Extra inputs are not permitted"),
    ({"type": "40"}, 422, "name_en: Field required"),
])
def test_bad_organisation_writes_nothing(client: TestClient, engine: Engine, body: dict,
                                         status: int, message: str) -> None:
    r = client.post("/api/v1/organisations", json=body, headers=AUTH)
    assert r.status_code == status
    assert r.json()["error"].startswith(message)
    assert list_orgs(engine, include_archived=True).height == 0


def test_project_lifecycle(client: TestClient, engine: Engine) -> None:
    _ok(client.post("/api/v1/organisations", json=ORG, headers=AUTH), 201)
    slashed = {**PROJECT, "identifier": "XM-TEST-0001-P1/2024"}
    assert _ok(client.post("/api/v1/projects", json=slashed, headers=AUTH), 201) == {
        "ok": True, "key": "XM-TEST-0001-P1/2024"}
    url = "/api/v1/projects/XM-TEST-0001-P1/2024"
    shown = _ok(client.get(url))
    assert (shown["project"]["title_en"], shown["project"]["source_file"]) == (
        "Water for Aral villages", "manual")
    assert [s["code"] for s in shown["children"]["sectors"]] == ["14030"]
    changed = _ok(client.patch(url, headers=AUTH, json={"status": "3", "title_ru": None}))
    assert changed["changes"] == {"status": ["2", "3"]}
    bad = client.patch(url, headers=AUTH, json={"planned_end": "2023-01-01"})
    assert bad.status_code == 400
    assert bad.json()["error"] == ("planned_end 2023-01-01 is before planned_start 2024-01-01; "
                                   "swap or correct the dates.")
    assert _ok(client.post(f"{url}/archive", headers=AUTH))["archived"] is True
    history = _ok(client.get(f"{url}/history"))["rows"]
    assert [(h["change"], h["origin"]) for h in history] == [
        ("created", "api"), ("updated", "api"), ("archived", "api")]
    imported = project_table(engine, "KZ")["iati_identifier"][0]
    refused = client.patch(f"/api/v1/projects/{imported}", headers=AUTH, json={"status": "4"})
    assert refused.status_code == 400
    assert "change it at its publisher and import it again" in refused.json()["error"]


def test_project_needs_a_registered_organisation(client: TestClient, engine: Engine) -> None:
    r = client.post("/api/v1/projects", json=PROJECT, headers=AUTH)
    assert r.status_code == 400
    assert r.json()["error"].startswith("organisation 'XM-TEST-0001' is not registered.")
    assert "XM-TEST-0001-P1" not in project_table(engine)["iati_identifier"].to_list()


def test_seeded_organisations_are_listed(client: TestClient, engine: Engine) -> None:
    seed_from_iati(engine, load_codelists(IATI_CODELISTS))
    listed = _ok(client.get("/api/v1/organisations"))
    assert [o["ref"] for o in listed["rows"]] == list_orgs(engine)["ref"].to_list()
    assert listed["total"] > 0

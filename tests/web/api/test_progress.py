"""The SDG framework, the dashboard summary, assessments and data gaps over the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge import summary as summ
from sdgbridge.assessment.run import assess, roll_up, series_indicators
from sdgbridge.assessment.store import results, save
from sdgbridge.config import Settings
from sdgbridge.ingest.load import ingest
from sdgbridge.web.app import create_app
from tests.helpers import derived_slice

SERIES = ("EG_ACS_ELEC", "SH_H2O_SAFE", "SI_POV_DAY1")


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    ingest(engine, derived_slice(tmp_path / "s.csv", SERIES), source="slice")
    with TestClient(create_app(Settings(database_url="sqlite:///unused.db"), engine)) as c:
        yield c


def _rows(client: TestClient, url: str) -> list[dict]:
    r = client.get(url)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["total"] == len(body["rows"])
    return body["rows"]


def test_framework_in_two_languages(client: TestClient) -> None:
    goals = _rows(client, "/api/v1/goals?lang=ru")
    assert [g["code"] for g in goals] == [str(n) for n in range(1, 18)]
    assert goals[5]["short"] == "Чистая вода и санитария"
    targets = _rows(client, "/api/v1/targets?goal=6")
    assert [t["code"] for t in targets] == ["6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.a",
                                            "6.b"]
    assert targets[0]["title"].startswith("By 2030, achieve universal and equitable access")
    inds = _rows(client, "/api/v1/indicators?goal=6&lang=ru")
    assert inds[0]["code"] == "6.1.1" and inds[0]["title"].startswith("Доля населения")


@pytest.mark.parametrize(("url", "status", "error"), [
    ("/api/v1/indicators?lang=xx", 400, "No SDG titles in language 'xx'; the store has de, "
     "en, kk, ky, ru, tg, tk, uk."),
    ("/api/v1/targets?goal=18", 404, "No goal '18': goals are numbered 1 to 17."),
    ("/api/v1/goals?lang=russian", 422, "lang: String should match pattern '^[a-z]{2}$'"),
])
def test_framework_errors(client: TestClient, url: str, status: int, error: str) -> None:
    r = client.get(url)
    assert (r.status_code, r.json()["error"]) == (status, error)


def test_summary_equals_the_library(client: TestClient, engine: Engine) -> None:
    body = client.get("/api/v1/summary").json()
    areas = ["398", "4", "417", "762", "795", "860"]
    s = summ.store_summary(engine, areas)
    assert (body["group"], sorted(body["areas"]), body["observations"], body["series"],
            body["area_count"], body["releases"]) == (
        "CARSDG", sorted(areas), s.observations, s.series, s.areas, 1)
    assert body["headline"] == summ.headline_latest(engine, "CARSDG").to_dicts()
    kaz = client.get("/api/v1/summary?group=KAZ").json()
    assert kaz["areas"] == ["398"] and kaz["observations"] < s.observations
    assert client.get("/api/v1/summary?group=NOWHERE").status_code == 404


def test_assessment_runs_levels_and_areas(client: TestClient, engine: Engine) -> None:
    unsd = save(engine, assess(engine, "unsd", ["CARSDG"]))
    escap = save(engine, assess(engine, "escap", ["CARSDG"]), publish=True)
    assert [r["id"] for r in _rows(client, "/api/v1/assessments")] == [escap, unsd]
    assert [r["id"] for r in _rows(client, "/api/v1/assessments?method=unsd")] == [unsd]
    goal = _rows(client, f"/api/v1/assessments/{unsd}?level=goal&areas=KAZ,KGZ")
    expected = roll_up(results(engine, unsd), series_indicators(engine), "goal")
    expected = expected.filter(expected["area"].is_in(["398", "417"]))
    assert goal == expected.to_dicts()
    latest = _rows(client, "/api/v1/assessments/latest?method=escap&areas=TJK")
    assert {r["area"] for r in latest} == {"762"}
    assert len(latest) == results(engine, escap).filter(
        results(engine, escap)["area"] == "762").height
    assert client.get("/api/v1/assessments/latest?method=sdsn").json()["error"] == (
        "No assessment has been run yet. Run `sdgbridge assess` first.")
    assert client.get("/api/v1/assessments/latest?method=unsd").json()["error"] == (
        "No published unsd run: the stored ones are ad hoc, made with other parameters or for "
        "other areas. Publish one for the region with `sdgbridge assess --method unsd "
        "--publish`.")
    listed = {r["id"]: r["published_at"] for r in _rows(client, "/api/v1/assessments")}
    assert listed[unsd] is None and listed[escap] is not None
    assert client.get("/api/v1/assessments/0").status_code == 422


def test_gaps(client: TestClient) -> None:
    series = _rows(client, "/api/v1/gaps?level=series&areas=KAZ")
    have = {r["series"] for r in series if r["has_data"]}
    assert have == set(SERIES) & {r["series"] for r in series}
    goals = _rows(client, "/api/v1/gaps?areas=KAZ,KGZ")
    assert {g["area"] for g in goals} == {"398", "417"}
    assert all(0 <= g["share_with_data"] <= 1 for g in goals)
    assert {g["goal"] for g in goals if g["n_with_data"]} == {"1", "6", "7"}

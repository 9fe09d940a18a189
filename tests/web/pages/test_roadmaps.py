"""Roadmap pages (issue 17): the list, the report page with each KPI's light per country
from the real data (in English and Russian, the lights in words), and a review page with
its frozen evidence and what changed since the review before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.roadmaps import EXAMPLE
from sdgbridge.roadmaps.reviews import ReviewRow, record_review
from sdgbridge.roadmaps.service import import_roadmap
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS
from tests.roadmaps.test_roadmaps import example_data


def test_the_roadmap_pages(sqlite_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_engine
    example_data(engine, tmp_path)
    import_roadmap(engine, EXAMPLE)
    t0 = datetime.now(UTC) - timedelta(days=30)
    first = record_review(engine, "ca-eu-example", "2026",
                          [ReviewRow("renewables", "on_track", "Auctions held")], now=t0)
    second = record_review(engine, "ca-eu-example", "2027",
                           [ReviewRow("renewables", "at_risk", "Slower than planned")])
    client = TestClient(create_app(Settings(database_url="sqlite:///unused.db",
                                            iati_codelists=IATI_CODELISTS,
                                            page_cache_entries=0), engine=engine))
    listed = client.get("/roadmaps")
    assert listed.status_code == 200 and 'href="/roadmaps/ca-eu-example"' in listed.text
    page = client.get("/roadmaps/ca-eu-example?lang=en")
    assert page.status_code == 200 and "Expand renewable energy" in page.text
    assert "An example shipped with sdgbridge" in page.text
    assert "EG_FEC_RNEW" in page.text and "light-green" in page.text
    assert "30.04 (2020)" in page.text  # Kyrgyzstan's renewable share, UNSD 2023-12
    assert f'href="/roadmaps/reviews/{second}"' in page.text
    ru = client.get("/roadmaps/ca-eu-example?lang=ru").text
    assert "Расширить использование возобновляемой энергии" in ru
    assert "отчёт представлен" in ru and "по плану" in ru  # the lights in words
    review = client.get(f"/roadmaps/reviews/{second}?lang=en")
    assert review.status_code == 200 and "Slower than planned" in review.text
    assert "What changed since the review before" in review.text
    assert "on track" in review.text and "at risk" in review.text
    assert client.get(f"/roadmaps/reviews/{first}").status_code == 200
    assert client.get("/roadmaps/no-such-roadmap").status_code == 404


def test_an_analyst_records_a_review_in_the_browser(sqlite_engine: Engine,
                                                    tmp_path: Path) -> None:
    import re

    from sqlalchemy import func, select

    from sdgbridge.accounts import users
    from sdgbridge.db import tables as t

    engine = sqlite_engine
    org = example_data(engine, tmp_path)
    import_roadmap(engine, EXAMPLE)
    for email, role in (("analyst@centre.org", "analyst"), ("reader@x.org", "reader")):
        users.create_account(engine, email, email.split("@")[0])
        users.set_membership(engine, email, org, role)
        users.set_password(engine, email, "a long passphrase for reviews")
    app = create_app(Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                              secure_cookies=False, page_cache_entries=0), engine=engine)

    def signed_in(email: str) -> TestClient:
        client = TestClient(app)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/sign-in").text)
        client.post("/sign-in", data={"email": email, "password": "a long passphrase for "
                                      "reviews", "csrf": token.group(1) if token else ""})
        return client

    reader = signed_in("reader@x.org")
    assert 'href="/roadmaps/ca-eu-example/review"' not in reader.get(
        "/roadmaps/ca-eu-example").text
    assert reader.get("/roadmaps/ca-eu-example/review").status_code == 403
    analyst = signed_in("analyst@centre.org")
    form = analyst.get("/roadmaps/ca-eu-example/review")
    assert form.status_code == 200 and 'name="status-renewables"' in form.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    empty = analyst.post("/roadmaps/ca-eu-example/review", data={"csrf": csrf.group(1),
                                                                 "cycle": "2026"})
    assert empty.status_code == 400 and "no rows" in empty.text  # nothing reviewed
    done = analyst.post("/roadmaps/ca-eu-example/review", data={
        "csrf": csrf.group(1), "cycle": "2026", "status-renewables": "on_track",
        "comment-renewables": "Auctions held", "links-renewables": "https://example.org/a",
        "status-water-efficiency": "delayed"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(
        "/roadmaps/reviews/")
    page = analyst.get(done.headers["location"]).text
    assert "Auctions held" in page and "analyst@centre.org" in page
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.review_item)).scalar_one() == 2


def test_a_new_release_shows_on_the_roadmap_and_commitment_pages(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    from sdgbridge.ingest.load import ingest
    from tests.roadmaps.test_roadmaps import _slice

    engine = sqlite_engine
    example_data(engine, tmp_path)
    import_roadmap(engine, EXAMPLE)
    record_review(engine, "ca-eu-example", "2026",
                  [ReviewRow("renewables", "on_track", "Auctions held")])
    client = TestClient(create_app(Settings(database_url="sqlite:///unused.db",
                                            iati_codelists=IATI_CODELISTS,
                                            page_cache_entries=0), engine=engine))
    before = client.get("/roadmaps/ca-eu-example?lang=en").text
    assert "Changed with the latest data" not in before  # one release: nothing to compare
    assert "release 1: UNSD 2023-12, loaded " in before
    # a later release: Kyrgyzstan's renewable share fell to 20 % in 2023
    release = ingest(engine, _slice(tmp_path / "new.csv", ["EG_FEC_RNEW"],
                                    {"TimePeriod": "2023", "Value": "20"}),
                     source="a later release").release_id
    page = client.get("/roadmaps/ca-eu-example?lang=en").text
    changes = page.split('id="changes-h"')[1].split("</section>")[0]
    assert changes.count("<tr>") == 2  # the header and Kyrgyzstan's renewable share only
    assert "EG_FEC_RNEW" in changes and "Kyrgyzstan" in changes
    assert ('<a href="/roadmaps/ca-eu-example/commitments/renewables">Expand renewable energy'
            '</a>') in changes
    assert "light-green" in changes and "light-red" in changes and "20 (2023)" in changes
    assert f"release {release}: a later release, loaded " in changes
    assert f"was on track before release {release}" in page  # in the KPI's own cell

    c = client.get("/roadmaps/ca-eu-example/commitments/renewables?lang=en")
    assert c.status_code == 200
    assert "Expand renewable energy" in c.text and "European Commission" in c.text
    assert "23.51 (2015) → 20 (2023)" in c.text  # Kyrgyzstan's baseline and the new value
    assert f"was on track before release {release}" in c.text
    assert "Auctions held" in c.text and "Kyrgyzstan: on track" in c.text  # the review then
    ru = client.get("/roadmaps/ca-eu-example/commitments/renewables?lang=ru").text
    assert "Расширить использование возобновляемой энергии" in ru and "Таджикистан" in ru
    assert client.get("/roadmaps/ca-eu-example/commitments/nothing").status_code == 404

    csv = client.get("/roadmaps/ca-eu-example/export?format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "renewables" in csv.text and "Auctions held" in csv.text
    xlsx = client.get("/roadmaps/ca-eu-example/export?format=xlsx")
    assert xlsx.content[:2] == b"PK"  # a zip: the Excel workbook

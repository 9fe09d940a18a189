"""Roadmaps in Chromium (issue 17): the Centre's analyst opens the example roadmap (its KPI
lights from the real UNSD data of the region), records a review in the browser after one
recorded by command, and reads what changed; a new data release moves a KPI, which the
roadmap and the commitment pages show with the release; the same pages in Russian. Each page is
checked by axe-core, wide and at phone width, and for sideways scrolling."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sdgbridge.accounts import users
from sdgbridge.actors import Actor, acting_as
from sdgbridge.config import Settings
from sdgbridge.db.engine import make_engine
from sdgbridge.ingest.load import ingest
from sdgbridge.roadmaps import EXAMPLE
from sdgbridge.roadmaps.reviews import ReviewRow, record_review
from sdgbridge.roadmaps.service import import_roadmap
from sdgbridge.web.app import create_app
from tests.e2e.conftest import serving, shot
from tests.e2e.test_accessibility import check_page
from tests.helpers import IATI_CODELISTS
from tests.roadmaps.test_roadmaps import _slice, example_data

ANALYST = ("analyst@centre.org", "a long passphrase for the roadmap journey")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path,
         browser: Any) -> Iterator[tuple[str, Engine, Path]]:
    """A store of its own: the example roadmap on the region's real data, one review
    recorded by command, and the Centre's analyst."""
    folder = tmp_path_factory.mktemp("roadmaps")
    shutil.copy(sqlite_template, folder / "store.db")
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    org = example_data(engine, folder)
    with acting_as(Actor("cli:centre", "cli")):
        import_roadmap(engine, EXAMPLE)
        record_review(engine, "ca-eu-example", "2026", [
            ReviewRow("renewables", "on_track", "Auctions held"),
            ReviewRow("water-efficiency", "on_track")], source="command")
    users.create_account(engine, ANALYST[0], "Analyst")
    users.set_membership(engine, ANALYST[0], org, "analyst")
    users.set_password(engine, *ANALYST)
    settings = Settings(database_url=f"sqlite:///{folder / 'store.db'}",
                        iati_codelists=IATI_CODELISTS, secure_cookies=False)
    with serving(create_app(settings, engine)) as url:
        yield url, engine, folder
    engine.dispose()


def test_a_review_in_the_browser_and_what_changed(browser: Any,
                                                  site: tuple[str, Engine, Path]) -> None:
    url, engine, folder = site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url,
                                  locale="en-GB", bypass_csp=True)
    page, found = context.new_page(), {}
    page.goto("/sign-in")
    page.get_by_label("Email").fill(ANALYST[0])
    page.get_by_label("Password").fill(ANALYST[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account")
    page.goto("/roadmaps?lang=en")
    page.get_by_role("link", name="Central Asia–EU cooperation themes (example roadmap)").click()
    page.wait_for_url("**/roadmaps/ca-eu-example")
    energy = page.locator("section[aria-labelledby='area-energy']").inner_text()
    assert "Expand renewable energy" in energy and "EG_FEC_RNEW" in energy
    assert "30.04 (2020)" in energy  # Kyrgyzstan's renewable share, UNSD 2023-12
    check_page(page, "roadmap (en)", found)
    shot(page, "roadmap-en")
    page.get_by_role("link", name="Record a review").click()
    page.wait_for_url("**/roadmaps/ca-eu-example/review")
    check_page(page, "review form (en)", found)
    page.get_by_label("Review cycle").fill("2027")
    page.locator("#status-renewables").select_option("at_risk")
    page.locator("#comment-renewables").fill("Auctions delayed by a year")
    page.locator("#status-water-efficiency").select_option("on_track")
    page.get_by_role("button", name="Record the review").click()
    page.wait_for_url("**/roadmaps/reviews/*")
    changes = page.locator("section[aria-labelledby='changes-h']").inner_text()
    assert "Expand renewable energy" in changes and "at risk" in changes
    assert "changed" in changes
    assert "Auctions delayed by a year" in page.content()
    check_page(page, "review (en)", found)
    review_path = page.url.removeprefix(url)
    page.goto(f"{review_path}?lang=ru")
    assert page.locator("#changes-h").inner_text() == "Что изменилось с предыдущего обзора"
    assert "под угрозой" in page.locator("section[aria-labelledby='changes-h']").inner_text()
    check_page(page, "review (ru)", found)
    shot(page, "roadmap-review-ru")
    page.goto("/roadmaps/ca-eu-example")
    assert "Расширить использование возобновляемой энергии" in page.content()
    check_page(page, "roadmap (ru)", found)

    # a new data release: Kyrgyzstan's renewable share fell to 20 % in 2023
    ingest(engine, _slice(folder / "new.csv", ["EG_FEC_RNEW"],
                          {"TimePeriod": "2023", "Value": "20"}), source="a later release")
    page.goto("/roadmaps/ca-eu-example?lang=en")
    changed = page.locator("section[aria-labelledby='changes-h']").inner_text()
    assert "EG_FEC_RNEW" in changed and "Kyrgyzstan" in changed
    assert "on track" in changed and "off track" in changed and "a later release" in changed
    check_page(page, "roadmap after a release (en)", found)
    shot(page, "roadmap-changed-en")
    page.locator("section[aria-labelledby='changes-h']").get_by_role(
        "link", name="Expand renewable energy").click()
    page.wait_for_url("**/roadmaps/ca-eu-example/commitments/renewables")
    history = page.locator("section[aria-labelledby='history-h']").inner_text()
    assert "Auctions delayed by a year" in history and "Auctions held" in history
    assert history.index("Review 2027") < history.index("Review 2026")  # newest first
    assert "was on track before release" in page.locator(
        "section[aria-labelledby='kpis-h']").inner_text()
    check_page(page, "commitment (en)", found)
    page.goto("/roadmaps/ca-eu-example/commitments/renewables?lang=ru")
    assert page.locator("#milestones-h, #kpis-h").first.is_visible()
    assert page.locator("#kpis-h").inner_text() == "Ключевые показатели эффективности"
    check_page(page, "commitment (ru)", found)
    shot(page, "roadmap-commitment-ru")
    context.close()
    assert not found, found

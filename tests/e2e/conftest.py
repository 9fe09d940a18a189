"""End-to-end fixtures: a small store of the specimens in tests/data, the app under uvicorn on a
free loopback port, and Debian's headless Chromium driven by Playwright (never a browser
Playwright downloads).

The tests skip, saying why, where /usr/bin/chromium is absent; `.ci/run` installs it."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.db.engine import make_engine
from sdgbridge.ingest.load import ingest
from sdgbridge.knowledge import add_document
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS, derived_slice, import_specimens

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
# Headless, as root, and quiet: no sandbox (root), no GPU, and none of the background
# connections Chromium makes to Google's services (the machine's network is closed).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps", "--disable-extensions",
                 "--metrics-recording-only", "--no-default-browser-check"]
SERIES = ("EG_ACS_ELEC", "SI_POV_DAY1", "SH_H2O_SAFE", "SH_ACS_DTP3", "SH_STA_ANEM")

# Practices of the knowledge-base journey (written for these tests; English, so that a Russian
# query has to cross languages to find them).
PRACTICES = (
    dict(title="Drip irrigation run by a water users' association in Batken",
         organisation="Batken Water Users' Association", countries=("KGZ",), year=2022,
         kind="practice", language="en", text=(
             "Farmers in three villages of Batken province formed a water users' association "
             "to take over the tertiary canals from the district water authority. The "
             "association collects an irrigation service fee per hectare, keeps the canals "
             "clean and schedules water turns among its 640 member households.\n\n"
             "With a grant and a small loan the association installed drip irrigation on "
             "210 hectares of apricot orchards and vegetable plots. Water use per hectare "
             "fell by about 40 per cent and yields of tomatoes rose, so that tail-end farmers "
             "now receive water in dry summers. Women members sit on the association's "
             "board and manage the fee ledger.\n\n"
             "Lessons: the fee must be agreed at the general meeting; drip lines need filters "
             "and a trained technician in each village.")),
    dict(title="Solar mini-grids for remote villages in Mangystau",
         organisation="Kazakhstan Renewable Energy Fund", countries=("KAZ",), year=2021,
         kind="practice", language="en", text=(
             "Remote livestock villages in Mangystau region were not connected to the "
             "national grid and ran diesel generators for four hours a day. A public-private "
             "partnership built solar photovoltaic mini-grids with battery storage in five "
             "villages, serving 1,300 people, a school and a medical post.\n\n"
             "Households pay a monthly tariff through a prepaid meter; a local operator "
             "trained by the project maintains the panels and inverters. Diesel use fell by "
             "85 per cent, and the school now has electricity and internet all day.\n\n"
             "Lessons: size batteries for winter demand, and agree the tariff with the "
             "village council before construction.")),
    dict(title="Maternal health outreach by community nurses in Khatlon",
         organisation="Ministry of Health and Social Protection of Tajikistan",
         countries=("TJK",), year=2020, kind="practice", language="en", text=(
             "In rural districts of Khatlon many pregnant women made no antenatal visit "
             "before the third trimester. Community nurses from primary health care centres "
             "now visit every pregnant woman at home, check blood pressure and anaemia, give "
             "iron and folic acid, and plan a skilled birth attendant for the delivery.\n\n"
             "Mobile phones let nurses call the district maternity ward when they see danger "
             "signs, and a transport fund pays for emergency referrals. Within three years "
             "the share of women with four antenatal visits rose from 53 to 78 per cent and "
             "maternal deaths in the districts fell.\n\n"
             "Lessons: nurses need supervision visits and a steady supply of medicines.")),
)


def add_practices(engine: Engine, embedder: object = None, tag: bool = True) -> list[int]:
    """Store ``PRACTICES`` (embedded and tagged with ``embedder``, by default the ``auto`` one
    the server uses); returns their ids."""
    ids = []
    for practice in PRACTICES:
        meta = {k: v for k, v in practice.items() if k != "text"}
        report = add_document(engine, str(practice["text"]), embedder=embedder, tag=tag,
                              **meta)
        ids.append(int(report.document_id or 0))
    return ids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The journeys run together on one xdist worker (``--dist loadgroup``), so the server and
    the browser are made once and closed when the journeys are done: Playwright's sync API
    keeps an event loop running while it is open, which a later test's ``asyncio.run``
    would trip over."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="package")
def e2e_store(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
              ) -> Iterator[tuple[Settings, Engine]]:
    """The journeys' store (the slice, two IATI files, the practices) and its settings."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    folder = tmp_path_factory.mktemp("e2e")
    shutil.copy(sqlite_template, folder / "store.db")
    settings = Settings(database_url=f"sqlite:///{folder / 'store.db'}",
                        iati_codelists=IATI_CODELISTS)
    engine = make_engine(settings.database_url)
    ingest(engine, derived_slice(folder / "slice.csv", SERIES), source="e2e slice")
    import_specimens(engine, "usda-kazakhstan.xml", "usda-tajikistan.xml")
    add_practices(engine)
    yield settings, engine
    engine.dispose()


@contextmanager
def serving(app: object) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port, for as long as the block runs."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1",  # type: ignore[arg-type]
                                           port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="package")
def base_url(e2e_store: tuple[Settings, Engine]) -> Iterator[str]:
    settings, engine = e2e_store
    with serving(create_app(settings, engine)) as url:
        yield url


@pytest.fixture(scope="package")
def browser(base_url: str) -> Iterator[object]:
    """Chromium, closed before the server stops (so no connection keeps the server waiting)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object, base_url: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900},  # type: ignore[attr-defined]
                                  base_url=base_url, accept_downloads=True, locale="en-GB")
    pg = context.new_page()
    yield pg
    context.close()


def shot(page: object, name: str) -> Path:
    """Save a full-page screenshot under tests/e2e/screenshots/ (gitignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path

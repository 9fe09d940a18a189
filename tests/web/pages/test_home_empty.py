"""The home page of a store that holds no SDG data yet: what to load, in both languages."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from lxml import html
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.ingest.load import ingest
from sdgbridge.web.app import create_app
from tests.helpers import derived_slice


def home(client: TestClient, lang: str) -> str:
    response = client.get(f"/?lang={lang}")
    assert response.status_code == 200, response.text[:2000]
    return " ".join(html.fromstring(response.text).text_content().split())


def test_a_new_store_is_seeded_and_its_home_page_says_what_to_load(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'new.db'}")
    with TestClient(create_app(settings)) as client:  # the app makes and seeds the store
        english = home(client, "en")
        russian = home(client, "ru")
        assert client.get("/api/v1/areas", params={"areas": "CARSDG"}).status_code == 200
    assert "The store holds no SDG data yet" in english
    assert "sdgbridge ingest PATH" in english and "sdgbridge demo" in english
    assert "sdgbridge sync --areas CARSDG" in english
    assert "В хранилище пока нет данных ЦУР" in russian and "sdgbridge ingest PATH" in russian


def test_the_home_page_shows_the_region_once_data_is_loaded(engine: Engine, tmp_path: Path
                                                            ) -> None:
    settings = Settings(database_url="sqlite:///unused.db")
    with TestClient(create_app(settings, engine=engine)) as client:
        assert "The store holds no SDG data yet" in home(client, "en")
        ingest(engine, derived_slice(tmp_path / "slice.csv", ("EG_ACS_ELEC",)), source="slice")
        shown = home(client, "en")
    assert "The store holds no SDG data yet" not in shown
    assert "Kazakhstan" in shown

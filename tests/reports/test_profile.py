"""Profiles (issue 18) on the real UNSD 2023-12 data of the region (a slice of series over
several goals): the figures equal the API's for the same run; a PDF for each of the six
countries and the region in English and Russian, turned into PNG pages and looked at; the
same data give the same bytes."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.reports.profile import country_profile, region_profile
from sdgbridge.web.app import create_app
from sdgbridge.web.profiles import render_profile
from tests.helpers import IATI_CODELISTS

COUNTRIES = ("AFG", "KAZ", "KGZ", "TJK", "TKM", "UZB")
GROUP = "CARSDG"


def test_the_profile_equals_the_api_for_the_same_run(store: Engine) -> None:
    client = TestClient(create_app(Settings(database_url="sqlite:///unused.db",
                                            iati_codelists=IATI_CODELISTS,
                                            page_cache_entries=0), engine=store))
    prof = country_profile(store, "KGZ", GROUP, "en")
    unsd = prof.methods["unsd"]
    assert unsd["run_id"] is not None  # the published run, not one assessed now
    api = client.get("/api/v1/assessments/latest?method=unsd&level=goal&areas=KGZ").json()
    by_goal = {str(r["goal"]): r for r in api["rows"]}
    steps = ("on track", "needs acceleration", "stagnating", "regressing")
    for goal, cell in unsd["goals"].items():
        assert {s: cell["counts"].get(s, 0) for s in steps} == {
            s: by_goal[goal].get(s, 0) for s in steps}, goal
    series = client.get("/api/v1/assessments/latest?method=unsd&areas=KGZ").json()["rows"]
    api_rows = {r["series"]: r for r in series}
    shown = [r for g in prof.goals for r in g["series"]]
    assert len(shown) >= 8
    for r in shown:
        assert (r["latest_year"], r["latest_value"], r["scale"]) == (
            api_rows[r["series"]]["latest_year"], api_rows[r["series"]]["latest_value"],
            api_rows[r["series"]]["scale"]), r["series"]
    # a raw count of disaster victims is assessed, but is no key indicator of goal 1
    assert any(r["series"] == "VC_DSR_MISS" for r in series)
    assert "VC_DSR_MISS" not in {r["series"] for r in shown}
    renewables = next(r for r in shown if r["series"] == "EG_FEC_RNEW")
    assert (renewables["latest_year"], renewables["latest_value"]) == (2020, 30.04)
    assert renewables["units"] == "PERCENT"
    # the date the profile stands at is the data release's, not the clock's
    assert prof.stands_at == prof.releases[-1]["created_at"]


def test_pdfs_for_the_six_countries_and_the_region_in_both_languages(
        store: Engine, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    for code in (*COUNTRIES, "region"):
        for lang in ("en", "ru"):
            pdf = render_profile(store, code, GROUP, lang, "pdf").body
            assert pdf.startswith(b"%PDF-")
            reader = PdfReader(BytesIO(pdf))
            text = "\n".join(page.extract_text() for page in reader.pages)
            assert len(reader.pages) >= 3, (code, lang)
            heading = "Профиль ЦУР" if lang == "ru" else "SDG profile"
            assert heading in text, (code, lang)
            if code == "KGZ":
                assert ("Кыргызстан" if lang == "ru" else "Kyrgyzstan") in text
            # the pages as images: each has ink on it (text, tables, charts)
            stem = tmp_path / f"{code}-{lang}"
            (tmp_path / f"{code}-{lang}.pdf").write_bytes(pdf)
            subprocess.run(["pdftoppm", "-r", "30", "-png", f"{stem}.pdf", str(stem)],
                           check=True)
            pages = sorted(tmp_path.glob(f"{code}-{lang}-*.png"))
            assert len(pages) == len(reader.pages)
            from PIL import Image

            for png in pages:
                lo, hi = Image.open(png).convert("L").getextrema()
                assert lo < 100 and hi > 200, png  # dark ink on a white page


def test_the_same_data_give_the_same_bytes(store: Engine) -> None:
    first = render_profile(store, "KAZ", GROUP, "ru", "pdf").body
    assert render_profile(store, "KAZ", GROUP, "ru", "pdf").body == first
    html = render_profile(store, "region", GROUP, "en", "html").body.decode()
    assert "SDG profile: Central Asia and Afghanistan" in html
    region = region_profile(store, GROUP, "ru")
    assert region.area["name"] == "Центральная Азия и Афганистан (Региональный центр по ЦУР)"
    assert [m["iso3"] for m in region.members] == list(COUNTRIES)


def test_the_profile_from_the_pages_and_the_command_line(store: Engine, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    client = TestClient(create_app(Settings(database_url="sqlite:///unused.db",
                                            iati_codelists=IATI_CODELISTS,
                                            page_cache_entries=0), engine=store))
    page = client.get("/country/KGZ?lang=ru").text
    assert 'href="/country/KGZ/profile?format=pdf&amp;lang=ru"' in page
    pdf = client.get("/country/KGZ/profile?format=pdf&lang=ru")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert 'filename="sdg-profile-kgz-ru.pdf"' in pdf.headers["content-disposition"]
    assert pdf.content == render_profile(store, "KGZ", GROUP, "ru", "pdf").body
    html = client.get("/region/profile?format=html&lang=en")
    assert html.status_code == 200 and "Sources and methods" in html.text
    assert 'href="/region/profile?format=pdf&amp;lang=en"' in client.get("/?lang=en").text
    assert client.get("/country/XYZ/profile").status_code == 404
    assert client.get("/country/KGZ/profile?format=docx").status_code == 422

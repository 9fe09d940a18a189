"""Anonymous pages kept until the store changes (web/page_cache.py): answered again without
being made again, in the language the visitor would get, never from before a change, never
for a request that may be personal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.ingest.load import ingest
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.web.app import create_app
from sdgbridge.web.pages import base
from tests.helpers import IATI_CODELISTS, derived_slice


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    ingest(engine, derived_slice(tmp_path / "slice.csv", ("EG_ACS_ELEC",)), source="slice")
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS)
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates rendered (each a page made, not answered from the cache)."""
    names: list[str] = []
    real = base.ENV.get_template

    def counting(name: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        names.append(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(base.ENV, "get_template", counting)
    return names


def test_a_page_is_made_once_and_answered_again(client: TestClient, made: list[str]) -> None:
    first = client.get("/country/KAZ")
    again = client.get("/country/KAZ")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and made.count("country.html") == 1
    assert client.get("/country/KGZ").status_code == 200 and made.count("country.html") == 2


def test_a_kept_page_is_answered_with_its_own_head_every_time(client: TestClient,
                                                              made: list[str]) -> None:
    """The middlewares outside the cache add headers to each answer (the request id, the
    security headers): a kept page must not keep them, or its head grows by a request id at
    each answer (2,000 answers of one page made its head too long for clients: the load
    run's read errors, issue 13)."""
    answers = [client.get("/country/KAZ") for _ in range(50)]
    assert made.count("country.html") == 1
    ids = [a.headers.get_list("x-request-id") for a in answers]
    assert all(len(i) == 1 for i in ids), [len(i) for i in ids][-3:]
    assert len({i[0] for i in ids}) == 50  # each answer its own request's id
    assert all(len(a.headers.get_list("content-security-policy")) == 1 for a in answers)
    assert len(answers[-1].headers.raw) == len(answers[1].headers.raw)


def test_each_language_is_kept_apart(client: TestClient, made: list[str]) -> None:
    en = client.get("/", headers={"Accept-Language": "en"})
    ru = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert 'lang="en"' in en.text and 'lang="ru"' in ru.text
    assert client.get("/", headers={"Accept-Language": "ru"}).content == ru.content
    assert client.get("/", headers={"Cookie": "lang=ru"}).content == ru.content
    assert made.count("home.html") == 2
    chosen = client.get("/?lang=ru")  # a choice: kept in a cookie, every time it is made
    kept = client.get("/?lang=ru")
    assert chosen.headers["set-cookie"] == kept.headers["set-cookie"]
    assert "lang=ru" in kept.headers["set-cookie"] and made.count("home.html") == 3


def test_a_change_to_the_store_makes_the_page_again(client: TestClient, made: list[str],
                                                    engine: Engine, tmp_path: Path) -> None:
    client.get("/coordination")
    client.get("/coordination")
    assert made.count("coordination.html") == 1
    ingest(engine, derived_slice(tmp_path / "more.csv", ("SH_H2O_SAFE",)), source="more")
    client.get("/coordination")
    assert made.count("coordination.html") == 2
    # The partner registry is shown on no page: its changes keep the pages.
    create_org(engine, name_en="UNDP", type="40", ref="XM-DAC-41114",
               codelists=load_codelists(IATI_CODELISTS))
    client.get("/coordination")
    assert made.count("coordination.html") == 2


def test_no_page_reads_the_partner_registry() -> None:
    """What lets PAGE_SOURCES leave the registry out: a page that shows organisations'
    records must add "organisations" back."""
    pages = Path(base.__file__).parent
    # Pages only signed-in people get (a session cookie: never answered from the cache).
    signed_in_only = {"account.py", "admin.py", "contribute.py", "partners.py"}
    for module in pages.glob("*.py"):
        if module.name in signed_in_only:
            continue
        text = module.read_text(encoding="utf-8")
        assert "projects.orgs" not in text and "t.organisation" not in text, module


@pytest.mark.parametrize("personal", [{"headers": {"Authorization": "Bearer x" * 4}},
                                      {"headers": {"Cookie": "session=abc; lang=en"}}],
                         ids=["authorization", "other cookie"])
def test_a_request_that_may_be_personal_is_always_made(client: TestClient, made: list[str],
                                                       personal: dict) -> None:
    for _ in range(2):
        assert client.get("/country/KAZ", **personal).status_code == 200
    assert made.count("country.html") == 2


def test_only_successes_are_kept(client: TestClient, made: list[str]) -> None:
    for _ in range(2):
        assert client.get("/country/XYZ").status_code == 404
    assert made.count("error.html") == 2


def test_no_cache_when_its_size_is_zero(engine: Engine, made: list[str]) -> None:
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                        page_cache_entries=0)
    with TestClient(create_app(settings, engine=engine)) as c:
        for _ in range(2):
            assert c.get("/").status_code == 200
    assert made.count("base.html") == 2  # the page made twice (a store without data here)

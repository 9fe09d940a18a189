"""What the Centre knows around a request (issue 16): the country's status on the requested
targets from the real UNSD data, the partners' projects there, practices from the region's
other countries, and after delivery the indicators the help was meant to move, followed as
a new data release arrives; and files attached to a request through the knowledge base's
reader, refused for non-parties, closed requests and unreadable files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from sdgbridge.actors import Actor, acting_as
from sdgbridge.assistance import context
from sdgbridge.assistance.attachments import attach
from sdgbridge.assistance.queries import request_detail
from sdgbridge.assistance.service import file_request, give_feedback, move
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import Forbidden, InputError, SdgBridgeError
from sdgbridge.ingest.load import ingest
from sdgbridge.knowledge.embed import get_embedder
from sdgbridge.knowledge.service import add_document, correct_tags
from sdgbridge.projects.editing import create_project
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from tests.helpers import SHARED

CENTRE = Actor("cli:centre", "cli", role="administrator", administrator=True)
DERIVED = SHARED / "sdg" / "derived" / "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv"
WATER = ("ER_H2O_WUEYST", "ER_H2O_STRESS")
REQUEST = dict(title="Water use efficiency in irrigation", country="KGZ",
               description="Measuring and raising water use efficiency in irrigated "
               "agriculture: drip irrigation, water users' associations, tariffs.",
               requesting_body="Ministry of Water Resources", kind="policy_advice",
               targets=["6.4"], languages="ru,en")


def _slice(path: Path, series: tuple[str, ...], change: dict[str, object] | None = None
           ) -> Path:
    """The derived UNSD file's rows of ``series`` (all as text), optionally one more row:
    a copy of Kyrgyzstan's latest total of the first series with ``change`` applied."""
    frame = pl.read_csv(DERIVED, infer_schema_length=0).filter(
        pl.col("SeriesCode").is_in(series))
    if change:
        kg = frame.filter(pl.col("SeriesCode") == series[0], pl.col("GeoAreaCode") == "417")
        latest = kg.sort("TimePeriod").tail(1).with_columns(
            **{k: pl.lit(str(v)) for k, v in change.items()})
        frame = pl.concat([frame, latest])
    frame.write_csv(path)
    return path


@pytest.fixture
def store(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    if not DERIVED.exists():
        pytest.skip(f"{DERIVED} is not there (../shared beside the repository)")
    engine = sqlite_engine
    ingest(engine, _slice(tmp_path / "water.csv", WATER), source="UNSD 2023-12 water")
    return engine


def test_status_projects_and_practices_around_a_request(store: Engine) -> None:
    codelists = load_codelists(Settings().iati_codelists)  # the shipped, complete lists
    emb = get_embedder("hashing")
    with acting_as(CENTRE):
        rid = file_request(store, **REQUEST)
        create_org(store, name_en="Water Partner", type="21", ref="XM-T-1",
                   codelists=codelists)
        # a project on agricultural water resources (DAC 31140, linked to 6.4) in Kyrgyzstan,
        # one on basic health there (goal 3), one on water in Tajikistan
        for ident, sector, country in (("XM-T-1-IRR", "31140", "KG"), ("XM-T-1-HLT", "12220",
                                                                      "KG"),
                                       ("XM-T-1-TJ", "31140", "TJ")):
            create_project(store, identifier=ident, title_en=f"Project {ident}",
                           reporting_org_ref="XM-T-1", status="2", countries=[country],
                           sectors=[sector], codelists=codelists, planned_start="2024-01-01",
                           origin="test")
        docs = {}
        for name, country, goal in (("kaz", "KAZ", "6"), ("kgz", "KGZ", "6"),
                                    ("tjk", "TJK", "3")):
            report = add_document(store, f"Irrigation water users association {name}. " * 20,
                                  embedder=emb, title=f"Practice {name}",
                                  countries=(country,), tag=False)
            docs[name] = int(report.document_id or 0)
            correct_tags(store, docs[name], set_codes=[goal])
        status = context.target_status(store, rid, "unsd")
        projects = context.related_projects(store, rid)
        practices = context.related_practices(store, rid, emb)
    [six_four] = status["targets"]
    assert six_four["target"] == "6.4" and six_four["assessed"] == 2
    assert {s["indicator"] for s in six_four["series"]} == {"6.4.1", "6.4.2"}
    wue = next(s for s in six_four["series"] if s["series"] == "ER_H2O_WUEYST")
    # the real Kyrgyz value: 0.86 USD/m3 in 2020 (UNSD SDG database, 2023-12 release)
    assert (wue["latest_year"], wue["latest_value"]) == (2020, 0.86)
    assert six_four["status"] in ("needs acceleration", "stagnating")
    assert status["run_id"] is None  # nothing published: assessed for the page
    assert projects["iati_identifier"].to_list() == ["XM-T-1-IRR"]  # not health, not TJ
    assert projects["level"].to_list() == [2]
    # only the other country's practice on goal 6: not Kyrgyzstan's own, not goal 3
    assert [p["document_id"] for p in practices] == [docs["kaz"]]
    assert practices[0]["countries"] == ["KAZ"]
    with pytest.raises(SdgBridgeError, match="No progress method"):
        context.target_status(store, rid, "nonsense")


def test_indicators_are_followed_as_a_new_release_arrives(store: Engine, tmp_path: Path
                                                          ) -> None:
    with acting_as(CENTRE):
        rid = file_request(store, **REQUEST, submit=True)
        assert context.followed_indicators(store, rid).height == 0  # not delivered
        for state in ("triaged",):
            move(store, rid, state)
        with store.begin() as conn:  # straight to delivery (the lifecycle is tested apart)
            conn.execute(t.ta_request.update().where(t.ta_request.c.id == rid).values(
                state="in_progress"))
        move(store, rid, "delivered")
        give_feedback(store, rid, 5, "Useful", "6.4.1")
    followed = context.followed_indicators(store, rid)
    assert followed.select("indicator", "series", "at_delivery_year", "at_delivery_value",
                           "latest_year", "latest_value", "new_values").rows() == [
        ("6.4.1", "ER_H2O_WUEYST", 2020, 0.86, 2020, 0.86, 0)]
    assert followed["units"].to_list() == ["USD/m3"]
    # a new release after delivery brings a 2022 value
    ingest(store, _slice(tmp_path / "new.csv", WATER, {"TimePeriod": "2022", "Value": "0.95"}),
           source="UNSD later release")
    followed = context.followed_indicators(store, rid)
    assert followed.select("at_delivery_year", "at_delivery_value", "latest_year",
                           "latest_value", "new_values").rows() == [(2020, 0.86, 2022, 0.95, 1)]


def _documents(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.document)).scalar_one())


def test_files_are_attached_through_the_knowledge_base(store: Engine, tmp_path: Path) -> None:
    emb = get_embedder("hashing")
    tor = tmp_path / "terms-of-reference.md"
    tor.write_text("# Terms of reference\n\nAdvice on water use efficiency (indicator 6.4.1) "
                   "in irrigated agriculture of Batken and Osh provinces.\n" * 5,
                   encoding="utf-8")
    with acting_as(CENTRE):
        rid = file_request(store, **REQUEST, submit=True)
        doc = attach(store, rid, tor, embedder=emb)
        with pytest.raises(InputError, match="attached to request .* already"):
            attach(store, rid, tor, embedder=emb)
        detail = request_detail(store, rid)
    [one] = detail["attachments"]
    assert (one["document_id"], one["name"], one["language"]) == (doc, "terms-of-reference.md",
                                                                   "en")
    assert one["opening"].startswith("Terms of reference")
    with store.connect() as conn:  # internal, of the request's country
        row = conn.execute(select(t.document.c.visibility, t.document.c.kind).where(
            t.document.c.id == doc)).one()
    assert tuple(row) == ("internal", "report")
    before = _documents(store)
    other = Actor("focal@gov.tj", "web", account_id=None, role="focal_point", country="TJK")
    with acting_as(other), pytest.raises(Forbidden, match="not a party"):
        attach(store, rid, tor, embedder=emb)
    fake = tmp_path / "scan.pdf"
    fake.write_bytes(b"not a pdf at all")
    with acting_as(CENTRE), pytest.raises(SdgBridgeError, match="scan.pdf"):
        attach(store, rid, fake, embedder=emb)
    with acting_as(CENTRE):
        move(store, rid, "withdrawn", "asked twice")
        with pytest.raises(SdgBridgeError, match="withdrawn"):
            attach(store, rid, tmp_path / "terms-of-reference.md", embedder=emb)
    assert _documents(store) == before  # nothing written by the refusals

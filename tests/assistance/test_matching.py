"""Matching requests to partners and experts (issue 16): on the real shared data, a request on
water use efficiency (6.4) in Kyrgyzstan ranks the partners with water projects there, each
with its reasons; a property: adding a relevant project never lowers a partner's rank."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from sdgbridge.actors import Actor, acting_as
from sdgbridge.assistance.match import match_request, need_of
from sdgbridge.assistance.matching import Need, rank_experts, rank_organisations
from sdgbridge.assistance.service import add_expert, file_request
from sdgbridge.config import Settings
from sdgbridge.projects.sdg import flat_export
from sdgbridge.projects.service import import_files
from tests.helpers import SHARED

CENTRE = Actor("cli:centre", "cli", role="administrator", administrator=True)
WATER = dict(title="Water use efficiency in irrigation", country="KGZ",
             description="Measuring and raising water use efficiency in irrigated "
             "agriculture (6.4.1): drip irrigation, water users' associations.",
             requesting_body="Ministry of Agriculture", kind="policy_advice",
             targets=["6.4"], languages="ru,en")
NEED = Need(country="KG", country_iso3="KGZ", country_name="Kyrgyzstan", targets=("6.4",),
            languages=("ru", "en"), target_sectors=("31140",), goal_sectors=("14010", "14030"))
COLUMNS = {"iati_identifier": pl.Utf8, "reporting_org_ref": pl.Utf8, "reporting_org": pl.Utf8,
           "country": pl.Utf8, "sector_dac": pl.Utf8, "goal": pl.Utf8, "target": pl.Utf8,
           "year": pl.Int64, "transaction_type": pl.Utf8, "value_share_usd": pl.Float64}


@pytest.mark.shared_data
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_water_in_kyrgyzstan_on_the_real_data(engine: Engine, settings: Settings) -> None:
    import_files(engine, settings, [SHARED / "iati" / "activities", SHARED / "iati" / "dportal"])
    with acting_as(CENTRE):
        rid = file_request(engine, **WATER)
        add_expert(engine, name="Aida Water", email="aida@water.org", languages="ru,ky",
                   targets="6.4,6.5", countries="KGZ")
        add_expert(engine, name="Away Expert", email="away@water.org", languages="ru",
                   targets="6.4", available_from=date.today() + timedelta(days=400))
    need = need_of(engine, rid)
    assert "31140" in need.target_sectors and "14010" in need.goal_sectors
    found = match_request(engine, rid)
    partners = found.filter(pl.col("kind") == "organisation")
    # Directly: the organisations with a project in Kyrgyzstan on 6.4, on goal 6, or in a
    # sector the mapping links to goal 6.
    flat = flat_export(engine).filter(pl.col("country") == "KG")
    water = flat.filter((pl.col("target") == "6.4") | (pl.col("goal") == "6")
                        | pl.col("sector_dac").is_in(need.target_sectors + need.goal_sectors))
    assert set(partners["candidate_key"]) == set(water["reporting_org_ref"])
    assert partners.height >= 3
    for row in partners.iter_rows(named=True):
        assert row["reasons"] and "Kyrgyzstan" in row["reasons"][0]
    experts = found.filter(pl.col("kind") == "expert")
    assert experts["name"].to_list() == ["Aida Water"]  # the other is away
    assert found.row(0, named=True)["name"] == "Aida Water"  # 6.4, Kyrgyzstan, Russian
    assert found["score"].is_sorted(descending=True)


def _projects(rows: list[tuple[str, str, str, str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame([{"iati_identifier": f"{org}-{i}", "reporting_org_ref": org,
                          "reporting_org": org, "country": country, "sector_dac": sector,
                          "goal": target.split(".")[0] if target else None, "target": target,
                          "year": 2021, "transaction_type": kind, "value_share_usd": 50_000.0}
                         for i, (org, country, sector, target, kind) in enumerate(rows)],
                        schema=COLUMNS)


ROW = st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.sampled_from(["KG", "TJ"]),
                st.sampled_from(["31140", "14010", "11220", "12220"]),
                st.sampled_from(["6.4", "6.1", "4.1", None]), st.sampled_from(["2", "3"]))


def _position(ranked: pl.DataFrame, org: str) -> int:
    keys = ranked["candidate_key"].to_list()
    return keys.index(org) if org in keys else len(keys) + 1


@settings(max_examples=200, deadline=None)
@given(st.lists(ROW, max_size=25), st.sampled_from(["A", "B", "C", "D"]),
       st.sampled_from([("31140", None), ("11220", "6.4"), ("14010", "6.1")]))
def test_a_relevant_project_never_lowers_a_rank(rows: list, org: str, extra: tuple) -> None:
    before = rank_organisations(NEED, _projects(rows))
    after = rank_organisations(NEED, _projects([*rows, (org, "KG", extra[0], extra[1], "3")]))
    assert _position(after, org) <= _position(before, org)
    assert org in after["candidate_key"].to_list()
    score = dict(zip(after["candidate_key"], after["score"], strict=True))
    old = dict(zip(before["candidate_key"], before["score"], strict=True))
    assert score[org] > old.get(org, 0.0)
    assert all(score[k] == v for k, v in old.items() if k != org)  # the others unchanged


def test_experts_and_documents_with_their_reasons() -> None:
    experts = pl.DataFrame({"id": [1, 2, 3], "name": ["Aida", "Bek", "Chen"],
                            "languages": ["ru,ky", "en", "zh"], "targets": ["6.4", "6.1", "4.1"],
                            "countries": ["KGZ", "TJK", ""],
                            "available_from": [None, None, None],
                            "available_to": [None, None, None]},
                           schema_overrides={"available_from": pl.Date, "available_to": pl.Date})
    ranked = rank_experts(NEED, experts)
    assert ranked["name"].to_list() == ["Aida", "Bek"]  # Chen has nothing for this request
    assert ranked.row(0, named=True)["reasons"] == [
        "works on 6.4", "has worked in Kyrgyzstan", "speaks ru"]
    assert ranked.row(0, named=True)["score"] == 3 + 2 + 2
    # a sector the mapping links to the target counts, with its reason
    irrigation = experts.with_columns(sectors=pl.lit("31140,11110")).filter(pl.col("id") == 3)
    chen = rank_experts(NEED, irrigation).row(0, named=True)
    assert (chen["score"], chen["reasons"]) == (1, ["works in DAC sector(s) 31140"])
    topic = np.array([1.0, 0.0])
    docs = pl.DataFrame({"organisation_key": ["D", "E"], "title": ["Drip irrigation", "Roads"],
                         "kind": ["practice", "report"]})
    vectors = np.array([[0.9, 0.436], [0.1, 0.995]])
    need = Need(**{**NEED.__dict__, "topic": topic})
    found = rank_organisations(need, _projects([]), docs, vectors)
    assert found.select("candidate_key", "reasons").rows() == [
        ("D", ["practice 'Drip irrigation'"])]

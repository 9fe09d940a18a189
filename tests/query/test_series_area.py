"""The lean series x area rows against the frame they stand in for, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from sdgbridge.db.values import render_value, value_text
from sdgbridge.errors import UnknownSeries
from sdgbridge.ingest.load import ingest
from sdgbridge.query.observations import ObservationQuery, query_observations
from sdgbridge.query.series_area import Lookups, build_rows, is_lean, series_area_rows
from sdgbridge.web.render import table_response
from tests.helpers import derived_slice

# Several indicators per series (VC_DSR_AFFCT), several dimensions (SH_STA_STNT), source
# text kept beside the number (SH_ACS_PCV3), one dimension (EG_ACS_ELEC).
SERIES = ("VC_DSR_AFFCT", "SH_STA_STNT", "SH_ACS_PCV3", "EG_ACS_ELEC")
KAZ, KGZ, TJK, AFG = "398", "417", "762", "4"
SIX = [KAZ, KGZ, TJK, "795", "860", AFG]


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    ingest(engine, derived_slice(tmp_path / "slice.csv", SERIES), source="lean slice")
    with engine.begin() as conn:  # bounds on a third of the rows (the slice has none)
        conn.execute(text("UPDATE observation SET lower_bound = value - 1.25, "
                          "upper_bound = value + 0.5 WHERE id % 3 = 0"))
    return engine


def _frame_rows(engine: Engine, q: ObservationQuery) -> list[list[tuple[str, object]]]:
    """What the API answered from the frame, decoded, with the members in order."""
    body = json.loads(table_response(query_observations(engine, q)).body)
    return [list(r.items()) for r in body["rows"]]


CASES = [(SERIES[:1], [KAZ], None, None), (SERIES[1:2], [KGZ], None, None),
         (SERIES[2:3], [TJK], None, None), (SERIES[3:], [AFG], None, None),
         (SERIES[1:3], [KAZ, KGZ, TJK, AFG], None, None), (SERIES, SIX, None, None),
         (SERIES, [KGZ], 2015, 2020),
         (("EG_ACS_ELEC", "NOT_A_SERIES"), [AFG], 2021, None), (SERIES[:1], ["250"], None, None)]


def test_same_rows_members_and_order_as_the_frame(store: Engine) -> None:
    compared = 0
    for series, areas, first, last in CASES:
        q = ObservationQuery(series=series, areas=areas, year_from=first, year_to=last)
        with store.connect() as conn:
            lean = series_area_rows(conn, series, areas, first, last)
        expected = _frame_rows(store, q)
        assert [list(r.items()) for r in json.loads(json.dumps(lean))] == expected, series
        compared += len(expected)
    assert compared == 167  # the cases are not all empty


def test_bounds_indicators_and_text_come_through(store: Engine) -> None:
    with store.connect() as conn:
        rows = series_area_rows(conn, SERIES, SIX)
    assert {r["indicators"] for r in rows if r["series"] == "VC_DSR_AFFCT"} == {
        "1.5.1,11.5.1,13.1.1"}
    bounded = [r for r in rows if r["lower_bound"] is not None]
    assert bounded and all(math.isclose(r["upper_bound"] - r["lower_bound"], 1.75)
                           for r in bounded)
    assert any(r["value_text"] != value_text(r["value"]) for r in rows)  # source text kept
    values = [r["value"] for r in rows if r["value"] is not None]
    assert values and all(type(v) is float for v in values)  # 5.0, never 5, in the JSON


def test_unknown_series_is_refused_like_the_frame(store: Engine) -> None:
    with store.connect() as conn, pytest.raises(UnknownSeries) as lean:
        series_area_rows(conn, ["NOPE"], [KAZ])
    with pytest.raises(UnknownSeries) as frame:
        query_observations(store, ObservationQuery(series=["NOPE"], areas=[KAZ]))
    assert str(lean.value) == str(frame.value)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50))
def test_value_text_writes_floats_as_the_frame_does(values: list[float]) -> None:
    frame = pl.DataFrame({"value": values}, schema={"value": pl.Float64})
    assert [value_text(v) for v in values] == frame.select(render_value()).to_series().to_list()


def test_value_text_at_the_notation_edges() -> None:
    assert [value_text(v) for v in (1e-5, 2.5e-5, 1.5e-6, 1e16, 1e15, 0.1, -3.0, None)] == [
        "0.00001", "0.000025", "1.5e-6", "1e+16", "1000000000000000.0", "0.1", "-3", None]
    edges = [-0.0, 0.0, 999999999999999.0, -999999999999999.0, -1e15, 5e15, 123.0, 1e-4,
             -2.5e-5, 1.7976931348623157e308, 5e-324, float("inf"), float("-inf")]
    frame = pl.DataFrame({"value": edges}, schema={"value": pl.Float64})
    assert [value_text(v) for v in edges] == frame.select(render_value()).to_series().to_list()


def test_nan_is_null_and_its_text_says_so() -> None:
    """PostgreSQL can hold NaN (SQLite cannot): the rows give null, as the frame's JSON."""
    lookups = Lookups()
    lookups.areas["398"] = ("KAZ", "Kazakhstan")
    nan = float("nan")
    key = "sex=FEMALE"
    found = [(1, "398", key, "2020", 2020, nan, None, "PERCENT", None, None, None, None, nan,
              2.5, "src", None, None, 3),
             (1, "398", key, "2019", 2019, 1.0, None, "PERCENT", None, None, None, None, None,
              None, "src", None, None, 3)]
    rows = build_rows({1: ("X_Y", "UNSD", "1.1.1")}, lookups, found)
    assert [r["year"] for r in rows] == [2019, 2020]  # the frame's sort
    assert rows[1]["value"] is None and rows[1]["value_text"] == "NaN"
    assert rows[1]["lower_bound"] is None and rows[1]["upper_bound"] == 2.5
    assert rows[0]["value_text"] == "1" and rows[0]["sex"] == "FEMALE"
    assert list(rows[0]) == ["series", "publisher", "indicators", "area", "iso3", "area_name",
                             "period", "year", "value", "value_text", "units", "sex",
                             "unit_mult", "nature", "obs_status", "time_detail",
                             "lower_bound", "upper_bound", "source", "footnote", "attrs",
                             "release", "dims"]


def test_lean_questions() -> None:
    assert is_lean(ObservationQuery(series=["A", "B"], areas=SIX * 2, year_from=2000))
    assert not is_lean(ObservationQuery(series=["A", "B", "C"], areas=[KAZ]))
    assert not is_lean(ObservationQuery(series=["A"], areas=SIX * 3))
    assert not is_lean(ObservationQuery(series=["A"], areas=[]))
    assert not is_lean(ObservationQuery(series=["A"], areas=[KAZ], latest=True))
    assert not is_lean(ObservationQuery(series=["A"], areas=[KAZ], goals=["1"]))

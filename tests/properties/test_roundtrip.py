"""Hypothesis: any value text the readers accept comes back out exactly as written."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdgbridge.ingest.load import ingest
from sdgbridge.query import ObservationQuery, query_observations

HEADER = ["Goal", "Target", "Indicator", "SeriesCode", "SeriesDescription", "GeoAreaCode",
          "GeoAreaName", "TimePeriod", "Value", "Units", "Nature", "Sex"]

numbers = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
    st.decimals(-10**6, 10**6, places=4, allow_nan=False, allow_infinity=False).map(str),
    st.floats(0, 1000, allow_nan=False).map(lambda f: f"{f:.2f}"),  # trailing zeros: 12.50
)
FIXTURE = HealthCheck.function_scoped_fixture  # the store is reused across examples
values = st.one_of(numbers, st.sampled_from(["NaN", "N", "<0.5", ">95", "<2.5", ""]))


@settings(max_examples=25, deadline=None, suppress_health_check=[FIXTURE])
@given(st.lists(values, min_size=1, max_size=30))
def test_values_round_trip_exactly(sqlite_engine, vals: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prop.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            for year, v in enumerate(vals, start=1990):
                w.writerow(["1", "1.1", "1.1.1", "XX_PROP", "property test", "398", "Kazakhstan",
                            year, v, "PERCENT", "C", "BOTHSEX"])
        ingest(sqlite_engine, path)
    df = query_observations(sqlite_engine, ObservationQuery(series=["XX_PROP"], areas=["KAZ"]))
    # An empty CSV cell is no value at all: it comes back as null.
    assert df.sort("year")["value_text"].to_list() == [v or None for v in vals]


@settings(max_examples=10, deadline=None, suppress_health_check=[FIXTURE])
@given(st.floats(0.001, 1e6, allow_nan=False), st.integers(2, 1000))
def test_scaling_a_value_is_a_change_not_a_new_key(sqlite_engine, v: float, k: int) -> None:
    """Re-ingesting the same key with another value supersedes exactly one row."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.csv"
        rows = []
        for value in (repr(v), repr(v * k)):
            with path.open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(HEADER)
                w.writerow(["1", "1.1", "1.1.1", "XX_SCALE", "s", "398", "Kazakhstan", 2020,
                            value, "PERCENT", "C", "BOTHSEX"])
            rows.append(ingest(sqlite_engine, path))
    if repr(v) != repr(v * k):
        assert (rows[1].rows_loaded, rows[1].rows_superseded) == (1, 1)
    df = query_observations(sqlite_engine, ObservationQuery(series=["XX_SCALE"], areas=["KAZ"]))
    assert df["value_text"].to_list() == [repr(v * k)]

"""A few series in a few areas, current values, straight from the store to JSON-ready rows.

The API's most frequent question ("this series for this country") needs no frame: two
indexed queries (the series with their indicators, then the observations through
``ix_observation_key``) and a little Python give the rows that
:func:`~sdgbridge.query.observations.query_observations` gives for the same question, with
the same columns in the same order, the same values and the same sort
(``tests/query/test_series_area.py`` holds the two to each other on both stores). It skips
the frame's fixed costs (a few milliseconds), which for an answer of tens of rows are most
of the work.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, Connection, Select, bindparam, select

from sdgbridge.db import tables as t
from sdgbridge.errors import UnknownSeries
from sdgbridge.ingest.model import ATTRIBUTES, parse_dims
from sdgbridge.query.observations import _code_order

YEARS = (-(2**31), 2**31 - 1)  # every year a store's integer column holds
_o, _s, _a, _d, _si = (t.observation.c, t.series.c, t.area.c, t.dimension_set.c,
                       t.series_indicator.c)


def _each(name: str, n: int) -> list[BindParameter[Any]]:
    return [bindparam(f"{name}{i}") for i in range(n)]


# One statement per number of codes, built once: SQLAlchemy compiles it once per engine and
# reuses it (an "expanding" IN would be written out again on every call, at a cost larger
# than the query's).
@lru_cache(maxsize=64)
def _series_stmt(n: int) -> Select[Any]:
    return (select(_s.id, _si.indicator)
            .select_from(t.series.outerjoin(t.series_indicator, _si.series_id == _s.id))
            .where(_s.code.in_(_each("s", n))))


@lru_cache(maxsize=256)
def _rows_stmt(n_ids: int, n_areas: int) -> Select[Any]:
    return (select(_s.code, _s.publisher, _o.series_id, _o.area_code, _a.iso3, _a.name_en,
                   _o.period, _o.year, _o.value, _o.value_text, _o.units, _d.key,
                   *[getattr(_o, c) for c in ATTRIBUTES], _o.release_id)
            .select_from(t.observation.join(t.series, _s.id == _o.series_id)
                         .join(t.dimension_set, _d.id == _o.dims_id)
                         .outerjoin(t.area, _a.code == _o.area_code))
            .where(_o.series_id.in_(_each("i", n_ids)), _o.area_code.in_(_each("a", n_areas)),
                   _o.superseded_by.is_(None),
                   _o.year >= bindparam("first"), _o.year <= bindparam("last")))


_HEAD = ("series", "publisher", "indicators", "area", "iso3", "area_name", "period", "year",
         "value", "value_text", "units")
_TAIL = (*ATTRIBUTES, "release", "dims")
assert ATTRIBUTES[4:6] == ("lower_bound", "upper_bound")  # the floats among them


def series_area_rows(conn: Connection, series: Sequence[str], areas: Sequence[str],
                     year_from: int | None = None, year_to: int | None = None
                     ) -> list[dict[str, Any]]:
    """Current observations of the ``series`` (codes) in the ``areas`` (M49 codes, already
    resolved; none, no rows), in ``query_observations``' layout and order;
    :class:`UnknownSeries` when no code is known."""
    indicators = indicator_map(conn.execute(*series_query(series)), series)
    if not areas:
        return []
    with conn.execute(*rows_query(indicators, areas, year_from, year_to)) as result:
        found = result.cursor.fetchall()  # the driver's plain tuples: no conversion needed
    return build_rows(indicators, found)


# The two queries and the row building apart, for :mod:`sdgbridge.web.fast`, which runs the
# same statements on a plain DB-API connection.

def series_query(series: Sequence[str]) -> tuple[Select[Any], dict[str, object]]:
    """The statement and parameters giving (series id, indicator) for the codes."""
    codes = list(dict.fromkeys(series))
    return _series_stmt(len(codes)), _named("s", codes)


def rows_query(ids: Iterable[int], areas: Sequence[str], year_from: int | None,
               year_to: int | None) -> tuple[Select[Any], dict[str, object]]:
    """The statement and parameters giving the current observations' rows."""
    ids = list(ids)
    return _rows_stmt(len(ids), len(areas)), {
        **_named("i", ids), **_named("a", areas),
        "first": YEARS[0] if year_from is None else year_from,
        "last": YEARS[1] if year_to is None else year_to}


def indicator_map(found: Iterable[Sequence[Any]], series: Sequence[str]
                  ) -> dict[int, str | None]:
    """Series id -> its indicators, comma-separated in code order (None without any), from
    the rows of :func:`series_query`; :class:`UnknownSeries` when there are none."""
    out: dict[int, list[str]] = {}
    for sid, indicator in found:
        out.setdefault(sid, [])
        if indicator is not None:
            out[sid].append(indicator)
    if not out:
        raise UnknownSeries(list(series))
    return {sid: ",".join(sorted(v, key=_code_order)) or None for sid, v in out.items()}


def build_rows(indicators: dict[int, str | None], found: list[Any]) -> list[dict[str, Any]]:
    """The JSON-ready rows from the tuples of :func:`rows_query` (sorted in place)."""
    # The frame's sort: series, publisher, area, dims, units, year, period (none is null).
    found.sort(key=itemgetter(0, 1, 3, 11, 10, 7, 6))
    dims = {key: parse_dims(key) for key in {r[11] for r in found}}
    names = sorted({n for d in dims.values() for n in d})
    columns = (*_HEAD, *names, *_TAIL)
    members = {key: tuple(d.get(n) for n in names) for key, d in dims.items()}
    return [dict(zip(columns, (
        *r[:2], indicators[r[2]], *r[3:8], _number(r[8]),
        value_text(r[8]) if r[9] is None else r[9], r[10], *members[r[11]],
        *r[12:16], _number(r[16]), _number(r[17]), *r[18:], r[11]), strict=True))
        for r in found]


def _named(name: str, values: Iterable[object]) -> dict[str, object]:
    return {f"{name}{i}": v for i, v in enumerate(values)}


def _number(v: float | None) -> float | None:
    """A float column's value as the frame's JSON gives it: a float, NaN as null."""
    return None if v is None or v != v else float(v)


def value_text(value: float | None) -> str | None:
    """A stored float as text the way :func:`sdgbridge.ingest.load.render_value` writes it:
    integers without ``.0``; otherwise the shortest text that reads back the same float, in
    positional notation from 1e-5 up to 1e16 and ``1.5e-7`` / ``1.5e+16`` outside."""
    if value is None:
        return None
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == math.floor(value) and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e-" not in text:
        return text
    mantissa, exponent = text.split("e-")
    if int(exponent) > 5:
        return f"{mantissa}e-{int(exponent)}"
    sign, digits = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
    return f"{sign}0.{'0' * (int(exponent) - 1)}{digits.replace('.', '')}"

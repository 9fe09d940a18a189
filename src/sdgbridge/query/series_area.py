"""A few series in a few areas, current values, straight from the store to JSON-ready rows.

The API's most frequent question ("this series for this country") needs no frame: a few
indexed queries and a little Python give the rows that
:func:`~sdgbridge.query.observations.query_observations` gives for the same question, with
the same columns in the same order, the same values and the same sort
(``tests/query/test_series_area.py`` holds the two to each other on both stores). It skips
the frame's fixed costs (a few milliseconds), which for an answer of tens of rows are most
of the work.

The observations are read with their dimension key only, by ``ix_observation_key``; what
every row of a series or an area shares (the series' code, publisher and indicators; the
area's ISO code and name) is read once per question into :class:`Lookups`, not once per row
through joins: turning a stored value into a Python object is most of the cost of such a
query, and each row would repeat four strings. A caller that knows when the store changes
(:mod:`sdgbridge.web.fast`) keeps its :class:`Lookups` between questions. The rows are
built from one template per series, area and dimension set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, Connection, Select, bindparam, select

from sdgbridge.db import tables as t
from sdgbridge.db.values import value_text
from sdgbridge.errors import UnknownSeries
from sdgbridge.ingest.model import ATTRIBUTES, parse_dims
from sdgbridge.query.observations import _code_order

YEARS = (-(2**31), 2**31 - 1)  # every year a store's integer column holds
_o, _s, _a, _d, _si = (t.observation.c, t.series.c, t.area.c, t.dimension_set.c,
                       t.series_indicator.c)

# Runs a statement with its parameters and gives the rows as plain tuples.
Run = Callable[[Select[Any], dict[str, object]], list[Any]]


def _each(name: str, n: int) -> list[BindParameter[Any]]:
    return [bindparam(f"{name}{i}") for i in range(n)]


# One statement per number of codes, built once: SQLAlchemy compiles it once per engine and
# reuses it (an "expanding" IN would be written out again on every call, at a cost larger
# than the query's).
@lru_cache(maxsize=64)
def _series_stmt(n: int) -> Select[Any]:
    return (select(_s.id, _s.code, _s.publisher, _si.indicator)
            .select_from(t.series.outerjoin(t.series_indicator, _si.series_id == _s.id))
            .where(_s.code.in_(_each("s", n))))


@lru_cache(maxsize=64)
def _areas_stmt(n: int) -> Select[Any]:
    return select(_a.code, _a.iso3, _a.name_en).where(_a.code.in_(_each("a", n)))


# The rows' columns: the keys first (series id, area, dimension key), then the values in
# the order of the answer's columns that change from row to row (_VARYING).
_VARYING = ("period", "year", "value", "value_text", "units", *ATTRIBUTES, "release")
SID, AREA, DIMS, PERIOD, YEAR, VALUE, TEXT, UNITS = 0, 1, 2, 3, 4, 5, 6, 7
LOWER, UPPER = 3 + _VARYING.index("lower_bound"), 3 + _VARYING.index("upper_bound")


@lru_cache(maxsize=256)
def _rows_stmt(n_ids: int, n_areas: int) -> Select[Any]:
    return (select(_o.series_id, _o.area_code, _d.key, _o.period, _o.year, _o.value,
                   _o.value_text, _o.units, *[getattr(_o, c) for c in ATTRIBUTES],
                   _o.release_id)
            .select_from(t.observation.join(t.dimension_set, _d.id == _o.dims_id))
            .where(_o.series_id.in_(_each("i", n_ids)), _o.area_code.in_(_each("a", n_areas)),
                   _o.superseded_by.is_(None),
                   _o.year >= bindparam("first"), _o.year <= bindparam("last")))


class Lookups:
    """What rows share, read once: the series by code and the areas.

    Valid for one state of the store: a caller keeping it between questions must drop it
    when the store changes (a new release can add a series' indicator, an area's name).
    """

    def __init__(self) -> None:
        # series codes -> {series id: (code, publisher, indicators)}
        self.series: dict[tuple[str, ...], dict[int, tuple[str, str, str | None]]] = {}
        self.areas: dict[str, tuple[str | None, str | None]] = {}  # M49 -> (ISO3, name)

    def __len__(self) -> int:
        return len(self.series) + len(self.areas)

    def series_heads(self, run: Run, series: Sequence[str]
                     ) -> dict[int, tuple[str, str, str | None]]:
        """Series id -> (code, publisher, indicators comma-separated in code order, None
        without any) for the codes; :class:`UnknownSeries` when no code is known."""
        codes = tuple(dict.fromkeys(series))
        heads = self.series.get(codes)
        if heads is None:
            found: dict[int, tuple[str, str, list[str]]] = {}
            for sid, code, publisher, indicator in run(_series_stmt(len(codes)),
                                                       _named("s", codes)):
                kept = found.setdefault(sid, (code, publisher, []))
                if indicator is not None:
                    kept[2].append(indicator)
            if not found:
                raise UnknownSeries(list(series))
            heads = self.series[codes] = {
                sid: (code, publisher, ",".join(sorted(i, key=_code_order)) or None)
                for sid, (code, publisher, i) in found.items()}
        return heads

    def area_heads(self, run: Run, areas: Sequence[str]) -> None:
        """Reads the ISO3 code and English name of the areas not yet known."""
        missing = [a for a in dict.fromkeys(areas) if a not in self.areas]
        if missing:
            self.areas.update((code, (iso3, name)) for code, iso3, name in run(
                _areas_stmt(len(missing)), _named("a", missing)))
            for code in missing:  # a code the area table lacks: as the frame's outer join
                self.areas.setdefault(code, (None, None))


def series_area_rows(conn: Connection, series: Sequence[str], areas: Sequence[str],
                     year_from: int | None = None, year_to: int | None = None
                     ) -> list[dict[str, Any]]:
    """Current observations of the ``series`` (codes) in the ``areas`` (M49 codes, already
    resolved; none, no rows), in ``query_observations``' layout and order;
    :class:`UnknownSeries` when no code is known."""

    def run(stmt: Select[Any], params: dict[str, object]) -> list[Any]:
        with conn.execute(stmt, params) as result:
            return list(result.cursor.fetchall())  # the driver's plain tuples: no conversion

    return lean_rows(run, Lookups(), series, areas, year_from, year_to)


def lean_rows(run: Run, lookups: Lookups, series: Sequence[str], areas: Sequence[str],
              year_from: int | None, year_to: int | None) -> list[dict[str, Any]]:
    """:func:`series_area_rows` on any way of running the statements, with ``lookups``
    (new, or kept while the store stays the same)."""
    heads = lookups.series_heads(run, series)
    if not areas:
        return []
    lookups.area_heads(run, areas)
    found = run(_rows_stmt(len(heads), len(areas)), {
        **_named("i", heads), **_named("a", areas),
        "first": YEARS[0] if year_from is None else year_from,
        "last": YEARS[1] if year_to is None else year_to})
    return build_rows(heads, lookups, found)


def build_rows(heads: dict[int, tuple[str, str, str | None]], lookups: Lookups,
               found: list[Any]) -> list[dict[str, Any]]:
    """The JSON-ready rows from the tuples of the rows statement (sorted in place)."""
    # The frame's sort: series, publisher, area, dims, units, year, period (none is null).
    if len(heads) == 1:
        found.sort(key=_ORDER)
    else:
        found.sort(key=lambda r: (heads[r[SID]][:2], *_ORDER(r)))
    members = {key: parse_dims(key) for key in {r[DIMS] for r in found}}
    names = sorted({n for m in members.values() for n in m})
    # A template per series, area and dimension set holding every column in the answer's
    # order: a row is its copy with the varying values put in (a dict keeps a key's place
    # when its value is replaced). Sorted, the rows of one template follow each other.
    out: list[dict[str, Any]] = []
    append = out.append
    last, template = None, {}
    for r in found:
        if r[:3] != last:
            last = r[:3]
            template = _template(heads[r[SID]], r[AREA], lookups.areas[r[AREA]], names,
                                 members[r[DIMS]], r[DIMS])
        row = template.copy()
        row.update(zip(_VARYING, r[PERIOD:], strict=True))
        if r[TEXT] is None:
            row["value_text"] = value_text(r[VALUE])
        if r[VALUE] != r[VALUE] or r[LOWER] != r[LOWER] or r[UPPER] != r[UPPER]:
            for name, i in _FLOATS:  # NaN (PostgreSQL keeps it): null, as in the frame
                if r[i] != r[i]:
                    row[name] = None
        append(row)
    return out


_ORDER = itemgetter(AREA, DIMS, UNITS, YEAR, PERIOD)
_FLOATS = (("value", VALUE), ("lower_bound", LOWER), ("upper_bound", UPPER))


def _template(head: tuple[str, str, str | None], area: str,
              place: tuple[str | None, str | None], names: list[str],
              members: dict[str, str], key: str) -> dict[str, Any]:
    return {"series": head[0], "publisher": head[1], "indicators": head[2], "area": area,
            "iso3": place[0], "area_name": place[1],
            **dict.fromkeys(_VARYING[:5]), **{n: members.get(n) for n in names},
            **dict.fromkeys(_VARYING[5:]), "dims": key}


def _named(name: str, values: Iterable[object]) -> dict[str, object]:
    return {f"{name}{i}": v for i, v in enumerate(values)}

"""A roadmap as a file gives it: its priority areas, commitments, milestones and key
performance indicators (KPIs), checked field by field; every refusal names the file, the
line and the field, and says what to write (:func:`parse_roadmap`).

The file (YAML)::

    roadmap:
      key: ca-eu-example            # letters, digits, hyphens
      title: {en: "…", ru: "…"}     # or one text (English)
      kind: joint_roadmap           # joint_roadmap | national_plan | joint_programme | other
      example: true                 # shipped as an example
      areas:
        - key: energy
          title: {en: Energy, ru: Энергетика}
          commitments:
            - key: renewables
              title: {en: "…"}
              responsible: [XI-IATI-EC_INTPA]   # organisations of the registry, by ref
              countries: [KAZ, KGZ]             # ISO 3166 alpha-3
              deadline: 2030-12-31
              targets: ["7.2"]                  # SDG targets
              projects: []                      # IATI identifiers of stored projects
              milestones: [{title: "…", due: 2027-12-31}]
              kpis:
                - key: renewable-share
                  series: EG_FEC_RNEW           # a series of the store
                  direction: higher             # or lower; default: the target table's
                  target: rel:1.25              # a number, rel:FACTOR of the baseline,
                                                # or left out: the method's own target
                  baseline_year: 2015
                  target_year: 2030
                  note: {en: "Raise by a quarter from the 2015 baseline."}
      series:                       # the roadmap's own series, if any (values loaded by
        - code: CA_CORRIDOR_FREIGHT  # `sdgbridge roadmaps values KEY FILE.csv`)
          publisher: SDG_CENTRE     # default SDG_CENTRE; never UNSD or SDSN
          name: {en: "Freight on the corridor", ru: "…"}
          units: MT                 # the unit's code
          indicators: ["9.1.2"]     # SDG indicators it serves, if any

A KPI names its series by code; one of the roadmap's own series needs no ``publisher``.

Whether the series, organisations, targets, countries and projects exist is checked against
the store by :mod:`.service`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sdgbridge.errors import N_, InputError, Nested
from sdgbridge.roadmaps.yamlfile import Mapping

KINDS = ("joint_roadmap", "national_plan", "joint_programme", "other")
DIRECTIONS = ("higher", "lower")
_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_TARGET = re.compile(r"rel:\d+(\.\d+)?(/\d+(\.\d+)?)?|-?\d+(\.\d+)?")
_SDG_TARGET = re.compile(r"(1[0-7]|[1-9])\.([1-9]\d?|[a-z])")
_SDG_INDICATOR = re.compile(r"(1[0-7]|[1-9])\.([1-9]\d?|[a-z])\.[1-9]\d?")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,63}")
_PUBLISHER = re.compile(r"[A-Z][A-Z0-9_]{1,31}")
OWN_PUBLISHER = "SDG_CENTRE"  # the default publisher of a roadmap's own series
RESERVED_PUBLISHERS = ("UNSD", "SDSN")


@dataclass(frozen=True)
class KPIDef:
    key: str
    series: str
    publisher: str
    direction: str | None
    target: str | None
    baseline_year: int
    target_year: int
    countries: tuple[str, ...]
    note_en: str | None
    note_ru: str | None
    line: int
    lines: dict[str, int] = field(default_factory=dict, compare=False)  # of each field


@dataclass(frozen=True)
class SeriesDef:
    """A series of the roadmap's own, whose values are loaded from a CSV file."""

    code: str
    publisher: str
    name_en: str
    name_ru: str | None
    units: str
    indicators: tuple[str, ...]
    line: int
    lines: dict[str, int] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class MilestoneDef:
    title_en: str
    title_ru: str | None
    due: date | None
    line: int


@dataclass(frozen=True)
class CommitmentDef:
    key: str
    title_en: str
    title_ru: str | None
    description: str | None
    deadline: date | None
    responsible: tuple[str, ...]
    countries: tuple[str, ...]
    targets: tuple[str, ...]
    projects: tuple[str, ...]
    milestones: tuple[MilestoneDef, ...]
    kpis: tuple[KPIDef, ...]
    line: int
    lines: dict[str, int] = field(default_factory=dict, compare=False)  # of each field


@dataclass(frozen=True)
class AreaDef:
    key: str
    title_en: str
    title_ru: str | None
    commitments: tuple[CommitmentDef, ...]
    line: int


@dataclass(frozen=True)
class RoadmapDef:
    key: str
    title_en: str
    title_ru: str | None
    kind: str
    description: str | None
    example: bool
    description_ru: str | None = None
    areas: tuple[AreaDef, ...] = field(default=())
    source: str = ""
    series: tuple[SeriesDef, ...] = field(default=())

    def commitments(self) -> list[CommitmentDef]:
        return [c for a in self.areas for c in a.commitments]


class _Reader:
    """Fields of a file's mappings, each refusal naming the file, line and field."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, m: Mapping | None, key: str, message: str, **params: Any) -> InputError:
        line = (m.lines.get(key, m.line) if isinstance(m, Mapping) else 0)
        return InputError(N_("{file}, line {line}, {field}: {problem}"), file=self.file,
                          line=line, field=key, problem=Nested(message, **params))

    def mapping(self, value: Any, parent: Mapping, key: str) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.fail(parent, key, N_("expected a mapping of fields (key: value)."))
        return value

    def items(self, m: Mapping, key: str, required: bool = False) -> list[Mapping]:
        value = m.get(key)
        if value is None:
            if required:
                raise self.fail(m, key, N_("missing: give a list."))
            return []
        if not isinstance(value, list):
            raise self.fail(m, key, N_("expected a list (lines starting with '- ')."))
        return [self.mapping(v, m, key) for v in value]

    def text(self, m: Mapping, key: str, required: bool = False) -> str | None:
        value = m.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(m, key, N_("missing: give a text."))
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(m, key, N_("expected a text, not {kind}."),
                            kind=type(value).__name__)
        return str(value).strip()

    def titles(self, m: Mapping, key: str = "title", required: bool = True
               ) -> tuple[str, str | None]:
        value = m.get(key)
        if isinstance(value, Mapping):
            en, ru = self.text(value, "en", required), self.text(value, "ru")
            unknown = set(value) - {"en", "ru"}
            if unknown:
                raise self.fail(value, sorted(unknown)[0], N_("a title is given in en and "
                                                              "ru only."))
            return en or "", ru
        return self.text(m, key, required) or "", None

    def key(self, m: Mapping, seen: set[str]) -> str:
        value = self.text(m, "key", True) or ""
        if not _KEY.fullmatch(value):
            raise self.fail(m, "key", N_("{value!r}: write small letters, digits and "
                                         "hyphens (e.g. renewable-share)."), value=value)
        if value in seen:
            raise self.fail(m, "key", N_("{value} is used twice here; keys are unique."),
                            value=value)
        seen.add(value)
        return value

    def year(self, m: Mapping, key: str, default: int) -> int:
        value = m.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
            raise self.fail(m, key, N_("{value!r} is not a year: give four digits "
                                       "(1990-2100)."), value=value)
        return value

    def day(self, m: Mapping, key: str) -> date | None:
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(m, key, N_("{value!r} is not a date: write yyyy-mm-dd."),
                            value=value) from None

    def codes(self, m: Mapping, key: str) -> tuple[str, ...]:
        value = m.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [v for v in re.split(r"[\s,;]+", value) if v]
        if not isinstance(value, list) or not all(isinstance(v, str | int | float)
                                                  for v in value):
            raise self.fail(m, key, N_("expected a list of codes."))
        return tuple(str(v).strip() for v in value)


def parse_roadmap(data: Any, file: str) -> RoadmapDef:
    """The roadmap of a file's data (as :func:`.yamlfile.read_yaml` gives it), checked."""
    r = _Reader(file)
    if not isinstance(data, Mapping) or "roadmap" not in data:
        raise InputError(N_("{file}: a roadmap file starts with 'roadmap:' (see "
                            "docs/roadmaps.md)."), file=file)
    m = r.mapping(data["roadmap"], data, "roadmap")
    title_en, title_ru = r.titles(m)
    kind = r.text(m, "kind") or "other"
    if kind not in KINDS:
        raise r.fail(m, "kind", N_("{value}: one of {allowed}."), value=kind,
                     allowed=", ".join(KINDS))
    example = m.get("example", False)
    if not isinstance(example, bool):
        raise r.fail(m, "example", N_("write true or false."))
    areas, area_keys, commitment_keys = [], set[str](), set[str]()
    for position, a in enumerate(r.items(m, "areas", True)):
        a_en, a_ru = r.titles(a)
        commitments = tuple(_commitment(r, c, commitment_keys)
                            for c in r.items(a, "commitments"))
        areas.append(AreaDef(r.key(a, area_keys), a_en, a_ru, commitments, a.line))
        del position
    description, description_ru = r.titles(m, "description", required=False)
    own = _own_series(r, m)
    return RoadmapDef(key=r.key(m, set()), title_en=title_en, title_ru=title_ru, kind=kind,
                      description=description or None, description_ru=description_ru,
                      example=example, areas=_publishers(tuple(areas), own), source=file,
                      series=own)


def _own_series(r: _Reader, m: Mapping) -> tuple[SeriesDef, ...]:
    found: list[SeriesDef] = []
    codes: set[str] = set()
    for s in r.items(m, "series"):
        code = (r.text(s, "code", True) or "").upper()
        if not _CODE.fullmatch(code):
            raise r.fail(s, "code", N_("{value!r}: write capital letters, digits and "
                                       "underscores (e.g. CA_CORRIDOR_FREIGHT)."), value=code)
        if code in codes:
            raise r.fail(s, "code", N_("{value} is used twice here; keys are unique."),
                         value=code)
        codes.add(code)
        publisher = (r.text(s, "publisher") or OWN_PUBLISHER).upper()
        if not _PUBLISHER.fullmatch(publisher) or publisher in RESERVED_PUBLISHERS:
            raise r.fail(s, "publisher", N_("{value}: give your own publisher's code in "
                                            "capitals (SDG_CENTRE by default); UNSD's and "
                                            "SDSN's series come from their own data."),
                         value=publisher)
        name_en, name_ru = r.titles(s, "name")
        units = (r.text(s, "units", True) or "").upper()
        if not _CODE.fullmatch(units) and not re.fullmatch(r"[A-Z]", units):
            raise r.fail(s, "units", N_("{value!r}: give the unit's code (PERCENT, MT, "
                                        "USD)."), value=units)
        indicators = r.codes(s, "indicators")
        bad = [x for x in indicators if not _SDG_INDICATOR.fullmatch(x.lower())]
        if bad:
            raise r.fail(s, "indicators", N_("{codes}: SDG indicators are written like "
                                             "9.1.2."), codes=", ".join(bad))
        found.append(SeriesDef(code, publisher, name_en, name_ru, units,
                               tuple(x.lower() for x in indicators), s.line, dict(s.lines)))
    return tuple(found)


def _publishers(areas: tuple[AreaDef, ...], own: tuple[SeriesDef, ...]
                ) -> tuple[AreaDef, ...]:
    """A KPI without a publisher: its series' own publisher when the roadmap defines the
    series, else UNSD."""
    defined = {s.code: s.publisher for s in own}

    def kpi(k: KPIDef) -> KPIDef:
        return k if k.publisher else replace(k, publisher=defined.get(k.series, "UNSD"))
    return tuple(replace(a, commitments=tuple(
        replace(c, kpis=tuple(kpi(k) for k in c.kpis)) for c in a.commitments))
        for a in areas)


def _commitment(r: _Reader, c: Mapping, seen: set[str]) -> CommitmentDef:
    key = r.key(c, seen)
    title_en, title_ru = r.titles(c)
    targets = r.codes(c, "targets")
    bad = [x for x in targets if not _SDG_TARGET.fullmatch(x.lower())]
    if bad:
        raise r.fail(c, "targets", N_("{codes}: SDG targets are written like 7.2 or 6.a."),
                     codes=", ".join(bad))
    countries = tuple(x.upper() for x in r.codes(c, "countries"))
    milestones = []
    for ms in r.items(c, "milestones"):
        en, ru = r.titles(ms)
        milestones.append(MilestoneDef(en, ru, r.day(ms, "due"), ms.line))
    kpi_keys: set[str] = set()
    kpis = tuple(_kpi(r, k, kpi_keys, countries) for k in r.items(c, "kpis"))
    return CommitmentDef(
        key=key, title_en=title_en, title_ru=title_ru, description=r.text(c, "description"),
        deadline=r.day(c, "deadline"), responsible=r.codes(c, "responsible"),
        countries=countries, targets=tuple(x.lower() for x in targets),
        projects=r.codes(c, "projects"), milestones=tuple(milestones), kpis=kpis,
        line=c.line, lines=dict(c.lines))


def _kpi(r: _Reader, k: Mapping, seen: set[str], countries: tuple[str, ...]) -> KPIDef:
    key = r.key(k, seen)
    direction = r.text(k, "direction")
    if direction is not None and direction not in DIRECTIONS:
        raise r.fail(k, "direction", N_("{value}: higher or lower."), value=direction)
    target = r.text(k, "target")
    if target is not None and not _TARGET.fullmatch(target):
        raise r.fail(k, "target", N_("{value!r}: a number (the target value), rel:FACTOR "
                                     "(a multiple of the baseline: rel:1.25 raises it by a "
                                     "quarter), or leave it out (the method's own target)."),
                     value=target)
    baseline, target_year = r.year(k, "baseline_year", 2015), r.year(k, "target_year", 2030)
    if target_year <= baseline:
        raise r.fail(k, "target_year", N_("{target_year} is not after the baseline year "
                                          "{baseline}."), target_year=target_year,
                     baseline=baseline)
    note_en, note_ru = r.titles(k, "note", required=False)
    own = tuple(x.upper() for x in r.codes(k, "countries"))
    return KPIDef(key=key, series=r.text(k, "series", True) or "",
                  publisher=(r.text(k, "publisher") or "").upper(), direction=direction,
                  target=target, baseline_year=baseline, target_year=target_year,
                  countries=own or countries, note_en=note_en or None, note_ru=note_ru,
                  line=k.line, lines=dict(k.lines))

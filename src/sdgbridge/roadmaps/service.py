"""Storing a roadmap from its file: every part checked against the store (the KPI's series,
the responsible organisations in the registry, the SDG targets, the countries, the linked
projects) before one transaction writes it whole, recorded in the audit trail. A refusal
names the file, line and field; nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select

from sdgbridge import audit
from sdgbridge.accounts.roles import check
from sdgbridge.actors import current_actor
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, InputError, Nested
from sdgbridge.roadmaps.kpis import shipped_direction
from sdgbridge.roadmaps.model import (
    CommitmentDef,
    KPIDef,
    RoadmapDef,
    SeriesDef,
    parse_roadmap,
)
from sdgbridge.roadmaps.yamlfile import read_yaml

LOCAL_VIAS = ("cli", "system")


@dataclass(frozen=True)
class RoadmapReport:
    """What an import stored."""

    roadmap_id: int
    key: str
    areas: int
    commitments: int
    kpis: int


def read_roadmap(path: Path) -> RoadmapDef:
    """The roadmap in the file at ``path`` (YAML, or CSV as :mod:`.exchange` writes it),
    checked field by field (not yet against the store)."""
    if path.suffix.lower() == ".csv":
        from sdgbridge.roadmaps.exchange import read_roadmap_csv

        return read_roadmap_csv(path)
    return parse_roadmap(read_yaml(path), path.name)


def _fail(file: str, part: CommitmentDef | KPIDef | SeriesDef, field: str, message: str,
          **params: object) -> InputError:
    """A refusal naming the file, the line of ``field`` in ``part`` (else of the part)."""
    return InputError(N_("{file}, line {line}, {field}: {problem}"), file=file,
                      line=part.lines.get(field, part.line), field=field,
                      problem=Nested(message, **params))


def _check(conn: Connection, rd: RoadmapDef) -> dict[str, int]:
    """Everything the roadmap names exists in the store; the registry's organisation id of
    each responsible ref."""
    if conn.execute(select(t.roadmap.c.id).where(t.roadmap.c.key == rd.key)).first():
        raise InputError(N_("{file}: a roadmap {key} is stored already; give the file "
                            "another key, or remove the stored one first."), file=rd.source,
                         key=rd.key)
    a, o, s, tg = t.area.c, t.organisation.c, t.series.c, t.target.c
    commitments = rd.commitments()
    refs = {r for c in commitments for r in c.responsible}
    orgs = {ref: oid for ref, oid in conn.execute(select(o.ref, o.id).where(
        o.ref.in_(refs), o.archived.is_(False)))} if refs else {}
    countries = {x for c in commitments for x in c.countries} | {
        x for c in commitments for k in c.kpis for x in k.countries}
    known_countries = set(conn.execute(select(a.iso3).where(a.iso3.in_(countries))
                                       ).scalars()) if countries else set()
    targets = {x for c in commitments for x in c.targets}
    known_targets = set(conn.execute(select(tg.code).where(tg.code.in_(targets))).scalars()
                        ) if targets else set()
    series = {(k.series, k.publisher) for c in commitments for k in c.kpis}
    known_series = {(code, pub) for code, pub in conn.execute(select(s.code, s.publisher)
                                                              .where(s.code.in_(
                                                                  {x for x, _ in series})))}
    _check_own_series(conn, rd)
    known_series |= {(x.code, x.publisher) for x in rd.series}
    projects = {p for c in commitments for p in c.projects}
    known_projects = set(conn.execute(select(t.iati_activity.c.iati_identifier).where(
        t.iati_activity.c.iati_identifier.in_(projects))).scalars()) if projects else set()
    for c in commitments:
        _check_commitment(rd.source, c, orgs, known_countries, known_targets, known_projects)
        for k in c.kpis:
            _check_kpi(rd.source, k, known_series, known_countries)
    return orgs


def _check_own_series(conn: Connection, rd: RoadmapDef) -> None:
    """The roadmap's own series serve indicators of the framework, and one already stored
    (by another roadmap, or by values loaded before) keeps its units."""
    wanted = {i for x in rd.series for i in x.indicators}
    known = set(conn.execute(select(t.indicator.c.code).where(t.indicator.c.code.in_(wanted))
                             ).scalars()) if wanted else set()
    for x in rd.series:
        unknown = [i for i in x.indicators if i not in known]
        if unknown:
            raise _fail(rd.source, x, "indicators", N_("{codes}: no such SDG indicator in "
                                                       "the framework."),
                        codes=", ".join(unknown))
        units = set(conn.execute(select(t.roadmap_series.c.units).join(
            t.series, t.series.c.id == t.roadmap_series.c.series_id).where(
            t.series.c.code == x.code, t.series.c.publisher == x.publisher)).scalars())
        if units and units != {x.units}:
            raise _fail(rd.source, x, "units", N_("{series} of {publisher} is stored in "
                                                  "{stored} already; use those units or "
                                                  "another code."), series=x.code,
                        publisher=x.publisher, stored=", ".join(sorted(units)))


def _check_commitment(file: str, c: CommitmentDef, orgs: dict[str, int],
                      countries: set[str], targets: set[str], projects: set[str]) -> None:
    missing = [r for r in c.responsible if r not in orgs]
    if missing:
        raise _fail(file, c, "responsible", N_("{refs} not in the organisations "
                                                     "registry: register them first "
                                                     "(`sdgbridge orgs add --ref …`)."),
                    refs=", ".join(missing))
    unknown = [x for x in c.countries if x not in countries]
    if unknown:
        raise _fail(file, c, "countries", N_("{codes}: not a country of the store; "
                                                   "give ISO 3166 alpha-3 codes (KGZ)."),
                    codes=", ".join(unknown))
    unknown = [x for x in c.targets if x not in targets]
    if unknown:
        raise _fail(file, c, "targets", N_("{codes}: no such SDG target in the "
                                                 "framework."), codes=", ".join(unknown))
    unknown = [x for x in c.projects if x not in projects]
    if unknown:
        raise _fail(file, c, "projects", N_("{codes}: no such project stored (import "
                                                  "the IATI file or add it by hand first)."),
                    codes=", ".join(unknown))


def _check_kpi(file: str, k: KPIDef, series: set[tuple[str, str]],
               countries: set[str]) -> None:
    if k.direction is None and shipped_direction(k.series) is None:
        raise _fail(file, k, "direction", N_("the target table has no direction for "
                                                   "{series}: write higher or lower."),
                    series=k.series)
    if (k.series, k.publisher) not in series:
        raise _fail(file, k, "series", N_("no series {series} of {publisher} in the "
                                               "store: load its data first (`sdgbridge "
                                               "series` lists the loaded ones)."),
                    series=k.series, publisher=k.publisher)
    if not k.countries:
        raise _fail(file, k, "countries", N_("name the countries, here or on its "
                                                   "commitment."))
    unknown = [x for x in k.countries if x not in countries]
    if unknown:
        raise _fail(file, k, "countries", N_("{codes}: not a country of the store."),
                    codes=", ".join(unknown))


def import_roadmap(engine: Engine, path: Path) -> RoadmapReport:
    """Read, check and store the roadmap in ``path`` whole; nothing is written when any part
    is refused."""
    actor = current_actor()
    if actor.via not in LOCAL_VIAS:
        check(actor, "create", "roadmap", what=path.name)
    rd = read_roadmap(path)
    with engine.begin() as conn:
        orgs = _check(conn, rd)
        roadmap_id = _write(conn, rd, orgs)
        audit.record(conn, "created", "roadmap", roadmap_id,
                     after={"key": rd.key, "source": rd.source,
                            "commitments": len(rd.commitments())})
    return RoadmapReport(roadmap_id, rd.key, len(rd.areas), len(rd.commitments()),
                         sum(len(c.kpis) for c in rd.commitments()))


def _write(conn: Connection, rd: RoadmapDef, orgs: dict[str, int]) -> int:
    roadmap_id = int(conn.execute(insert(t.roadmap).values(
        key=rd.key, title_en=rd.title_en, title_ru=rd.title_ru, kind=rd.kind,
        description=rd.description, description_ru=rd.description_ru, example=rd.example,
        source=rd.source,
        created_at=datetime.now(UTC)).returning(t.roadmap.c.id)).scalar_one())
    position = 0
    for a_pos, area in enumerate(rd.areas):
        area_id = int(conn.execute(insert(t.roadmap_area).values(
            roadmap_id=roadmap_id, key=area.key, title_en=area.title_en,
            title_ru=area.title_ru, position=a_pos).returning(t.roadmap_area.c.id)
        ).scalar_one())
        for c in area.commitments:
            cid = int(conn.execute(insert(t.commitment).values(
                roadmap_id=roadmap_id, area_id=area_id, key=c.key, title_en=c.title_en,
                title_ru=c.title_ru, description=c.description, deadline=c.deadline,
                countries=",".join(c.countries), targets=",".join(c.targets),
                projects="\n".join(c.projects), position=position)
                .returning(t.commitment.c.id)).scalar_one())
            position += 1
            for ref in dict.fromkeys(c.responsible):
                conn.execute(insert(t.commitment_party).values(commitment_id=cid,
                                                               organisation_id=orgs[ref]))
            for m_pos, m in enumerate(c.milestones):
                conn.execute(insert(t.milestone).values(
                    commitment_id=cid, title_en=m.title_en, title_ru=m.title_ru, due=m.due,
                    position=m_pos))
            for k_pos, k in enumerate(c.kpis):
                conn.execute(insert(t.kpi).values(
                    commitment_id=cid, key=k.key, series=k.series, publisher=k.publisher,
                    direction=k.direction or shipped_direction(k.series), target=k.target,
                    baseline_year=k.baseline_year, target_year=k.target_year,
                    countries=",".join(k.countries), note_en=k.note_en, note_ru=k.note_ru,
                    position=k_pos))
    _write_series(conn, roadmap_id, rd.series)
    return roadmap_id


def _write_series(conn: Connection, roadmap_id: int, own: tuple[SeriesDef, ...]) -> None:
    """The roadmap's own series: in the store's series (with the indicators they serve), and
    tied to the roadmap with their units."""
    s = t.series.c
    for position, x in enumerate(own):
        sid = conn.execute(select(s.id).where(s.code == x.code, s.publisher == x.publisher)
                           ).scalar()
        if sid is None:
            sid = conn.execute(insert(t.series).values(
                code=x.code, publisher=x.publisher, description=x.name_en,
                description_ru=x.name_ru, national=False).returning(s.id)).scalar_one()
        linked = set(conn.execute(select(t.series_indicator.c.indicator).where(
            t.series_indicator.c.series_id == sid)).scalars())
        for i in x.indicators:
            if i not in linked:
                conn.execute(insert(t.series_indicator).values(series_id=sid, indicator=i))
        conn.execute(insert(t.roadmap_series).values(roadmap_id=roadmap_id, series_id=sid,
                                                     units=x.units, position=position))

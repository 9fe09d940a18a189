"""An organisation's portfolio and a project's page: what the coordination pages link to.

An organisation is found by its IATI ``ref`` (or ``org:<id>`` for a registered one without
a ref): in the registry, as a reporting organisation, or as a participant of a project.
Its portfolio: the projects it reports or takes part in (with its roles), the countries and
SDG targets its money goes to, its money per year, the organisations it works with (funds,
is funded by, implements with) and the knowledge base's documents and practices it owns.

A project's page: the activity, its participants, places and sectors, its SDG goals and
targets with how each was found (declared by the publisher, or inferred from the DAC sector
through the mapping), its money by year, its results, its history, and related projects:
the same publisher's other versions of it (same title) and other projects of the same
organisation in the same countries.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Engine, or_, select

from sdgbridge.db import tables as t
from sdgbridge.errors import NotFound
from sdgbridge.kept import NOTHING_KEPT, Keeper
from sdgbridge.knowledge.store import readable as readable_documents
from sdgbridge.projects.coordination import projects_frame
from sdgbridge.projects.periods import KINDS, Period, money_flows
from sdgbridge.projects.queries import project_detail, project_history, project_results
from sdgbridge.projects.sdg import flat_export
from sdgbridge.projects.visibility import shown

ROLES = {"1": "funding", "2": "accountable", "3": "extending", "4": "implementing"}
LIMIT = 200  # projects listed on a page


def _plain(row: Any) -> dict[str, Any]:
    """A row as a dict with plain ``str`` keys (SQLAlchemy's may be str subclasses, which
    JSON encoders refuse as keys)."""
    return {str(k): v for k, v in row.items()}


def _money_per_year(flows: pl.DataFrame) -> list[dict[str, Any]]:
    kind = pl.col("transaction_type")
    return (flows.filter(pl.col("year").is_not_null()).group_by("year").agg(
        *[pl.col("value_usd").filter(kind == code).sum().alias(name)
          for code, name in KINDS.items()],
        pl.col("value_usd").is_null().sum().alias("unconverted"),
        pl.col("negative").sum().alias("negative"))
        .sort("year").to_dicts())


def _find_org(engine: Engine, key: str) -> dict[str, Any]:
    o, a, p = t.organisation.c, t.iati_activity.c, t.iati_participant.c
    by_id = key.removeprefix("org:")
    with engine.connect() as conn:
        row = conn.execute(select(o.id, o.ref, o.name_en, o.name_ru, o.type, o.un_entity,
                                  o.archived).where(
            (o.id == int(by_id)) if key.startswith("org:") and by_id.isdigit()
            else (o.ref == key))).mappings().first()
        if row is not None and not row["archived"]:  # contacts are not part of it
            return {"registered": True, **{str(k): v for k, v in row.items() if k != "archived"}}
        name = conn.execute(select(a.reporting_org_name).where(
            a.reporting_org_ref == key, shown()).limit(1)).scalar() or conn.execute(
            select(p.name).where(p.ref == key, p.name.is_not(None)).limit(1)).scalar()
    if name is None:
        raise NotFound(f"No organisation {key!r} in the registry or the projects. "
                       "`sdgbridge orgs list` lists the registry.")
    return {"registered": False, "id": None, "ref": key, "name_en": name, "name_ru": None,
            "type": None, "un_entity": None}


def organisation_portfolio(engine: Engine, key: str, period: Period | None = None,
                           kept: Keeper = NOTHING_KEPT) -> dict[str, Any]:
    """The portfolio of the organisation ``key`` (see the module docstring); money over
    ``period`` when given (the projects listed are all of them)."""
    org = _find_org(engine, key)
    ref = org.get("ref")
    a, p = t.iati_activity.c, t.iati_participant.c
    with engine.connect() as conn:
        reported = select(a.iati_identifier).where(a.reporting_org_ref == ref)
        takes_part = select(p.iati_identifier).where(p.ref == ref)
        projects = [_plain(r) for r in conn.execute(
            select(a.iati_identifier, a.title_en, a.title_ru, a.reporting_org_ref,
                   a.reporting_org_name, a.status, a.planned_start, a.actual_start,
                   a.planned_end, a.actual_end)
            .where(shown(), or_(a.iati_identifier.in_(reported),
                                a.iati_identifier.in_(takes_part)))
            .order_by(a.actual_start.desc(), a.iati_identifier)).mappings()]
        ids = [r["iati_identifier"] for r in projects]
        roles = conn.execute(select(p.iati_identifier, p.role).where(
            p.ref == ref, p.iati_identifier.in_(ids))).all() if ref else []
        partners = conn.execute(select(p.iati_identifier, p.ref, p.name, p.role).where(
            p.iati_identifier.in_(ids), or_(p.ref.is_(None), p.ref != ref))).all()
        partners = list(partners)
        documents = _documents(conn, org)
    role_of: dict[str, set[str]] = {}
    for ident, role in roles:
        role_of.setdefault(ident, set()).add(ROLES.get(role or "", role or "?"))
    for row in projects:
        own = role_of.get(row["iati_identifier"], set())
        if row["reporting_org_ref"] == ref:
            own.add("reporting")
        row["roles"] = sorted(own)
    flows = projects_frame(engine, money_flows, kept).filter(
        pl.col("reporting_org_ref") == ref) if ref else pl.DataFrame()
    if period is not None and flows.height:
        flows = flows.filter(period.years())
    return {"organisation": org, "projects": projects[:LIMIT], "project_count": len(projects),
            "money_per_year": _money_per_year(flows) if flows.height else [],
            "countries": _countries(flows), "targets": _targets(engine, kept, ref, period),
            "partners": _partners(partners, projects, org.get("name_en")),
            "documents": documents}


def _countries(flows: pl.DataFrame) -> list[dict[str, Any]]:
    if not flows.height:
        return []
    kind = pl.col("transaction_type")
    return (flows.filter(pl.col("country").is_not_null()).group_by("country").agg(
        pl.col("value_usd").filter(kind == "3").sum().alias("disbursement"),
        pl.col("value_usd").filter(kind == "4").sum().alias("expenditure"),
        pl.col("value_usd").filter(kind == "2").sum().alias("commitment"),
        pl.col("iati_identifier").n_unique().alias("projects"))
        .sort("disbursement", "expenditure", "commitment", descending=True).to_dicts())


def _targets(engine: Engine, kept: Keeper, ref: str | None,
             period: Period | None) -> list[dict[str, Any]]:
    if not ref:
        return []
    flat = projects_frame(engine, flat_export, kept).filter(
        pl.col("reporting_org_ref") == ref, pl.col("goal").is_not_null())
    if period is not None:
        flat = flat.filter(period.years())
    return (flat.group_by("goal", "target").agg(
        pl.col("value_share_usd").filter(pl.col("transaction_type").is_in(["3", "4"])).sum()
        .alias("disbursement"), pl.col("iati_identifier").n_unique().alias("projects"),
        pl.col("inferred").all().alias("inferred"))
        .sort("disbursement", descending=True).head(30).to_dicts())


def _partners(rows: list[Any], projects: list[dict[str, Any]], own_name: str | None
              ) -> list[dict[str, Any]]:
    """The other organisations of its projects: who, in which role, in how many projects
    (the reporting organisations of the projects it only takes part in count too); itself
    under another ref (the same name) is not another organisation."""
    out: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for ident, pref, name, role in rows:
        entry = out.setdefault((pref, name), {"ref": pref, "name": name or pref,
                                              "roles": set(), "projects": set()})
        entry["roles"].add(ROLES.get(role or "", role or "?"))
        entry["projects"].add(ident)
    for row in projects:
        if "reporting" not in row["roles"] and row["reporting_org_ref"]:
            entry = out.setdefault((row["reporting_org_ref"], row["reporting_org_name"]), {
                "ref": row["reporting_org_ref"], "name": row["reporting_org_name"],
                "roles": set(), "projects": set()})
            entry["roles"].add("reporting")
            entry["projects"].add(row["iati_identifier"])
    own = (own_name or "").casefold().strip()
    listed = [{**e, "roles": sorted(e["roles"]), "projects": len(e["projects"])}
              for e in out.values() if e["name"] and e["name"].casefold().strip() != own]
    return sorted(listed, key=lambda e: (-e["projects"], str(e["name"])))[:40]


def _documents(conn: Any, org: dict[str, Any]) -> list[dict[str, Any]]:
    d = t.document.c
    owned = [d.organisation_id == org["id"]] if org.get("id") else []
    named = [d.organisation == org["name_en"]] if org.get("name_en") else []
    if not owned and not named:
        return []
    stmt = select(d.id, d.title, d.kind, d.year, d.language).where(or_(*owned, *named))
    visible = readable_documents()
    if visible is not None:
        stmt = stmt.where(visible)
    return [_plain(r) for r in conn.execute(stmt.order_by(d.year.desc(), d.id)).mappings()]


def project_page(engine: Engine, identifier: str, kept: Keeper = NOTHING_KEPT
                 ) -> dict[str, Any]:
    """Everything the page of the project ``identifier`` shows (see the module docstring)."""
    detail = project_detail(engine, identifier)
    if detail is None:
        raise NotFound(f"No project {identifier!r}. `sdgbridge projects list` lists them.")
    all_flows = projects_frame(engine, money_flows, kept)
    flows = all_flows.filter(pl.col("iati_identifier") == identifier)
    flat = projects_frame(engine, flat_export, kept).filter(
        pl.col("iati_identifier") == identifier)
    sdgs = (flat.filter(pl.col("goal").is_not_null())
            .group_by("goal", "target", "inferred", "basis", "sector_dac").agg(
                pl.col("value_share_usd").sum().alias("value_usd"))
            .sort(pl.col("goal").cast(pl.Int64), "target", nulls_last=True).to_dicts())
    project = detail["project"]
    participants: dict[tuple[Any, Any], list[str]] = {}
    for row in detail["children"]["participants"]:
        participants.setdefault((row["ref"], row["name"]), []).append(row["role"] or "")
    return {"project": project, "children": detail["children"],
            "participants": [{"ref": ref, "name": name, "roles": roles}
                             for (ref, name), roles in participants.items()],
            "transaction_countries": sorted(flows["country"].drop_nulls().unique()),
            "roles": ROLES, "money_per_year": _money_per_year(flows),
            "negative": flows.filter(pl.col("negative")).height, "sdgs": sdgs,
            "results": project_results(engine, [identifier]).to_dicts(),
            "history": project_history(engine, identifier).to_dicts(),
            "related": _related(engine, project, all_flows)}


def _related(engine: Engine, project: dict[str, Any], all_flows: pl.DataFrame
             ) -> list[dict[str, Any]]:
    """The same publisher's other versions (same English title) and its other projects in
    the same countries (where their money goes), newest first (at most 10)."""
    a = t.iati_activity.c
    ident, org = project["iati_identifier"], project["reporting_org_ref"]
    countries = all_flows.filter(pl.col("iati_identifier") == ident)["country"].drop_nulls()
    same_place = all_flows.filter(
        pl.col("reporting_org_ref") == org, pl.col("country").is_in(countries.unique()),
        pl.col("iati_identifier") != ident)["iati_identifier"].unique().to_list()
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.iati_identifier, a.title_en, a.reporting_org_name, a.actual_start)
            .where(shown(), a.iati_identifier != ident, a.reporting_org_ref == org,
                   or_(a.title_en == project["title_en"], a.iati_identifier.in_(same_place)))
            .order_by(a.actual_start.desc()).limit(10)).mappings()
        return [{**_plain(r), "version": r["title_en"] == project["title_en"]
                 and project["title_en"] is not None} for r in rows]

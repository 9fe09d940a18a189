"""Matching a technical-assistance request to partner organisations and experts, with the
reasons for each candidate's place (pure functions over data frames; the store is read by
:mod:`.match`).

A partner organisation's score adds up what its record shows for the request:

* 3 points for each of its projects on a requested SDG target in the request's country
  (declared by the publisher, or inferred from the DAC sector), or in a DAC sector the
  mapping links to one (31140 agricultural water resources for 6.4), and 1 for each other
  project there on the same goals or their sectors (14010 water sector policy for goal 6);
* up to 3 points for the money of those projects on the targets there
  (log10 of USD 10,000 units: USD 100,000 = 1, USD 10 million = 3);
* 2 points for each of its documents or practices in the knowledge base on the request's
  topic (sentence-embedding similarity of at least :data:`MIN_TOPIC`, across languages), at
  most three.

An expert's score: 3 points for each requested target they work on (1 for another target of
the same goal), 1 for each DAC sector they work in that the mapping links to the targets or
their goals, 2 for having worked in the country, 2 for speaking the request's first
language and 1 for each other language of it; an expert not available when the help is
wanted is left out. Every point comes with its reason; adding a relevant project, document
or skill never lowers a candidate's score, and so never its rank.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from sdgbridge.errors import N_

MIN_TOPIC = 0.5  # cosine of a document's embedding with the request's, to be on topic
COLUMNS = ("kind", "candidate_key", "name", "score", "reasons", "why")
# The document kinds a reason names, translated on the pages.
_KINDS = (N_("practice"), N_("report"), N_("plan"), N_("evaluation"), N_("project"))


def _reason(template: str, phrases: tuple[str, ...] = (), /, **params: Any
            ) -> tuple[str, str]:
    """A reason in English and as what a page translates: the template (marked with
    :func:`~sdgbridge.errors.N_`), its values and which of them are words to translate
    (``phrases``), as JSON."""
    return (template.format(**params),
            json.dumps({"template": template, "params": params, "phrases": list(phrases)},
                       ensure_ascii=False))


def reason_text(why: dict[str, Any], gettext: Any, countries: dict[str, str] | None = None
                ) -> str:
    """A reason (``why``, as :func:`_reason` made it) in the language of ``gettext``; a
    ``country`` value in the language of ``countries`` (ISO alpha-3 -> name), by the
    reason's ``iso3``."""
    params = dict(why.get("params") or {})
    for key in why.get("phrases") or ():
        params[key] = gettext(params[key])
    if countries and params.get("iso3") in countries:
        params["country"] = countries[params["iso3"]]
    try:
        return str(gettext(why["template"]).format(**params))
    except (KeyError, IndexError, ValueError):
        return str(why["template"]).format(**why.get("params") or {})


@dataclass(frozen=True)
class Need:
    """What a request asks for, as matching reads it."""

    country: str  # ISO alpha-2 (the projects' code)
    country_iso3: str
    country_name: str
    targets: tuple[str, ...]
    languages: tuple[str, ...] = ()
    wanted_by: date | None = None
    topic: np.ndarray | None = field(default=None, compare=False)  # unit vector
    target_sectors: tuple[str, ...] = ()  # DAC codes the mapping links to the targets
    goal_sectors: tuple[str, ...] = ()  # DAC codes it links to their goals

    @property
    def goals(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.split(".")[0] for t in self.targets))


def _money(usd: float) -> float:
    return min(3.0, math.log10(1 + max(usd, 0.0) / 10_000)) if usd > 0 else 0.0


def _money_reason(value: float, targets: str) -> tuple[str, str]:
    if value >= 1e6:
        return _reason(N_("USD {amount} million disbursed or spent on {targets} there"),
                       amount=f"{value / 1e6:.1f}", targets=targets)
    if value >= 1e3:
        return _reason(N_("USD {amount} thousand disbursed or spent on {targets} there"),
                       amount=f"{value / 1e3:,.0f}", targets=targets)
    return _reason(N_("USD {amount} disbursed or spent on {targets} there"),
                   amount=f"{value:,.0f}", targets=targets)


def relevant_projects(need: Need, projects: pl.DataFrame) -> pl.DataFrame:
    """The projects in the request's country on its targets (``level`` 2: a requested
    target, or a DAC sector linked to one) or near them (1: the same goals or their
    sectors), one row per project: ``reporting_org_ref``, ``iati_identifier``, ``level``,
    ``reporting_org``, ``since`` (the first year of a transaction on the targets) and
    ``usd`` (disbursed or spent on the targets there, in US dollars; ``usd_goals`` on the
    targets or their goals); ``projects`` as :func:`rank_organisations` reads them."""
    sector = pl.col("sector_dac").fill_null("")
    on = (pl.col("target").is_in(need.targets).fill_null(False)
          | sector.is_in(need.target_sectors))
    near = (pl.col("goal").is_in(need.goals).fill_null(False)
            | sector.is_in(need.goal_sectors))
    here = projects.filter(pl.col("country") == need.country).with_columns(
        level=pl.when(on).then(2).when(near).then(1).otherwise(0)).filter(pl.col("level") > 0)
    return here.group_by("reporting_org_ref", "iati_identifier").agg(
        pl.col("level").max(), pl.col("reporting_org").first(),
        pl.col("year").filter(pl.col("level") == 2).min().alias("since"),
        pl.col("value_share_usd").filter(
            (pl.col("level") == 2) & pl.col("transaction_type").is_in(["3", "4"])).sum()
        .alias("usd"),
        pl.col("value_share_usd").filter(pl.col("transaction_type").is_in(["3", "4"])).sum()
        .alias("usd_goals"))


def rank_organisations(need: Need, projects: pl.DataFrame,
                       documents: pl.DataFrame | None = None,
                       vectors: np.ndarray | None = None) -> pl.DataFrame:
    """Partner organisations ranked for ``need`` (:data:`COLUMNS`, best first).

    ``projects``: one row per project × country × sector × SDG goal or target with its
    money, as the flat export gives them (``iati_identifier``, ``reporting_org_ref``,
    ``reporting_org``, ``country``, ``sector_dac``, ``goal``, ``target``, ``year``,
    ``transaction_type``, ``value_share_usd``). A row is on the request when its target is
    requested or its DAC sector is one the mapping links to a requested target
    (``need.target_sectors``); near it when its goal is, or its sector is linked to the goal
    (``need.goal_sectors``). ``documents``: ``organisation_key``, ``title`` and ``kind`` of
    the knowledge base's documents, with their unit ``vectors`` row by row."""
    per_project = relevant_projects(need, projects)
    per_org = per_project.group_by("reporting_org_ref").agg(
        pl.col("reporting_org").first().alias("name"),
        (pl.col("level") == 2).sum().alias("on"), (pl.col("level") == 1).sum().alias("near"),
        pl.col("since").min(), pl.col("usd").sum())
    docs = _topic_documents(need, documents, vectors)
    rows: list[dict[str, Any]] = []
    for r in per_org.iter_rows(named=True):
        key = r["reporting_org_ref"] or r["name"]
        reasons: list[tuple[str, str]] = []
        score = 0.0
        where = {"country": need.country_name, "iso3": need.country_iso3}
        if r["on"]:
            score += 3 * r["on"]
            reasons.append(_reason(
                N_("{n} project(s) on {targets} or their sectors in {country} since {since}")
                if r["since"] else N_("{n} project(s) on {targets} or their sectors in "
                                      "{country}"),
                n=r["on"], targets=", ".join(need.targets), since=r["since"], **where))
        if r["near"]:
            score += r["near"]
            reasons.append(_reason(N_("{n} other project(s) on goal {goals} or their sectors "
                                      "in {country}"), n=r["near"],
                                   goals=", ".join(need.goals), **where))
        if r["usd"] and r["usd"] > 0:
            score += _money(r["usd"])
            reasons.append(_money_reason(r["usd"], ", ".join(need.targets)))
        for title, kind in docs.get(key, [])[:3]:
            score += 2
            reasons.append(_reason(N_("{kind} '{title}'"), ("kind",), kind=kind, title=title))
        if score > 0:
            rows.append({"kind": "organisation", "candidate_key": key,
                         "name": r["name"] or key, "score": round(score, 3),
                         "reasons": [x[0] for x in reasons], "why": [x[1] for x in reasons]})
    seen = {row["candidate_key"] for row in rows}
    for key, found in docs.items():  # organisations known only by their documents
        if key not in seen:
            said = [_reason(N_("{kind} '{title}'"), ("kind",), kind=kind, title=title)
                    for title, kind in found[:3]]
            rows.append({"kind": "organisation", "candidate_key": key, "name": key,
                         "score": 2.0 * min(3, len(found)),
                         "reasons": [x[0] for x in said], "why": [x[1] for x in said]})
    return _frame(rows)


def _topic_documents(need: Need, documents: pl.DataFrame | None,
                     vectors: np.ndarray | None) -> dict[str, list[tuple[str, str]]]:
    """Organisation key -> (title, kind) of its documents on the request's topic, most
    similar first."""
    if need.topic is None or documents is None or vectors is None or not documents.height:
        return {}
    sims = vectors @ need.topic
    found: dict[str, list[tuple[float, str, str]]] = {}
    for (key, title, kind), sim in zip(documents.select("organisation_key", "title", "kind")
                                       .iter_rows(), sims, strict=True):
        if key and sim >= MIN_TOPIC:
            found.setdefault(key, []).append((float(sim), title, kind))
    return {k: [(title, kind) for _, title, kind in sorted(v, key=lambda x: (-x[0], x[1]))]
            for k, v in found.items()}


def rank_experts(need: Need, experts: pl.DataFrame) -> pl.DataFrame:
    """Experts ranked for ``need`` (:data:`COLUMNS`, best first). ``experts``: ``id``,
    ``name``, ``languages``, ``targets``, ``sectors`` (optional), ``countries``
    (comma-separated codes),
    ``available_from``, ``available_to``."""
    rows: list[dict[str, Any]] = []
    for e in experts.iter_rows(named=True):
        if not _available(e, need.wanted_by):
            continue
        targets = [x for x in (e["targets"] or "").split(",") if x]
        languages = [x for x in (e["languages"] or "").split(",") if x]
        countries = [x for x in (e["countries"] or "").split(",") if x]
        score, reasons = 0.0, []
        exact = [x for x in targets if x in need.targets]
        near = [x for x in targets if x not in need.targets and x.split(".")[0] in need.goals]
        if exact:
            score += 3 * len(exact)
            reasons.append(_reason(N_("works on {targets}"), targets=", ".join(exact)))
        if near:
            score += len(near)
            reasons.append(_reason(N_("works on {targets} (same goal)"),
                                   targets=", ".join(near)))
        sectors = [x for x in (e.get("sectors") or "").split(",")
                   if x and x in need.target_sectors + need.goal_sectors]
        if sectors:
            score += len(sectors)
            reasons.append(_reason(N_("works in DAC sector(s) {sectors}"),
                                   sectors=", ".join(sectors)))
        if need.country_iso3 in countries:
            score += 2
            reasons.append(_reason(N_("has worked in {country}"), country=need.country_name,
                                   iso3=need.country_iso3))
        spoken = [x for x in need.languages if x in languages]
        if spoken:
            score += sum(2 if x == need.languages[0] else 1 for x in spoken)
            reasons.append(_reason(N_("speaks {languages}"), languages=", ".join(spoken)))
        if score > 0:
            rows.append({"kind": "expert", "candidate_key": str(e["id"]), "name": e["name"],
                         "score": round(score, 3), "reasons": [x[0] for x in reasons],
                         "why": [x[1] for x in reasons]})
    return _frame(rows)


def _available(expert: dict[str, Any], wanted_by: date | None) -> bool:
    """Whether the expert's availability covers the time the help is wanted (today to the
    wanted-by date; with no date, today)."""
    start, end = expert.get("available_from"), expert.get("available_to")
    when = wanted_by or date.today()
    if end is not None and end < date.today():
        return False
    return start is None or start <= when


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    df = pl.DataFrame(rows, schema={"kind": pl.Utf8, "candidate_key": pl.Utf8, "name": pl.Utf8,
                                    "score": pl.Float64, "reasons": pl.List(pl.Utf8),
                                    "why": pl.List(pl.Utf8)})
    return df.sort(["score", "name", "candidate_key"], descending=[True, False, False])

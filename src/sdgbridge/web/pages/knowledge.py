"""The knowledge pages: ``/knowledge`` (search with filters, or the documents when no words
are given) and ``/knowledge/{id}`` (a document with its SDG tags, the passages that carry
them, and documents like it). They show the same records as the JSON API
(:mod:`sdgbridge.knowledge.records`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from sdgbridge import knowledge as kb
from sdgbridge.accounts.owners import document_iso3
from sdgbridge.accounts.roles import can
from sdgbridge.errors import SdgBridgeError
from sdgbridge.knowledge.records import document_record, hit_records, search_filters
from sdgbridge.knowledge.store import KINDS
from sdgbridge.reference.catalog import area_entry, group_areas, titles
from sdgbridge.web.deps import EmbedderDep, EngineDep, SettingsDep, codes
from sdgbridge.web.pages.base import LangDep, render
from sdgbridge.web.session import request_session

router = APIRouter()
RESULTS = 20
SIMILAR = 5
LANGUAGES = ("en", "ru", "kk", "ky", "tg", "tk", "uz", "de")
Text = Annotated[str | None, Query(max_length=1000)]


def _year(value: str | None) -> int | None:
    if not value or not value.strip():
        return None
    if not (value.strip().isascii() and value.strip().isdigit()) or not 1900 <= int(value) <= 2100:
        raise SdgBridgeError(f"Year {value!r} is not a year: give four digits (1900-2100) "
                             "or leave it empty.")
    return int(value)


def _form(q: str | None, country: str | None, goal: str | None, kind: str | None,
          language: str | None, year: str | None, org: str | None) -> dict[str, str]:
    """The values given in the form (empty ones left out), to fill it in again."""
    given = {"q": q, "country": country, "goal": goal, "kind": kind, "language": language,
             "year": year, "org": org}
    return {k: v.strip() for k, v in given.items() if v and v.strip()}


def _listing(engine: Engine, f: kb.SearchFilters) -> tuple[int, list[dict[str, Any]]]:
    docs = kb.list_documents(engine, f).sort("id", descending=True)
    return docs.height, docs.head(RESULTS).to_dicts()


@router.get("/knowledge", response_class=HTMLResponse)
def knowledge(request: Request, engine: EngineDep, settings: SettingsDep, emb: EmbedderDep,
              lang: LangDep, q: Text = None, country: Text = None, goal: Text = None,
              kind: Text = None, language: Text = None, year: Text = None,
              org: Text = None) -> HTMLResponse:
    form = _form(q, country, goal, kind, language, year, org)
    if form.get("kind") and form["kind"] not in KINDS:
        raise SdgBridgeError(f"Kind {kind!r} is not one of {', '.join(KINDS)}.")
    f = search_filters(engine, codes(form.get("country")), codes(form.get("goal")), (),
                       form.get("org"), _year(year), form.get("language"), form.get("kind"))
    hits, total = None, 0
    docs: list[dict[str, Any]] = []
    if "q" in form:
        hits = hit_records(engine, kb.search(engine, form["q"], embedder=emb, filters=f,
                                          limit=RESULTS))
    else:
        total, docs = _listing(engine, f)
    return render(request, "knowledge.html", form=form, hits=hits, total=total, docs=docs,
                  countries=group_areas(engine, settings.default_group, lang),
                  goals=titles(engine, "goal", lang), kinds=KINDS, languages_=LANGUAGES)


def _tag_tree(tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Goal tags with their target tags under them, in the order of the goals' scores."""
    goals: dict[int, dict[str, Any]] = {}
    for t in tags:
        if t["target"] is None:
            goals.setdefault(t["goal"], {"targets": []}).update(t)
    for t in tags:
        if t["target"] is not None:
            goals.setdefault(t["goal"], {"targets": [], "goal": t["goal"], "score": None,
                                         "source": None, "passages": []})["targets"].append(t)
    return sorted(goals.values(), key=lambda g: (-(g["score"] or 0), g["goal"]))


@router.get("/knowledge/{doc_id}", response_class=HTMLResponse)
def knowledge_document(request: Request, engine: EngineDep, emb: EmbedderDep, lang: LangDep,
                       doc_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> HTMLResponse:
    doc = document_record(engine, doc_id)
    similar = hit_records(engine, kb.more_like_this(engine, doc_id, embedder=emb, limit=SIMILAR))
    countries = [area_entry(engine, code, lang)["name"] for code in doc["countries"]]
    session = request_session(request)
    can_edit = session is not None and can(
        session.actor, "update", "document", doc.get("organisation_id"),
        session.actor.country if session.actor.country in document_iso3(engine, doc_id)
        else None)
    return render(request, "knowledge_document.html", doc=doc, countries=countries,
                  tags=_tag_tree(doc["tags"]), similar=similar,
                  goals=titles(engine, "goal", lang), targets=titles(engine, "target", lang),
                  can_edit=can_edit, csrf=session.csrf if session is not None else None)

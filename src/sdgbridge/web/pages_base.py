"""What every HTML page shares: the Jinja environment, the language of the request, the
rendering helper and the error page, and the lookups of names and titles in the request's
language (areas from the M49 table, goals and targets from the official translations in
``framework_title``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.errors import UnknownArea
from sdgbridge.reference.geography import resolve_areas
from sdgbridge.web import i18n

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
COOKIE_AGE = 365 * 24 * 3600
NAV = (("home", "/"), ("indicators", "/indicator"), ("map", "/map"),
       ("coordination", "/coordination"), ("knowledge", "/knowledge"))


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("sdgbridge.web", "templates"),
                      autoescape=select_autoescape(["html", "svg"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(i18n.jinja_gettext, i18n.jinja_ngettext,  # type: ignore[attr-defined]
                                  newstyle=True)
    env.filters["num"] = number
    return env



def number(value: object, digits: int = 1) -> str:
    """A number for a table cell: thousands separated by a thin space, ``–`` when missing."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.{digits}f}".replace(",", "\u202f")
    return f"{int(value):,}".replace(",", "\u202f")  # type: ignore[call-overload]


ENV = _environment()


def page_language(request: Request, lang: Annotated[str | None, Query(
        description="Interface language: en or ru (kept in a cookie).")] = None) -> str:
    """The request's language, kept on ``request.state`` for the renderer."""
    request.state.lang = i18n.negotiate(lang, request.cookies.get(i18n.COOKIE),
                                        request.headers.get("accept-language"))
    request.state.set_cookie = lang is not None
    return str(request.state.lang)


LangDep = Annotated[str, Depends(page_language)]


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in the request's language; keep a ``?lang=`` choice in a cookie."""
    lang = getattr(request.state, "lang", None) or i18n.negotiate(
        None, request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))
    html = ENV.get_template(template).render(
        request=request, lang=lang, languages=i18n.LANGUAGES, nav=NAV, path=request.url.path,
        query=dict(request.query_params), **context)
    response = HTMLResponse(html, status_code=status)
    if getattr(request.state, "set_cookie", False):
        response.set_cookie(i18n.COOKIE, lang, max_age=COOKIE_AGE, samesite="lax")
    return response


def error_page(request: Request, message: str, status: int) -> HTMLResponse:
    """The HTML page for an error: the library's message (it says what to do) and a way on."""
    if not isinstance(getattr(request.state, "lang", None), str):
        request.state.lang = i18n.negotiate(None, request.cookies.get(i18n.COOKIE),
                                            request.headers.get("accept-language"))
        request.state.set_cookie = False
    return render(request, "error.html", status=status, message=message, status_code=status)


def lang_url(request: Request, lang: str) -> str:
    """The current page's address (path and query) in another language."""
    url = request.url.include_query_params(lang=lang)
    return f"{url.path}?{url.query}"


ENV.globals["lang_url"] = lang_url


# ---- names in the request's language ------------------------------------------------------

def areas(engine: Engine, group: str, lang: str) -> list[dict[str, Any]]:
    """The countries of ``group``: code, iso3, iso2 and name in ``lang``, by name."""
    codes = resolve_areas(engine, [group])
    a = t.area.c
    with engine.connect() as conn:
        rows = conn.execute(select(a.code, a.iso3, a.iso2, a.name_en, a.name_ru)
                            .where(a.code.in_(codes))).all()
    out = [{"code": r.code, "iso3": r.iso3 or r.code, "iso2": r.iso2,
            "name": (r.name_ru if lang == "ru" and r.name_ru else r.name_en)} for r in rows]
    return sorted(out, key=lambda r: r["name"])


def titles(engine: Engine, kind: str, lang: str) -> dict[str, str]:
    """Official titles of the goals, targets or indicators in ``lang`` (English where the
    translation is missing)."""
    ft = t.framework_title.c
    with engine.connect() as conn:
        rows = conn.execute(select(ft.code, ft.lang, ft.title, ft.short).where(
            ft.kind == kind, ft.lang.in_(["en", lang]))).all()
    found: dict[str, str] = {}
    for code, row_lang, title, short in sorted(rows, key=lambda r: r.lang != "en"):
        if row_lang == lang or code not in found:
            found[code] = (short if kind == "goal" and short else title)
    return found


def area_lookup(engine: Engine, token: str, lang: str) -> dict[str, Any]:
    """One area by M49 or ISO3 code (refused with the library's message when unknown)."""
    a = t.area.c
    with engine.connect() as conn:
        r = conn.execute(select(a.code, a.iso3, a.iso2, a.name_en, a.name_ru, a.kind)
                         .where((a.code == token) | (a.iso3 == token.upper()))).first()
    if r is None:
        raise UnknownArea([token])
    return {"code": r.code, "iso3": r.iso3 or r.code, "iso2": r.iso2, "kind": r.kind,
            "name": r.name_ru if lang == "ru" and r.name_ru else r.name_en}

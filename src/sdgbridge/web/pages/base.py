"""What every HTML page shares: the Jinja environment, the language of the request, the
rendering helper and the error page, and the method and language parameters. Names and
titles in the request's language come from :mod:`sdgbridge.reference.catalog`."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

import sdgbridge.web.i18n as i18n
from sdgbridge.errors import SdgBridgeError
from sdgbridge.reference.units import unit_decimals, unit_symbol

WEB_DIR = Path(__file__).parent.parent
STATIC_DIR = WEB_DIR / "static"
COOKIE_AGE = 365 * 24 * 3600
NAV = (("home", "/"), ("indicators", "/indicator"), ("map", "/map"), ("compare", "/compare"),
       ("coordination", "/coordination"), ("knowledge", "/knowledge"), ("roadmaps", "/roadmaps"))


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("sdgbridge.web", "templates"),
                      autoescape=select_autoescape(["html", "svg"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(i18n.jinja_gettext, i18n.jinja_ngettext,  # type: ignore[attr-defined]
                                  newstyle=True)
    env.filters["num"] = number
    env.filters["unit"] = unit_symbol
    env.filters["measure"] = measure
    env.filters["svg_uri"] = svg_uri
    return env


CHART_STYLE = (
    "text{font:15px 'DejaVu Sans',sans-serif;fill:#1b1f24}.grid{stroke:#e1e6eb}"
    ".base{stroke:#4a535c}.year2030,.target{stroke:#4a535c;stroke-dasharray:4 4}"
    ".target-label{font-size:14px;fill:#4a535c}.end-label{font-size:15px;font-weight:bold}")


def svg_uri(markup: object) -> str:
    """The first ``<svg>`` of ``markup`` as a standalone ``data:`` image, with the chart
    styles inside it (for the PDF engine, which draws an image far faster than the same
    SVG inline in the page)."""
    found = re.search(r"<svg\b.*?</svg>", str(markup), re.S)
    if found is None:
        return ""
    svg = found.group(0).replace(
        "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" ', 1)
    svg = re.sub(r"(<svg\b[^>]*>)", rf"\1<style>{CHART_STYLE}</style>", svg, count=1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode()


def measure(value: object, units: str | None, lang: str = "en", symbol: bool = True) -> str:
    """A value in its unit as people read it: the unit's decimals (:func:`sdgbridge.
    reference.units.unit_decimals`) and, with ``symbol``, its symbol (``12.5 %``,
    ``3.2 на 100 тыс. чел.``); ``–`` when missing."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    digits = unit_decimals(units, float(value)) if isinstance(value, int | float) else 0
    if isinstance(value, float):
        text = f"{value:,.{digits}f}".replace(",", "\u202f")
    else:
        text = number(value)
    shown = unit_symbol(units, lang) if symbol else ""
    if not shown or units == "NUMBER":
        return text
    return f"{text}\u202f%" if shown == "%" else f"{text} {shown}"


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
MethodQ = Annotated[str, Query(description="unsd, escap, sdsn or opensdg.")]


def request_language(request: Request) -> str:
    """The language chosen for ``request`` (:func:`page_language`), else negotiated."""
    lang = getattr(request.state, "lang", None)
    return lang if isinstance(lang, str) else i18n.negotiate(
        None, request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def error_text(request: Request, error: SdgBridgeError) -> str:
    """The library error's public message in the request's language (English when its
    message has no translation)."""
    return error.translated(i18n.translations(request_language(request)).gettext)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in the request's language; keep a ``?lang=`` choice in a cookie."""
    lang = request_language(request)
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
    if url.path.startswith(("/invitation/", "/reset/")):
        return f"?{url.query}"  # the same page, without writing its one-time token in it
    return f"{url.path}?{url.query}"


ENV.globals["lang_url"] = lang_url

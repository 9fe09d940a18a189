"""Interface languages: English and Russian, from Babel message catalogues.

The catalogues are ``locale/<lang>/LC_MESSAGES/messages.po`` (committed, edited by hand or
with ``pybabel update``); they are compiled in memory the first time a language is used, so
no ``.mo`` file has to be built or shipped. English is the source language: its catalogue
is the identity.

A request's language is, in this order: ``?lang=`` (which the page then keeps in a ``lang``
cookie), the ``lang`` cookie, the first supported language of ``Accept-Language``, English.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import pass_context

from sdgbridge.errors import SdgBridgeError

LANGUAGES = {"en": "English", "ru": "Русский"}
DEFAULT = "en"
COOKIE = "lang"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


class UnknownLanguage(SdgBridgeError):
    def __init__(self, lang: str) -> None:
        super().__init__(f"No interface language {lang!r}; choose one of "
                         f"{', '.join(LANGUAGES)} (e.g. ?lang=ru).")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (the identity for English)."""
    if lang not in LANGUAGES:
        raise UnknownLanguage(lang)
    if lang == DEFAULT:
        return gettext.NullTranslations()
    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def accept_language(header: str | None) -> list[str]:
    """The primary language tags of an ``Accept-Language`` header, best first."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, i, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(query: str | None, cookie: str | None, header: str | None) -> str:
    """The request's language (see the module docstring); an unknown ``?lang=`` is refused,
    an unknown cookie is ignored."""
    if query is not None:
        if query not in LANGUAGES:
            raise UnknownLanguage(query)
        return query
    if cookie in LANGUAGES:
        return str(cookie)
    return next((tag for tag in accept_language(header) if tag in LANGUAGES), DEFAULT)


@pass_context
def jinja_gettext(context: Any, message: str) -> str:
    return translations(context["lang"]).gettext(message)


@pass_context
def jinja_ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return translations(context["lang"]).ngettext(singular, plural, n)

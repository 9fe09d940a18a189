"""The profiles from the pages' buttons: ``/country/{code}/profile`` and ``/region/profile``
(``?format=pdf`` or ``html``, ``?lang=``), the same file as ``sdgbridge report`` writes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sdgbridge.web.deps import EngineDep, KeptDep, SettingsDep
from sdgbridge.web.pages.base import LangDep
from sdgbridge.web.profiles import render_profile

router = APIRouter()
FormatQ = Annotated[Literal["pdf", "html"], Query(description="pdf or html.")]


def _answer(engine: EngineDep, settings: SettingsDep, kept: KeptDep, code: str, lang: str,
            fmt: str) -> Response:
    rendered = render_profile(engine, code, settings.default_group, lang, fmt, kept)
    disposition = "attachment" if fmt == "pdf" else "inline"
    return Response(rendered.body, media_type=rendered.media_type, headers={
        "Content-Disposition": f'{disposition}; filename="{rendered.filename}"'})


@router.get("/country/{code}/profile")
def country_profile(request: Request, code: str, engine: EngineDep, settings: SettingsDep,
                    kept: KeptDep, lang: LangDep, format: FormatQ = "pdf") -> Response:
    """A country's profile to print and send."""
    return _answer(engine, settings, kept, code, lang, format)


@router.get("/region/profile")
def region_profile(request: Request, engine: EngineDep, settings: SettingsDep, kept: KeptDep,
                   lang: LangDep, format: FormatQ = "pdf") -> Response:
    """The region's profile to print and send."""
    return _answer(engine, settings, kept, "region", lang, format)

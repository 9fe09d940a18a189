"""A profile rendered: the figures of :mod:`sdgbridge.reports.profile` in the page template
``profile.html`` (English or Russian), as HTML or as a PDF (:mod:`sdgbridge.reports.pdf`).
The pages' buttons and ``sdgbridge report`` both come here, so the file is the same."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

import sdgbridge.web.i18n as i18n
from sdgbridge.assessment.methods import METHODS
from sdgbridge.kept import NOTHING_KEPT, Keeper
from sdgbridge.reports.pdf import html_to_pdf
from sdgbridge.reports.profile import Profile, country_profile, region_profile
from sdgbridge.web.pages.base import ENV, STATIC_DIR
from sdgbridge.web.pages.charts import area_style, line_chart

FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    filename: str


def profile_of(engine: Engine, code: str, group: str, lang: str,
               kept: Keeper = NOTHING_KEPT) -> Profile:
    """The profile of a country (ISO3 or M49), or of the region for ``region`` or the
    group's own code."""
    if code.lower() == "region" or code == group:
        return region_profile(engine, group, lang, kept)
    return country_profile(engine, code, group, lang, kept)


def render_profile(engine: Engine, code: str, group: str, lang: str, fmt: str = "pdf",
                   kept: Keeper = NOTHING_KEPT) -> Rendered:
    """The profile of ``code`` (see :func:`profile_of`) in ``lang`` as ``fmt``."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    i18n.translations(lang)  # an unknown language is refused before any work
    prof = profile_of(engine, code, group, lang, kept)
    html = profile_html(prof)
    name = f"sdg-profile-{(prof.area.get('iso3') or 'region').lower()}-{lang}.{fmt}"
    if fmt == "html":
        return Rendered(html.encode("utf-8"), "text/html; charset=utf-8", name)
    return Rendered(html_to_pdf(html, prof.stands_at), "application/pdf", name)


def profile_html(prof: Profile) -> str:
    """The profile as one HTML document with its style inline (for the PDF engine and for
    saving)."""
    codes = [m["code"] for m in prof.members]
    names = {m["code"]: m["name"] for m in prof.members}
    iso3 = {m["code"]: m.get("iso3") or m["code"] for m in prof.members}
    charts = {g["goal"]: [_chart(c, codes, names, iso3) for c in g["charts"]]
              for g in prof.goals}
    css = (STATIC_DIR / "profile.css").read_text(encoding="utf-8")
    template = ENV.get_template("profile.html")
    return template.render(p=prof, lang=prof.lang, charts=charts, names=names, iso3=iso3,
                           methods=METHODS, css=css)


def _chart(c: dict[str, Any], codes: list[str], names: dict[str, str],
           iso3: dict[str, str]) -> dict[str, Any]:
    lines = []
    for ln in c["lines"]:
        colour, marker = area_style(ln["area"], codes)
        lines.append({"code": iso3.get(ln["area"], ln["area"]),
                      "name": names.get(ln["area"], ln["area"]), "points": ln["points"],
                      "projection": ln["projection"], "colour": colour, "marker": marker})
    chart = line_chart(lines, c["target"], y_count=3, x_count=3,
                                size=(380, 230)) if lines else None
    for line in chart.lines if chart else []:  # small charts: a marker at each end only
        line.marked = [line.points[0], line.points[-1]]
    return {**c, "chart": chart}

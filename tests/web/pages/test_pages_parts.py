"""The pages' parts without a store: languages and catalogues, the TopoJSON decoder and the
projection, chart ticks, and the accessibility of colours and forms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sdgbridge.web import i18n
from sdgbridge.web.pages import maps
from sdgbridge.web.pages.charts import COLOURS, line_chart, nice_ticks

WEB = Path(i18n.__file__).parent


# ---- languages ----------------------------------------------------------------------------

def test_accept_language_order() -> None:
    assert i18n.accept_language("de-DE,de;q=0.9,ru;q=0.95,en;q=0") == ["de", "ru", "de"]
    assert i18n.accept_language(None) == []


@pytest.mark.parametrize(("query", "cookie", "header", "lang"), [
    (None, None, None, "en"), (None, None, "ru-RU,en;q=0.5", "ru"), (None, "ru", "en", "ru"),
    ("en", "ru", "ru", "en"), (None, "xx", "kk,ru;q=0.3", "ru")])
def test_negotiate(query: str | None, cookie: str | None, header: str | None,
                   lang: str) -> None:
    assert i18n.negotiate(query, cookie, header) == lang


def test_unknown_query_language_is_refused() -> None:
    with pytest.raises(i18n.UnknownLanguage, match="choose one of en, ru"):
        i18n.negotiate("kk", None, None)


def _extracted() -> set[object]:
    """The texts of the pages and the library's error messages marked with ``N_``, as
    ``make messages`` extracts them (the whole package)."""
    method_map = [("**/static/**", "ignore"), ("**/templates/**.html", "jinja2"),
                  ("**.py", "python")]
    options = {"**/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB.parent), method_map, options):
        found.add(message)
    return found


def test_every_interface_text_has_a_russian_translation() -> None:
    with i18n.po_path("ru").open("rb") as f:
        catalog = read_po(f, locale="ru")
    extracted = _extracted()
    assert len(extracted) > 100
    done = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
    missing = [m for m in extracted if not done.get(m)]
    assert missing == []
    for msgid, string in done.items():
        for source, target in zip(msgid if isinstance(msgid, tuple) else (msgid,),
                                  string if isinstance(string, tuple) else (string,),
                                  strict=False):
            assert set(re.findall(r"%\(\w+\)s", source)) == set(
                re.findall(r"%\(\w+\)s", target)), (source, target)
            assert set(re.findall(r"\{\w*[^{}]*\}", source)) == set(
                re.findall(r"\{\w*[^{}]*\}", target)), (source, target)
    ru = i18n.translations("ru")
    assert ru.gettext("Skip to content") == "Перейти к содержанию"
    assert ru.ngettext("Show the %(num)s assessed target", "Show the %(num)s assessed targets",
                       5) == "Показать %(num)s оценённых задач"


# ---- maps ---------------------------------------------------------------------------------

def test_decode_quantized_arcs() -> None:
    # The TopoJSON specification's example: delta-encoded positions with a transform.
    arcs = maps.decode_arcs([[[4000, 0], [1999, 9999], [2000, -9999], [2000, 9999]]],
                            {"scale": [0.0005, 0.0001], "translate": [100, 0]})
    assert arcs == [[(102.0, 0.0), (102.9995, 0.9999), (103.9995, 0.0), (104.9995, 0.9999)]]


def test_rings_follow_reversed_arcs() -> None:
    arcs = [[(0.0, 0.0), (1.0, 0.0)], [(1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]]
    assert maps._ring(arcs, [0, 1]) == [(0, 0), (1, 0), (1, 1), (0, 0)]
    assert maps._ring(arcs, [~1, ~0]) == [(0, 0), (1, 1), (1, 0), (0, 0)]


def test_albers_origin_and_orientation() -> None:
    assert maps.albers(66.0, 40.0) == pytest.approx((0.0, 0.0), abs=1e-12)
    east, north = maps.albers(70.0, 40.0), maps.albers(66.0, 45.0)
    assert east[0] > 0 and north[1] > 0


def test_clip_to_the_view() -> None:
    square = [(-5.0, -5.0), (5.0, -5.0), (5.0, 5.0), (-5.0, 5.0)]
    clipped = maps.clip(square, (0.0, 0.0, 10.0, 10.0))
    assert sorted(clipped) == [(0.0, 0.0), (0.0, 5.0), (5.0, 0.0), (5.0, 5.0)]
    assert maps.clip([(20.0, 20.0), (30.0, 20.0), (30.0, 30.0)], (0, 0, 10, 10)) == []


def test_missing_atlas_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(maps.MissingAtlas, match="Run `make assets`"):
        maps.load_atlas(tmp_path)


@pytest.mark.skipif(not (maps.ATLAS_DIR / maps.ATLAS_FILE).exists(),
                    reason="country shapes not built: run `make assets`")
def test_region_map_of_the_centres_countries() -> None:
    inside, around, (width, height) = maps.region_shapes(("398", "417", "762", "795", "860",
                                                          "4"))
    assert [s.name for s in inside] == ["Uzbekistan", "Turkmenistan", "Tajikistan",
                                        "Kyrgyzstan", "Kazakhstan", "Afghanistan"]
    assert {"China", "Iran", "Russia", "Pakistan"} <= {s.name for s in around}
    assert width == maps.WIDTH and 0.6 < height / width < 1.2
    kaz = next(s for s in inside if s.code == "398")
    kgz = next(s for s in inside if s.code == "417")
    assert kaz.centre[1] < kgz.centre[1]  # Kazakhstan lies north of Kyrgyzstan
    for s in inside:
        xy = [float(v) for v in re.findall(r"-?\d+\.\d", s.path)]
        assert all(-2.1 <= v <= width + 2.1 for v in xy[0::2])


# ---- charts -------------------------------------------------------------------------------

def test_nice_ticks() -> None:
    assert nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0, 101.2, count=6) == [0, 20, 40, 60, 80, 100, 120]
    assert nice_ticks(-23, 7) == [-30, -20, -10, 0, 10]


def test_line_chart_reaches_2030_and_keeps_labels_apart() -> None:
    chart = line_chart([{"code": "KAZ", "name": "Kazakhstan", "points": [(2015, 99), (2020, 100)],
                         "projection": (2020, 100, 100)},
                        {"code": "KGZ", "name": "Kyrgyzstan", "points": [(2015, 98), (2020, 99)],
                         "projection": (2020, 99, 101)}], target=100)
    assert chart.x_ticks[-1][1] == "2030" and chart.year_2030 == chart.box[2]
    ys = sorted(line.label_at[1] for line in chart.lines)
    assert ys[1] - ys[0] >= 13
    assert chart.target is not None and chart.target[1] == 100


# ---- accessibility ------------------------------------------------------------------------

def _luminance(colour: str) -> float:
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """The WCAG 2.1 contrast ratio of two #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_status_colours_have_aa_contrast_with_their_text() -> None:
    css = (WEB / "static" / "site.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6});", css))
    statuses = [k for k in colours if k.startswith("s-") and k != "s-text"]
    assert len(statuses) == 5
    for name in statuses:
        assert contrast(colours[name], colours["s-text"]) >= 4.5, name
    for name in ("ink", "muted", "link"):
        assert contrast(colours[name], colours["paper"]) >= 4.5, name
        assert contrast(colours[name], colours["band"]) >= 4.5, name
    assert contrast(colours["focus"], colours["paper"]) >= 3


def test_chart_lines_stand_out_from_white() -> None:
    assert all(contrast(c, "#ffffff") >= 3 for c in COLOURS)


def test_contrast_reference_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)

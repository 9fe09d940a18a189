"""The HTML pages on the specimens of tests/data, on SQLite and PostgreSQL: each page shows what
the library computes (the same functions as the API)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from lxml import html
from sqlalchemy import Engine

from sdgbridge.assessment.charts import dominant
from sdgbridge.assessment.figures import counted_links
from sdgbridge.assessment.run import assess, roll_up, series_indicators
from sdgbridge.assessment.store import save
from sdgbridge.config import Settings
from sdgbridge.ingest.load import ingest
from sdgbridge.projects.queries import three_w
from sdgbridge.web.app import create_app
from sdgbridge.web.pages.maps import ATLAS_DIR, ATLAS_FILE
from tests.helpers import IATI_CODELISTS, derived_slice, import_specimens

SERIES = ("EG_ACS_ELEC", "SI_POV_DAY1", "SH_H2O_SAFE", "SH_ACS_DTP3", "SH_STA_ANEM")
COUNTRIES = {"AFG", "KAZ", "KGZ", "TJK", "TKM", "UZB"}
needs_atlas = pytest.mark.skipif(not (ATLAS_DIR / ATLAS_FILE).exists(),
                                 reason="country shapes not built: run `make assets`")


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    ingest(engine, derived_slice(tmp_path / "slice.csv", SERIES), source="web slice")
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS)
    import_specimens(engine, "usda-kazakhstan.xml")
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c


def page(client: TestClient, url: str, status: int = 200, **kw: object) -> html.HtmlElement:
    response = client.get(url, **kw)  # type: ignore[arg-type]
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    return html.fromstring(response.text)


def text(el: html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def test_home_heatmap_is_the_library_roll_up(client: TestClient, engine: Engine) -> None:
    """Each goal cell is the share of the goal's counted series in each status: a stacked
    bar whose label and counts are the library's roll-up (no single "dominant" status)."""
    doc = page(client, "/")
    assert doc.get("lang") == "en"
    heads = [text(a) for a in doc.xpath("//table[@class='heatmap']/thead//a")]
    assert heads == ["Afghanistan", "Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan",
                     "Uzbekistan"]
    rolled = roll_up(assess(engine, "unsd", ["CARSDG"]).results,
                     counted_links(series_indicators(engine)), "goal")
    labels = {"on track": "On track", "needs acceleration": "Needs acceleration",
              "stagnating": "Stagnating", "regressing": "Regressing"}
    order = ["4", "398", "417", "762", "795", "860"]
    rows = {text(r.xpath("th")[0]).split()[0]: r.xpath("td")
            for r in doc.xpath("//table[@class='heatmap']/tbody/tr")}
    assert len(rows) == 17
    assert rolled.height > 0
    for r in rolled.iter_rows(named=True):
        td = rows[r["goal"]][order.index(r["area"])]
        steps = [(s, r[s]) for s in labels if r[s]]
        assessed = sum(n for _, n in steps)
        bars = td.xpath(".//span[@class='shares']")
        if assessed:
            assert bars[0].get("aria-label") == "; ".join(
                f"{labels[s]}: {n}" for s, n in steps) + f" (of {assessed} series with a status)"
            widths = [float(seg.get("style").split()[1].rstrip("%;"))
                      for seg in bars[0].xpath("span")]
            assert widths == [round(100 * n / assessed, 1) for _, n in steps]
        else:
            assert not bars and "Insufficient data" in text(td)
        unassessed = r["coverage"] - assessed
        small = text(td.xpath(".//small")[0])
        assert small.startswith(f"{r['coverage']} series")
        assert (f"{unassessed} without a status" in small) == (unassessed > 0)
    filled = sum(1 for tds in rows.values() for td in tds if td.xpath(".//small"))
    assert filled == rolled.height


def test_home_headline_and_release(client: TestClient) -> None:
    doc = page(client, "/")
    body = text(doc)
    assert "This is the first release in the store" in body
    assert "Release 1: web slice" in body
    elec = next(r for r in doc.xpath("//section[@aria-labelledby='head-h']//tbody/tr")
                if "EG_ACS_ELEC" in text(r))
    assert text(elec).startswith("7.1.1 Proportion of population with access to electricity")
    # each value with its own year; a value older than five years marked old, in words
    poverty = next(r for r in doc.xpath("//section[@aria-labelledby='head-h']//tbody/tr")
                   if "SI_POV_DAY1" in text(r))
    cells = {doc.xpath("//section[@aria-labelledby='head-h']//thead//th")[i].text_content(): td
             for i, td in enumerate(poverty.xpath("td"), start=1)}
    assert "1998 · old" in text(cells["TKM"]) and "old" in cells["TKM"].get("class")
    assert "2003 · old" in text(cells["UZB"])


def test_russian_by_query_cookie_and_header(client: TestClient) -> None:
    response = client.get("/?lang=ru")
    assert response.status_code == 200
    assert "lang=ru" in response.headers["set-cookie"]
    doc = html.fromstring(response.text)
    assert doc.get("lang") == "ru"
    assert text(doc.xpath("//h1")[0]) == ("Прогресс в достижении ЦУР в Центральной Азии и "
                                           "Афганистане")
    assert "Казахстан" in [text(a) for a in doc.xpath("//table[@class='heatmap']/thead//a")]
    goal1 = text(doc.xpath("//table[@class='heatmap']/tbody/tr[1]/th")[0])
    assert goal1.startswith("1 ") and re.search("[а-я]", goal1), goal1
    # The cookie now keeps Russian; Accept-Language alone picks it too; ?lang=en wins.
    assert page(client, "/map").get("lang") == "ru"
    client.cookies.clear()
    assert page(client, "/", headers={"Accept-Language": "de;q=0.9, ru;q=0.8"}).get(
        "lang") == "ru"
    assert page(client, "/?lang=en", headers={"Accept-Language": "ru"}).get("lang") == "en"


def test_unknown_language_is_refused_on_the_page(client: TestClient) -> None:
    doc = page(client, "/?lang=xx", status=400)
    assert text(doc.xpath("//p[@role='alert']")[0]) == (
        "No interface language 'xx'; choose one of en, ru (e.g. ?lang=ru).")


def test_country_off_track_targets(client: TestClient, engine: Engine) -> None:
    doc = page(client, "/country/KAZ")
    assert text(doc.xpath("//h1")[0]) == "Kazakhstan"
    rolled = roll_up(assess(engine, "unsd", ["CARSDG"]).results.filter(
        pl.col("area") == "398"), series_indicators(engine), "target")
    expected = [r["target"] for r in rolled.iter_rows(named=True)
                if dominant(r) in ("stagnating", "regressing")]
    assert expected  # vaccination (3.b) and anaemia (2.2) regress in Kazakhstan
    shown = [re.search(r"Target ([^:\s]+)", text(li)).group(1)  # type: ignore[union-attr]
             for li in doc.xpath("//ul[@class='off-track']/li")]
    assert shown == expected
    partners = doc.xpath("//section[@aria-labelledby='who-h']//tbody/tr")
    assert partners and all("Department of Agriculture" in text(r) for r in partners)


def test_country_page_by_m49_and_unknown(client: TestClient) -> None:
    assert text(page(client, "/country/417").xpath("//h1")[0]) == "Kyrgyzstan"
    doc = page(client, "/country/XXX", status=404)
    assert "Unknown area or group XXX" in text(doc.xpath("//p[@role='alert']")[0])
    doc = page(client, "/country/KAZ?method=nope", status=400)
    assert text(doc.xpath("//p[@role='alert']")[0]) == (
        "No assessment method 'nope'; choose one of unsd, escap, sdsn, opensdg "
        "(e.g. ?method=unsd).")
    assert "There is no page at /nowhere" in text(page(client, "/nowhere", status=404))
    assert client.get("/api/v1/nowhere").status_code == 404  # the API keeps its own answer


def test_indicator_chart_table_and_csv(client: TestClient) -> None:
    doc = page(client, "/indicator?series=EG_ACS_ELEC&area=KAZ&area=KGZ")
    lines = doc.xpath("//figure[@class='chart']//g[@class='series']")
    assert [text(g.xpath("text")[0]) for g in lines] == ["KAZ", "KGZ"]
    rows = doc.xpath("//section[@aria-labelledby='table-h']//tbody/tr")
    points = sum(len(g.xpath("use")) for g in lines)
    assert len(rows) == points > 0
    assert doc.xpath("//figure[@class='chart']//line[@class='target']")  # target 100 %
    link = doc.xpath("//a[@download]")[0].get("href")
    got = client.get(link)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(got.text)))
    assert {r["iso3"] for r in table} == {"KAZ", "KGZ"}
    assert {r["series"] for r in table} == {"EG_ACS_ELEC"}
    headline = [r for r in table if r["location"] == "ALLAREA"]
    assert len(headline) == len(rows)


def test_indicator_disaggregation_has_no_projection(client: TestClient) -> None:
    doc = page(client, "/indicator?series=EG_ACS_ELEC&area=KAZ&dims=location%3DRURAL")
    assert doc.xpath("//select[@id='dims']/option[@selected]")[0].get("value") == (
        "location=RURAL")
    assert not doc.xpath("//figure[@class='chart']//line[@stroke-dasharray]")
    assert "Projections and targets are shown for the total" in text(doc)


@needs_atlas
def test_map_colours_each_country_with_its_value(client: TestClient) -> None:
    doc = page(client, "/map?series=SH_H2O_SAFE")
    regions = doc.xpath("//figure[@class='map']//path[@class='region']")
    assert len(regions) == 6
    names = [text(p.xpath("title")[0]) for p in regions]
    rows = doc.xpath("//section[@aria-labelledby='table-h']//tbody/tr")
    for row in rows:
        name, period, value, _ = (text(td) for td in row.xpath("th|td"))
        assert f"{name}: {value} ({period})" in names
    assert "world-atlas 2.0.2" in text(doc.xpath("//p[@class='source']")[0])


def test_coordination_matrix_is_three_w(client: TestClient, engine: Engine) -> None:
    doc = page(client, "/coordination?from=2000&to=2030")  # every year of the specimens
    df = three_w(engine).filter((pl.col("country") == "KZ") & (pl.col("currency") == "USD"))
    row = doc.xpath("//section[@aria-labelledby='w3-h']//tbody/tr")[0]
    assert text(row.xpath("th")[0]) == df["reporting_org_name"][0]
    total = text(row.xpath("td")[-1]).replace(" ", "")
    assert total == str(round(df["disbursement"].sum()))


def test_coordination_and_country_follow_a_new_import(client: TestClient, engine: Engine
                                                    ) -> None:
    """The flat export, 3W and overlaps are kept between pages only while the projects stay
    the same: an import in between shows on the next page."""

    def tajik_cells() -> list[str]:
        doc = page(client, "/coordination")
        heads = [text(th) for th in doc.xpath("//section[@aria-labelledby='w3-h']//thead//th")]
        column = heads.index("Tajikistan") - 1  # the organisation's own th comes first
        rows = doc.xpath("//section[@aria-labelledby='w3-h']//tbody/tr")
        return [text(r.xpath("td")[column]) for r in rows]

    assert set(tajik_cells()) == {"–"}
    assert not page(client, "/country/TJK").xpath("//section[@aria-labelledby='who-h']//tbody")
    import_specimens(engine, "usda-tajikistan.xml")
    tj = three_w(engine).filter((pl.col("country") == "TJ") & (pl.col("currency") == "USD"))
    assert tj.height
    rows = page(client, "/country/TJK").xpath("//section[@aria-labelledby='who-h']//tbody/tr")
    assert {text(r.xpath("th")[0]) for r in rows} == set(tj["reporting_org_name"])
    assert set(tajik_cells()) != {"–"}


PAGES = ("/", "/country/KAZ", "/indicator?series=SH_H2O_SAFE", "/map?series=SH_H2O_SAFE",
         "/coordination", "/?lang=ru", "/country/TJK?lang=ru")


def test_pages_are_accessible_in_structure(client: TestClient) -> None:
    for url in PAGES if (ATLAS_DIR / ATLAS_FILE).exists() else PAGES[:3] + PAGES[4:]:
        doc = page(client, url)
        assert doc.get("lang") in ("en", "ru"), url
        first = doc.xpath("//body//a")[0]
        assert first.get("href") == "#main" and doc.xpath("//main[@id='main']"), url
        assert controls_without_label(doc) == [], url
        assert len(doc.xpath("//h1")) == 1, url
        for svg in doc.xpath("//figure/svg"):
            assert svg.get("role") == "img" and svg.xpath("title") and svg.xpath("desc"), url
        for cell in doc.xpath("//td[contains(@class, 'cell')]"):  # status in words, too
            assert text(cell), url


def controls_without_label(doc: html.HtmlElement) -> list[str]:
    """Form controls (not hidden inputs or buttons) with no label naming them."""
    labelled = {lab.get("for") for lab in doc.xpath("//label[@for]")}
    missing = []
    for el in doc.xpath("//select|//textarea|//input[not(@type='hidden')]"):
        if el.get("id") in labelled or el.xpath("ancestor::label") or el.get("aria-label"):
            continue
        missing.append(html.tostring(el, encoding="unicode")[:80])
    return missing


def test_label_check_finds_an_unlabelled_control() -> None:
    doc = html.fromstring('<form><label for="a">A</label><input id="a"><input id="b">'
                          '<label><input type="checkbox"> C</label></form>')
    assert controls_without_label(doc) == ['<input id="b">']


@pytest.mark.parametrize("published", [False, True], ids=["assessed", "published"])
@pytest.mark.parametrize("method", ["unsd", "escap", "sdsn", "opensdg"])
def test_goal_cell_explains_its_series(client: TestClient, engine: Engine, method: str,
                                       published: bool) -> None:
    """From a goal cell of the home page to the series behind it: each with its values and
    the rule that decided its status, as the library assessed them; from a published run
    (stored results) as from a fresh one."""
    if published:
        save(engine, assess(engine, method, ["CARSDG"]), publish=True)
    home = page(client, f"/?method={method}")
    links = home.xpath("//table[@class='heatmap']//a[@class='cell-link']/@href")
    assert f"/country/KAZ/goal/7?method={method}" in links
    doc = page(client, f"/country/KAZ/goal/7?method={method}")
    rows = doc.xpath("//table[@class='explain']/tbody/tr")
    res = assess(engine, method, ["CARSDG"]).results.filter(
        (pl.col("area") == "398") & pl.col("series").is_in(["EG_ACS_ELEC"]))
    assert res.height == 1 and len(rows) >= 1
    row = next(r for r in rows if text(r.xpath("th")[0]).startswith("EG_ACS_ELEC"))
    r = res.row(0, named=True)
    cells = [text(td) for td in row.xpath("td")]
    assert cells[0].endswith(r["status"])
    assert cells[2].startswith(f"{r['latest_value']:g}".split(".")[0])
    why = cells[5]
    assert why and why != "–"  # every status names the rule behind it
    page(client, "/country/KAZ/goal/18", status=404)


def test_home_sdsn_shows_goal_scores_colours_and_index(client: TestClient,
                                                       engine: Engine) -> None:
    """SDSN's goal figure is its goal score and dashboard colour, and the index under the
    table: the library's summary of the same run, not a share of trend arrows."""
    from sdgbridge.assessment.run import method_summary

    run = assess(engine, "sdsn", ["CARSDG"])
    summary = dict(method_summary(run, series_indicators(engine)))
    goals = next(f for t, f in summary.items() if "goal scores" in t)
    assert goals.height > 0
    doc = page(client, "/?method=sdsn")
    order = ["4", "398", "417", "762", "795", "860"]
    rows = {text(r.xpath("th")[0]).split()[0]: r.xpath("td")
            for r in doc.xpath("//table[@class='heatmap']/tbody/tr")}
    for r in goals.iter_rows(named=True):
        td = rows[str(r["goal"])][order.index(r["area"])]
        assert f"r-{r['rating'] or 'grey'}" in td.get("class")
        shown = text(td.xpath(".//strong")[0]).replace("\u202f", "")
        assert float(shown) == pytest.approx(r["score"], abs=0.05)
    index = dict(next(f for t, f in summary.items() if t.startswith("SDSN index"))
                 .select("area", "index").iter_rows())
    foot = [text(td) for td in doc.xpath("//table[@class='heatmap']/tfoot//td")]
    assert foot == [("–" if index.get(a) is None else f"{index[a]:.1f}") for a in order]


def test_sdsn_pages_show_published_sdr_scores_once_loaded(client: TestClient,
                                                          engine: Engine) -> None:
    doc = page(client, "/?method=sdsn")
    assert not doc.xpath("//small[@class='published']")  # nothing loaded: nothing shown
    ingest(engine, Path(__file__).parents[2] / "data" / "sdr" /
           "sustainable_development_report_2023.csv")
    doc = page(client, "/?method=sdsn")
    foot = doc.xpath("//table[@class='heatmap']/tfoot//td")
    order = ["4", "398", "417", "762", "795", "860"]
    # the specimen's (made-up) indexes: AFG 45.5, KAZ 66.125, KGZ 70.25
    for code, shown in (("4", "45.5"), ("398", "66.1"), ("417", "70.2")):
        td = foot[order.index(code)]
        assert text(td.xpath(".//small[@class='published']")[0]) == f"SDR 2023: {shown}"
    assert not foot[order.index("762")].xpath(".//small")  # no SDR row for Tajikistan
    goal = page(client, "/country/KGZ/goal/9?method=sdsn")
    assert "Sustainable Development Report 2023" in text(goal) and "92.3" in text(
        goal.xpath("//p[@class='published']")[0])


def test_series_names_in_russian_and_a_national_publishers_series(
        client: TestClient, engine: Engine, tmp_path: Path) -> None:
    # the series' names in Russian: the framework's official indicator titles, code beside
    doc = page(client, "/indicator?series=EG_ACS_ELEC&lang=ru")
    option = doc.xpath("//select[@id='series']/option[@value='EG_ACS_ELEC']")[0]
    assert "Доля населения, имеющего доступ к электроэнергии" in text(option)
    assert text(option).startswith("EG_ACS_ELEC · 7.1.1")
    # a national publisher's values of the same code (made up for the test): chosen in the
    # picker by their own value, not reachable only by typing &publisher= in the address
    own = tmp_path / "national.csv"
    own.write_text("series,publisher,country,year,value,units\n"
                   "EG_ACS_ELEC,TAJSTAT,TJK,2021,99.1,PERCENT\n"
                   "EG_ACS_ELEC,TAJSTAT,TJK,2022,99.4,PERCENT\n", encoding="utf-8")
    ingest(engine, own)
    doc = page(client, "/indicator?series=EG_ACS_ELEC&area=TJK")
    values = [o.get("value") for o in doc.xpath("//select[@id='series']/option")]
    assert "EG_ACS_ELEC" in values and "EG_ACS_ELEC|TAJSTAT" in values
    national = page(client, "/indicator?series=EG_ACS_ELEC%7CTAJSTAT&area=TJK")
    chosen = national.xpath("//select[@id='series']/option[@selected]")[0]
    assert chosen.get("value") == "EG_ACS_ELEC|TAJSTAT" and "(TAJSTAT)" in text(chosen)
    cells = [text(td) for td in national.xpath(
        "//section[@aria-labelledby='table-h']//tbody/tr/td[2]")]
    assert cells == ["99.1", "99.4"] or cells == ["99.4", "99.1"]


@needs_atlas
def test_the_map_marks_old_values(client: TestClient) -> None:
    doc = page(client, "/map?series=SI_POV_DAY1")
    labels = [text(t) for t in doc.xpath("//figure[@class='map']//text[contains(@class, "
                                         "'map-label')]")]
    tkm = next(label for label in labels if label.startswith("TKM"))
    assert "1998, old" in tkm  # Turkmenistan's latest poverty value is from 1998
    rows = {text(tr.xpath("th")[0]): tr for tr in doc.xpath(
        "//section[@aria-labelledby='table-h']//tbody/tr")}
    assert rows["Turkmenistan"].get("class") == "old-row"
    assert "old" in text(rows["Turkmenistan"].xpath("td")[0])
    assert rows["Kyrgyzstan"].get("class") == "old-row"  # 2020: more than 5 years before
    recent = page(client, "/map?series=EG_ACS_ELEC")  # 2021-2022 values: old from 2027
    for tr in recent.xpath("//section[@aria-labelledby='table-h']//tbody/tr"):
        year = int(text(tr.xpath("td")[0])[:4])
        assert (tr.get("class") == "old-row") == (year < date.today().year - 5), text(tr)

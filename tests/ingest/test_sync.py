"""The SDG API client and `sync`, against a local server replaying recorded answers.

The server (127.0.0.1, a free port) answers from ``tests/data/sdg_api/routes.json``: each
route (path + query) has a list of answers given in turn, the last one repeated; a request
with no route gets 404. Nothing here touches the network.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sdgbridge.config import Settings
from sdgbridge.errors import SyncError
from sdgbridge.ingest.sync import SdgApiClient, _parse, csv_row, sync

DATA = Path(__file__).resolve().parents[1] / "data" / "sdg_api"
AREAS = ["4", "398", "417"]
OFFLINE = "or use the offline copies in {} instead (`sdgbridge demo` loads them)."


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up waiting (timeout test) is expected


class RecordedApi:
    """A local HTTP server answering from the recorded files; counts the requests."""

    def __init__(self) -> None:
        routes = json.loads((DATA / "routes.json").read_text(encoding="utf-8"))
        self.routes = [(r["path"], _query(r["query"]), list(r["answers"])) for r in routes]
        self.log: list[str] = []
        self.release = threading.Event()  # ends the delays of slow answers
        self._lock = threading.Lock()
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, target: str) -> tuple[int, str, float]:
        """Status, file name and delay of the next answer to ``target`` (path?query)."""
        split = urlsplit(target)
        query = _query(parse_qs(split.query, keep_blank_values=True))
        with self._lock:
            self.log.append(target)
            for path, expected, answers in self.routes:
                if path == split.path and expected == query:
                    step = answers.pop(0) if len(answers) > 1 else answers[0]
                    return step["status"], step["file"], step.get("delay", 0)
        return 404, "not_found_404.html", 0

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                status, name, delay = api.answer(self.path)
                if delay:
                    api.release.wait(delay)
                body = (DATA / name).read_bytes()
                kind = "application/json" if name.endswith(".json") else "text/html"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", f"{kind}; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def _query(query: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: sorted(v) for k, v in query.items()}


@pytest.fixture
def api() -> Iterator[RecordedApi]:
    server = RecordedApi()
    yield server
    server.close()


@pytest.fixture
def settings(api: RecordedApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("SDGBRIDGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no sdgbridge.toml
    return Settings(api_url=f"{api.url}/sdgapi", cache_dir=tmp_path / "cache",
                    data_dir=tmp_path / "data", api_page_size=2, api_timeout=5.0)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(settings: Settings, sleeps: list[float]) -> Iterator[SdgApiClient]:
    with httpx.Client(trust_env=False) as http:
        yield SdgApiClient(settings, http, sleep=sleeps.append)


def _client(settings: Settings, http: httpx.Client, **changes: Any) -> SdgApiClient:
    return SdgApiClient(settings.model_copy(update=changes), http, sleep=lambda s: None)


def data_url(settings: Settings, series: str, areas: list[str], page: int = 1) -> str:
    query = "&".join([f"seriesCode={series}", *(f"areaCode={a}" for a in areas),
                      f"page={page}", "pageSize=2"])
    return f"{settings.api_url}/v1/sdg/Series/Data?{query}"


EXPECTED_CSV = """\
Goal,Target,Indicator,SeriesCode,SeriesDescription,GeoAreaCode,GeoAreaName,TimePeriod,Value,\
Time_Detail,TimeCoverage,UpperBound,LowerBound,BasePeriod,Source,GeoInfoUrl,FootNote,Units,\
Nature,Observation Status,Age,Location,Reporting Type,Sex
1,1.1,1.1.1,SI_POV_DAY1,Proportion of population below international poverty line (%),398,\
Kazakhstan,2018,0,,,,,,"World Bank, Poverty and Inequality Platform",,,PERCENT,G,,ALLAGE,\
ALLAREA,G,BOTHSEX
1,1.1,1.1.1,SI_POV_DAY1,Proportion of population below international poverty line (%),417,\
Kyrgyzstan,2020,1.3,,,,,,"World Bank, Poverty and Inequality Platform",,Welfare measured by \
consumption per capita.; Survey year 2020.,PERCENT,G,,ALLAGE,ALLAREA,G,BOTHSEX
1,1.1,1.1.1,SI_POV_DAY1,Proportion of population below international poverty line (%),417,\
Kyrgyzstan,2020,1.31996,,,,,,"World Bank, Poverty and Inequality Platform",,Welfare measured \
by consumption per capita.; Survey year 2020.,PERCENT,G,,ALLAGE,ALLAREA,G,FEMALE
2,2.2,2.2.1,SH_STA_STNT,Proportion of children moderately or severely stunted (%),4,\
Afghanistan,2022,33.1,,,38.6,28.1,,"UNICEF, WHO and World Bank Joint Child Malnutrition \
Estimates (JME), 2023 edition",,Modelled estimate.,PER_POP_U5,M,A,<5Y,NOTSPEC,G,
2,2.2,2.2.1,SH_STA_STNT,Proportion of children moderately or severely stunted (%),398,\
Kazakhstan,2022,4.9,,,6.5,3.6,,"UNICEF, WHO and World Bank Joint Child Malnutrition Estimates \
(JME), 2023 edition",,Modelled estimate.,PER_POP_U5,M,A,<5Y,NOTSPEC,G,
2,2.2,2.2.1,SH_STA_STNT,Proportion of children moderately or severely stunted (%),417,\
Kyrgyzstan,2022,10.3,,,13.2,7.9,,"UNICEF, WHO and World Bank Joint Child Malnutrition Estimates \
(JME), 2023 edition",,Modelled estimate.,PER_POP_U5,M,A,<5Y,NOTSPEC,G,
2,2.1,2.1.1,SN_ITK_DEFC,Prevalence of undernourishment (%),398,Kazakhstan,2021,<2.5,2020-2022,\
,,,,"FAO, The State of Food Security and Nutrition in the World 2023",,,PERCENT,E,E,NOTSPEC,,G,\
NOTSPEC
2,2.1,2.1.1,SN_ITK_DEFC,Prevalence of undernourishment (%),417,Kyrgyzstan,2021,4.8,2020-2022,\
,,,,"FAO, The State of Food Security and Nutrition in the World 2023",,,PERCENT,E,E,NOTSPEC,,G,\
NOTSPEC
"""
SERIES = ["SI_POV_DAY1", "SH_STA_STNT", "SN_ITK_DEFC"]


# --- lists -----------------------------------------------------------------------------------

def test_series_list(client: SdgApiClient, api: RecordedApi) -> None:
    series = client.series_list()
    assert [s["code"] for s in series] == ["SI_POV_DAY1", "SI_POV_EMP1", "SN_ITK_DEFC",
                                          "SH_STA_STNT", "EG_ACS_ELEC", "SL_TLF_UEM",
                                          "DC_ODA_BDVL"]
    assert series[-1]["indicator"] == ["15.a.1", "15.b.1"]
    assert series[0]["release"] == "2023.Q4.G.01"
    assert api.log == ["/sdgapi/v1/sdg/Series/List?allreleases=false"]


def test_geo_areas(client: SdgApiClient, api: RecordedApi) -> None:
    areas = client.geo_areas()
    assert areas[:2] == [{"geoAreaCode": "1", "geoAreaName": "World"},
                         {"geoAreaCode": "4", "geoAreaName": "Afghanistan"}]
    assert len(areas) == 12
    assert api.log == ["/sdgapi/v1/sdg/GeoArea/List"]


def test_framework_tree(client: SdgApiClient, api: RecordedApi) -> None:
    goals = client.framework()
    tree = {g["code"]: {t["code"]: {i["code"]: [s["code"] for s in i["series"]]
                                    for i in t["indicators"]} for t in g["targets"]}
            for g in goals}
    assert tree == {"1": {"1.1": {"1.1.1": ["SI_POV_DAY1", "SI_POV_EMP1"]}},
                    "2": {"2.1": {"2.1.1": ["SN_ITK_DEFC"]}, "2.2": {"2.2.1": ["SH_STA_STNT"]}}}
    assert api.log == ["/sdgapi/v1/sdg/Goal/List?includechildren=true"]


# --- data, paging, retries -------------------------------------------------------------------

def test_series_data_follows_the_pages(client: SdgApiClient, api: RecordedApi) -> None:
    rows = list(client.series_data("SI_POV_DAY1", ["417", "4", "398", "398"]))
    assert [(r["geoAreaCode"], r["value"], r["dimensions"]["Sex"]) for r in rows] == [
        ("398", "0", "BOTHSEX"), ("417", "1.3", "BOTHSEX"), ("417", "1.31996", "FEMALE")]
    assert api.log == [data_url(client.settings, "SI_POV_DAY1", AREAS, p)[len(api.url):]
                       for p in (1, 2)]


def test_a_500_is_retried_after_a_pause(client: SdgApiClient, api: RecordedApi,
                                        sleeps: list[float]) -> None:
    rows = list(client.series_data("SH_STA_STNT", AREAS))
    assert [r["value"] for r in rows] == ["33.1", "4.9", "10.3"]
    first = data_url(client.settings, "SH_STA_STNT", AREAS)[len(api.url):]
    assert api.log[:2] == [first, first]
    assert len(api.log) == 3
    assert sleeps == [1.0]
    assert client.requests == 3


# --- sync: the CSV, the cache, refresh ---------------------------------------------------------

def test_sync_writes_the_sdg_api_csv(client: SdgApiClient, settings: Settings) -> None:
    calls: list[tuple[int, int]] = []
    result = sync(settings, SERIES, AREAS, progress=lambda d, t: calls.append((d, t)),
                  client=client)
    assert result.path.read_text(encoding="utf-8") == EXPECTED_CSV
    assert result.path.parent == settings.cache_dir / "sync"
    assert (result.series, result.areas, result.rows) == (3, 3, 8)
    assert (result.requests, result.cached) == (6, 0)  # 5 pages, one asked twice (500)
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_second_sync_is_served_from_the_cache(client: SdgApiClient, settings: Settings,
                                              api: RecordedApi) -> None:
    first = sync(settings, SERIES, AREAS, client=client)
    sent = len(api.log)
    second = sync(settings, SERIES, AREAS, client=client)
    assert len(api.log) == sent
    assert (second.requests, second.cached) == (0, 5)
    assert second.path == first.path
    assert second.path.read_text(encoding="utf-8") == EXPECTED_CSV


def test_refresh_asks_the_api_again(client: SdgApiClient, settings: Settings,
                                    api: RecordedApi) -> None:
    sync(settings, SERIES, AREAS, client=client)
    sent = len(api.log)
    result = sync(settings, SERIES, AREAS, refresh=True, client=client)
    assert len(api.log) == sent + 5  # the 500 is spent: 5 pages, 5 requests
    assert (result.requests, result.cached) == (5, 0)
    assert result.path.read_text(encoding="utf-8") == EXPECTED_CSV


def test_cache_files_and_index(client: SdgApiClient, settings: Settings) -> None:
    client.series_list()
    folder = settings.cache_dir / "sdg_api"
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    url = f"{settings.api_url}/v1/sdg/Series/List?allreleases=false"
    [(key, entry)] = index.items()
    assert entry["url"] == url
    assert (folder / f"{key}.json").read_bytes() == (DATA / "series_list.json").read_bytes()


def test_a_damaged_cache_file_is_fetched_again(client: SdgApiClient, settings: Settings,
                                               api: RecordedApi) -> None:
    client.geo_areas()
    [damaged] = [p for p in (settings.cache_dir / "sdg_api").glob("*.json")
                 if p.name != "index.json"]
    damaged.write_text('[{"geoAreaCode": "1"', encoding="utf-8")
    assert len(client.geo_areas()) == 12
    assert len(api.log) == 2


def test_sync_file_is_read_by_the_sdg_api_reader(client: SdgApiClient,
                                                 settings: Settings) -> None:
    from sdgbridge.ingest.readers.sdg_api import SdgApiReader

    path = sync(settings, SERIES, AREAS, client=client).path
    assert SdgApiReader.handles(path)
    [batch] = list(SdgApiReader().read(path))
    obs = batch.observations
    assert obs.height == 8
    row = obs.filter(obs["series"] == "SN_ITK_DEFC").row(0, named=True)
    assert {k: row[k] for k in ("area", "period", "value", "dims", "units", "nature",
                                "obs_status", "time_detail", "attrs")} == {
        "area": "398", "period": "2021", "value": "<2.5", "dims": "age=NOTSPEC;sex=NOTSPEC",
        "units": "PERCENT", "nature": "E", "obs_status": "E", "time_detail": "2020-2022",
        "attrs": '{"Reporting Type": "G"}'}


# --- errors ----------------------------------------------------------------------------------

def test_404_names_the_url_and_the_setting(settings: Settings, api: RecordedApi) -> None:
    with httpx.Client(trust_env=False) as http:
        client = _client(settings, http, api_url=f"{api.url}/sdgs")
        with pytest.raises(SyncError) as err:
            client.series_list()
    assert str(err.value) == (
        f"The SDG API refused {api.url}/sdgs/v1/sdg/Series/List?allreleases=false: HTTP 404 "
        f"Not Found. Check SDGBRIDGE_API_URL (now {api.url}/sdgs) and the codes asked for, "
        + OFFLINE.format(settings.data_dir))
    assert len(api.log) == 1  # a 4xx is not retried


def test_persistent_503_gives_up_after_three_tries(client: SdgApiClient, api: RecordedApi,
                                                   sleeps: list[float]) -> None:
    url = data_url(client.settings, "SL_TLF_UEM", ["398"])
    with pytest.raises(SyncError) as err:
        list(client.series_data("SL_TLF_UEM", ["398"]))
    assert str(err.value) == (
        f"No answer from the SDG API to {url} after 3 tries (last: HTTP 503 Service "
        f"Unavailable). Check the network and SDGBRIDGE_API_URL (now {client.settings.api_url}),"
        " try again later, " + OFFLINE.format(client.settings.data_dir))
    assert len(api.log) == 3
    assert sleeps == [1.0, 2.0]


def test_invalid_json_is_reported_and_not_cached(client: SdgApiClient, api: RecordedApi,
                                                 settings: Settings) -> None:
    url = data_url(settings, "EG_ACS_ELEC", ["398"])
    for _ in range(2):
        with pytest.raises(SyncError) as err:
            list(client.series_data("EG_ACS_ELEC", ["398"]))
        assert str(err.value) == (
            f"The SDG API answer to {url} is not valid JSON (Unterminated string starting at: "
            f"line 1 column 994). Check that SDGBRIDGE_API_URL (now {settings.api_url}) is the "
            "SDG API, try again later, " + OFFLINE.format(settings.data_dir))
    assert len(api.log) == 2  # nothing was cached


def test_timeout_is_retried_then_reported(settings: Settings, api: RecordedApi) -> None:
    url = data_url(settings, "SI_POV_EMP1", ["398"])
    with httpx.Client(trust_env=False) as http:
        client = _client(settings, http, api_timeout=0.2)
        with pytest.raises(SyncError) as err:
            list(client.series_data("SI_POV_EMP1", ["398"]))
    assert str(err.value) == (
        f"No answer from the SDG API to {url} after 3 tries (last: timed out after 0.2 s "
        f"(SDGBRIDGE_API_TIMEOUT)). Check the network and SDGBRIDGE_API_URL (now "
        f"{settings.api_url}), try again later, " + OFFLINE.format(settings.data_dir))
    assert len(api.log) == 3


def test_unreachable_api(settings: Settings) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with httpx.Client(trust_env=False) as http:
        client = _client(settings, http, api_url=f"http://127.0.0.1:{port}/sdgapi")
        with pytest.raises(SyncError) as err:
            client.geo_areas()
    message = str(err.value)
    assert message.startswith(f"No answer from the SDG API to http://127.0.0.1:{port}/sdgapi/"
                              "v1/sdg/GeoArea/List after 3 tries (last: connection failed: ")
    assert message.endswith(f"). Check the network and SDGBRIDGE_API_URL (now http://127.0.0.1:"
                            f"{port}/sdgapi), try again later, "
                            + OFFLINE.format(settings.data_dir))
    assert client.requests == 3


def test_no_data_at_all_is_an_error(client: SdgApiClient, settings: Settings) -> None:
    with pytest.raises(SyncError) as err:
        sync(settings, ["SI_POV_DAY1"], ["860"], client=client)
    assert str(err.value) == (
        "The SDG API has no data for series SI_POV_DAY1 in areas 860. Check the codes: series "
        "as the API lists them (Series/List), areas as M49 codes (398 for Kazakhstan).")
    assert not (settings.cache_dir / "sync").exists()


# --- rows ------------------------------------------------------------------------------------

def test_numbers_keep_the_text_the_api_wrote() -> None:
    obs = _parse('{"goal": ["7", "12"], "timePeriodStart": 2015.0, "value": "12.50", '
                 '"upperBound": 12.80, "lowerBound": 1e-3, "basePeriod": 2010, '
                 '"footnotes": null, "attributes": {"Units": "PERCENT"}, '
                 '"dimensions": {"Sex": "MALE", "Source": "clash"}}')
    row = csv_row(obs)
    assert (row["Goal"], row["TimePeriod"], row["Value"], row["UpperBound"],
            row["LowerBound"], row["BasePeriod"], row["FootNote"]) == (
        "7, 12", "2015", "12.50", "12.80", "0.001", "2010", "")
    assert (row["Units"], row["Sex"], row["Source"]) == ("PERCENT", "MALE", "")

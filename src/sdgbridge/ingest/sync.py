"""Client for the official UNSD SDG API, and :func:`sync`: series × areas into one CSV file.

Endpoints used, all ``GET`` answering JSON, under ``{api_url}/v1/sdg/``
(``api_url`` defaults to ``https://unstats.un.org/sdgapi``):

``Series/List?allreleases=false``
    ``[{"goal": ["1"], "target": ["1.1"], "indicator": ["1.1.1"], "release": "2022.Q2.G.02",
    "code": "SI_POV_DAY1", "description": "…", "uri": "/v1/sdg/Series/SI_POV_DAY1"}, …]``
``GeoArea/List``
    a flat list ``[{"geoAreaCode": "4", "geoAreaName": "Afghanistan"}, …]`` (regions and
    countries alike, no type field).
``Goal/List?includechildren=true``
    goals ``{code, title, description, uri, targets}``; targets ``{goal, code, title,
    description, uri, indicators}``; indicators ``{goal, target, code, description, tier, uri,
    series}``; series as in ``Series/List``.
``Series/Data?seriesCode=X&areaCode=A&areaCode=B&page=N&pageSize=M``
    one page ``{"size", "totalElements", "totalPages", "pageNumber" (from 1), "attributes":
    [{"id", "codes": [{"code", "description", "sdmx"}]}], "dimensions": [same], "data": [
    {"goal": [..], "target": [..], "indicator": [..], "series", "seriesDescription",
    "geoAreaCode", "geoAreaName", "timePeriodStart": 2015.0, "value": "12.5" (text),
    "valueType", "time_detail", "timeCoverage", "upperBound", "lowerBound", "basePeriod",
    "source", "geoInfoUrl", "footnotes": [..], "attributes": {"Nature": "C", "Units":
    "PERCENT", …}, "dimensions": {"Sex": "BOTHSEX", "Reporting Type": "G", …}}]}``.

The official reference is https://unstats.un.org/SDGAPI/swagger/ (not reachable from here).
Sources read to learn these shapes (stored public copies, not the live API):
``open-word/Q`` ``World/JSON/Series_List.json`` and ``Target_List.json`` (saved answers of
``Series/List`` and ``Target/List``); ``SunIBAS/data_collection`` (a saved indicator list with
its ``series`` children, ``tier``, ``uri``); ``ANC-PERU/ETL_dataset`` ``ods_api.py``
(``Goal/List?includechildren=true``); ``tamnd/unsdg-cli`` ``unsdg/unsdg.go`` (base URL
``https://unstats.un.org/sdgapi`` + ``/v1/sdg/Goal/List``, retries on 429/5xx);
``jason-den/healthylife`` ``types/goal.ts`` (goal and target fields); and three unattributed
excerpts of the public code index: a client paging ``Series/Data`` with ``page`` from 1 to
``totalPages`` and reading the top-level ``attributes``/``dimensions`` as ``{id, codes}``; an
action definition generated from the API's swagger listing each observation field (``value``,
``upperBound``, ``lowerBound``, ``basePeriod`` are strings; ``timePeriodStart`` a number;
``footnotes`` a list); and notes from live calls showing ``Reporting Type`` among the
``dimensions`` and ``GeoArea/List`` as a flat list.

Numbers in answers are parsed as :class:`~decimal.Decimal`, so a bound or a period is written
exactly as the API wrote it; ``value`` is text in the API and is copied unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from sdgbridge.config import Settings
from sdgbridge.errors import SyncError

API_PATH = "v1/sdg"
TRIES = 3  # attempts per request on a 5xx answer, a timeout or a failed connection
BACKOFF = 1.0  # seconds before the 2nd attempt; doubled before each later one
BASE_COLUMNS: tuple[str, ...] = (
    "Goal", "Target", "Indicator", "SeriesCode", "SeriesDescription", "GeoAreaCode",
    "GeoAreaName", "TimePeriod", "Value", "Time_Detail", "TimeCoverage", "UpperBound",
    "LowerBound", "BasePeriod", "Source", "GeoInfoUrl", "FootNote",
)
ATTRIBUTE_COLUMNS: tuple[str, ...] = ("Units", "Nature", "Observation Status")
# CSV column <- observation field (the other base columns are built by csv_row).
TEXT_FIELDS = {
    "SeriesCode": "series", "SeriesDescription": "seriesDescription",
    "GeoAreaCode": "geoAreaCode", "GeoAreaName": "geoAreaName", "Value": "value",
    "Time_Detail": "time_detail", "TimeCoverage": "timeCoverage", "UpperBound": "upperBound",
    "LowerBound": "lowerBound", "BasePeriod": "basePeriod", "Source": "source",
    "GeoInfoUrl": "geoInfoUrl",
}
FOOTNOTE_SEPARATOR = "; "
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SyncResult:
    """What :func:`sync` wrote: the CSV file and counts for the command's summary."""

    path: Path
    series: int  # series asked for
    areas: int  # areas asked for
    rows: int  # observations written
    requests: int  # HTTP requests sent (retries included)
    cached: int  # answers taken from the cache instead


class ResponseCache:
    """API answers kept on disk: ``<sha256 of the URL>.json`` plus ``index.json`` naming
    the URL and fetch time of each, so the folder can be inspected or pruned by hand."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def key(url: str) -> str:
        return hashlib.sha256(url.encode("utf-8")).hexdigest()

    def get(self, url: str) -> str | None:
        """The stored answer to ``url``, or None."""
        path = self.folder / f"{self.key(url)}.json"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def put(self, url: str, text: str) -> None:
        """Store the answer to ``url`` and record it in the index."""
        key = self.key(url)
        _write_atomic(self.folder / f"{key}.json", text)
        index = self.index()
        index[key] = {"url": url, "fetched": datetime.now(UTC).isoformat(timespec="seconds")}
        _write_atomic(self.folder / "index.json", json.dumps(index, indent=1, sort_keys=True))

    def index(self) -> dict[str, dict[str, str]]:
        path = self.folder / "index.json"
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {}


class SdgApiClient:
    """Reads the UNSD SDG API, with retries and an on-disk cache of every answer.

    ``http`` is the ``httpx.Client`` to use (tests pass one; by default one is made and
    closed with this client); ``sleep`` waits between retries. Every method takes
    ``refresh=True`` to ask the API again instead of reusing a cached answer.
    """

    def __init__(self, settings: Settings, http: httpx.Client | None = None, *,
                 tries: int = TRIES, backoff: float = BACKOFF,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.cache = ResponseCache(Path(settings.cache_dir) / "sdg_api")
        self.requests = 0
        self.cache_hits = 0
        self._own_http = http is None
        self._http = http or httpx.Client(follow_redirects=True, headers=_headers())
        self._tries, self._backoff, self._sleep = max(tries, 1), backoff, sleep

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> SdgApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def series_list(self, refresh: bool = False) -> list[dict[str, Any]]:
        """The series of the current release (``Series/List?allreleases=false``)."""
        return self._list("Series/List", [("allreleases", "false")], refresh)

    def geo_areas(self, refresh: bool = False) -> list[dict[str, Any]]:
        """All areas, countries and regions alike (``GeoArea/List``)."""
        return self._list("GeoArea/List", [], refresh)

    def framework(self, refresh: bool = False) -> list[dict[str, Any]]:
        """Goals → targets → indicators → series (``Goal/List?includechildren=true``)."""
        return self._list("Goal/List", [("includechildren", "true")], refresh)

    def series_data(self, series_code: str, area_codes: Iterable[str],
                    refresh: bool = False) -> Iterator[dict[str, Any]]:
        """The observations of one series in the given areas (M49 codes), page by page, as
        the API gives them (numbers such as ``timePeriodStart`` as ``Decimal``)."""
        areas = sorted({str(a) for a in area_codes}, key=lambda c: (len(c), c))
        page, pages = 1, 1
        while page <= pages:
            params = [("seriesCode", series_code), *(("areaCode", a) for a in areas),
                      ("page", str(page)), ("pageSize", str(self.settings.api_page_size))]
            url = self.url("Series/Data", params)
            answer = self._get_json(url, refresh)
            rows, pages = _data_page(answer, url, self.settings)
            yield from rows
            page += 1

    def url(self, endpoint: str, params: Sequence[tuple[str, str]] = ()) -> str:
        """The full URL of ``endpoint`` (``Series/List``) with its query parameters."""
        base = f"{self.settings.api_url.rstrip('/')}/{API_PATH}/{endpoint}"
        return str(httpx.URL(base, params=list(params)))

    def _list(self, endpoint: str, params: list[tuple[str, str]],
              refresh: bool) -> list[dict[str, Any]]:
        url = self.url(endpoint, params)
        answer = self._get_json(url, refresh)
        if not isinstance(answer, list):
            raise SyncError(_unexpected(url, "a list", self.settings))
        return answer

    def _get_json(self, url: str, refresh: bool) -> Any:
        """The parsed answer to ``url``: from the cache unless ``refresh``, else fetched."""
        text = None if refresh else self.cache.get(url)
        if text is not None:
            try:
                answer = _parse(text)
            except ValueError:
                text = None  # a damaged cache file: fetch again
            else:
                self.cache_hits += 1
                return answer
        text = self._fetch(url)
        try:
            answer = _parse(text)
        except json.JSONDecodeError as exc:
            raise SyncError(_bad_json(url, exc, self.settings)) from exc
        self.cache.put(url, text)
        return answer

    def _fetch(self, url: str) -> str:
        """GET ``url``; retry 5xx answers, timeouts and failed connections, with backoff."""
        problem = ""
        for attempt in range(self._tries):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            self.requests += 1
            try:
                response = self._http.get(url, timeout=self.settings.api_timeout)
            except httpx.TimeoutException:
                problem = f"timed out after {self.settings.api_timeout:g} s (SDGBRIDGE_API_TIMEOUT)"
                continue
            except httpx.TransportError as exc:
                problem = f"connection failed: {exc}"
                continue
            if response.status_code >= 500 or response.status_code == 429:
                problem = f"HTTP {response.status_code} {response.reason_phrase}"
                continue
            if not response.is_success:
                raise SyncError(_refused(url, response, self.settings))
            return response.text
        raise SyncError(_gave_up(url, self._tries, problem, self.settings))


def sync(settings: Settings, series: Sequence[str], areas: Sequence[str], refresh: bool = False,
         progress: Progress | None = None, *, client: SdgApiClient | None = None,
         out: Path | None = None) -> SyncResult:
    """Fetch ``series`` × ``areas`` (M49 codes) from the SDG API into one CSV file.

    The file is in the SDG API CSV layout with plain column names (see :func:`write_csv`),
    for ``ingest(engine, result.path, fmt="sdg_api", source="UNSD SDG API")``. Answers come
    from the cache unless ``refresh``. ``progress(done, total)`` is called as each series is
    done. ``out`` defaults to a file under ``cache_dir`` named after the request.
    """
    api = client or SdgApiClient(settings)
    requests, hits = api.requests, api.cache_hits
    try:
        rows = _fetch_all(api, series, areas, refresh, progress)
    finally:
        if client is None:
            api.close()
    if not rows:
        raise SyncError(f"The SDG API has no data for series {', '.join(series)} in areas "
                        f"{', '.join(areas)}. Check the codes: series as the API lists them "
                        "(Series/List), areas as M49 codes (398 for Kazakhstan).")
    path = out or default_output(settings, series, areas)
    write_csv(rows, path)
    return SyncResult(path, len(series), len(areas), len(rows), api.requests - requests,
                      api.cache_hits - hits)


def _fetch_all(api: SdgApiClient, series: Sequence[str], areas: Sequence[str], refresh: bool,
               progress: Progress | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if progress:
        progress(0, len(series))
    for done, code in enumerate(series, start=1):
        rows.extend(api.series_data(code, areas, refresh=refresh))
        if progress:
            progress(done, len(series))
    return rows


def default_output(settings: Settings, series: Sequence[str], areas: Sequence[str]) -> Path:
    """``<cache_dir>/sync/sdg_api_<hash of the request>.csv``."""
    request = json.dumps([sorted(series), sorted(areas)])
    digest = hashlib.sha256(request.encode("utf-8")).hexdigest()[:12]
    return Path(settings.cache_dir) / "sync" / f"sdg_api_{digest}.csv"


def write_csv(observations: Sequence[dict[str, Any]], path: Path) -> int:
    """Write API observations as an SDG API CSV with plain column names; return the rows.

    Columns: :data:`BASE_COLUMNS`, then ``Units, Nature, Observation Status``, then any other
    attribute and every dimension by its API name (``Reporting Type``, ``Sex``, …), sorted.
    Lists (goal, target, indicator) are joined with ``", "`` as the SDG database does;
    footnotes with ``"; "``; ``timePeriodStart`` ``2015.0`` becomes ``2015``.
    """
    rows = [csv_row(obs) for obs in observations]
    extra = sorted({name for row in rows for name in row} - set(BASE_COLUMNS + ATTRIBUTE_COLUMNS))
    columns = [*BASE_COLUMNS, *ATTRIBUTE_COLUMNS, *extra]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    return len(rows)


def csv_row(obs: dict[str, Any]) -> dict[str, str]:
    """One API observation as a CSV row (attributes and dimensions by their API names)."""
    row = {
        "Goal": _joined(obs.get("goal")), "Target": _joined(obs.get("target")),
        "Indicator": _joined(obs.get("indicator")),
        "TimePeriod": _period(obs.get("timePeriodStart")),
        "FootNote": _joined(obs.get("footnotes"), FOOTNOTE_SEPARATOR),
    }
    row.update({column: _text(obs.get(field)) for column, field in TEXT_FIELDS.items()})
    for group in ("dimensions", "attributes"):  # an attribute wins a (rare) name clash
        extra = obs.get(group) or {}
        row.update({str(k): _text(v) for k, v in extra.items() if k not in BASE_COLUMNS})
    return row


def _text(value: Any) -> str:
    """A JSON value as CSV text: null -> empty, text unchanged, numbers as written."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _joined(values: Any, separator: str = ", ") -> str:
    if isinstance(values, list):
        return separator.join(_text(v) for v in values)
    return _text(values)


def _period(value: Any) -> str:
    """``2015.0`` (a year the API sends as a number) -> ``"2015"``; other values as text."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(int(value))
    return _text(value)


def _parse(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _data_page(answer: Any, url: str, settings: Settings) -> tuple[list[dict[str, Any]], int]:
    """The observations and the page count of one ``Series/Data`` answer."""
    if not isinstance(answer, dict):
        raise SyncError(_unexpected(url, "an object with 'data' and 'totalPages'", settings))
    rows, pages = answer.get("data"), answer.get("totalPages")
    if not isinstance(rows, list) or not isinstance(pages, int):
        raise SyncError(_unexpected(url, "an object with 'data' and 'totalPages'", settings))
    return rows, pages


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _headers() -> dict[str, str]:
    return {"Accept": "application/json", "User-Agent": "sdgbridge (UNSD SDG API client)"}


def _offline(settings: Settings) -> str:
    return (f"or use the offline copies in {settings.data_dir} instead "
            "(`sdgbridge demo` loads them).")


def _refused(url: str, response: httpx.Response, settings: Settings) -> str:
    return (f"The SDG API refused {url}: HTTP {response.status_code} "
            f"{response.reason_phrase}. Check SDGBRIDGE_API_URL (now {settings.api_url}) "
            f"and the codes asked for, {_offline(settings)}")


def _gave_up(url: str, tries: int, problem: str, settings: Settings) -> str:
    return (f"No answer from the SDG API to {url} after {tries} tries (last: {problem}). "
            f"Check the network and SDGBRIDGE_API_URL (now {settings.api_url}), try again "
            f"later, {_offline(settings)}")


def _bad_json(url: str, exc: json.JSONDecodeError, settings: Settings) -> str:
    return (f"The SDG API answer to {url} is not valid JSON ({exc.msg}: line {exc.lineno} "
            f"column {exc.colno}). Check that SDGBRIDGE_API_URL (now {settings.api_url}) is "
            f"the SDG API, try again later, {_offline(settings)}")


def _unexpected(url: str, expected: str, settings: Settings) -> str:
    return (f"The SDG API answer to {url} is not {expected}. Check that SDGBRIDGE_API_URL "
            f"(now {settings.api_url}) is the SDG API, {_offline(settings)}")

"""Open SDG "tidy" CSV: the data files of national SDG reporting platforms.

One CSV per indicator, ``data/indicator_<goal>-<target>-<n>.csv`` (Kyrgyzstan drops the
``indicator_`` prefix; Kazakhstan adds national sub-indicators, ``indicator_17-3-1-2.csv``):
``Year`` first, ``Value`` last (text as written, ``" 1.5"`` too), the columns between break
it down (blank = total). Input: a file, a ``data/`` folder, or the platform root holding
``data/`` and maybe ``translations/<lang>/*.yml``, ``meta/<id>.yml``, ``*DSD*.xml``.

* ``UNIT_MEASURE``/``Units`` -> units; ``REF_AREA``/``GeoCode``/``Территория`` -> area, blank
  = the country (M49); other area codes are declared as sub-national areas.
* Series: the ``SERIES``/``Series`` cell, scoped by the indicator file (``CODE@2-2-1``: the
  platforms reuse a code under several indicators with different data); without that
  column, or blank (the headline rows of Kazakh 9-1-2), the national code
  ``<PUBLISHER>_<indicator number, _ for .>``
  (``KAZSTAT_17_11_1``, ``KAZSTAT_17_3_1_2``). A Kyrgyz ``Показатель`` text becomes the DSD
  ``CL_SERIES`` code with that Russian name, ignoring case and spaces (``SG_DSR_SILS``), else
  ``<national code>_<first 6 hex digits of SHA-1 of the text, spaces removed, lower case>``.
* Every other column -> a dimension (Russian headers mapped, see ``_RU_HEADERS``).

Series are the national office's, ``national=True``: never merged with UNSD series of the
same code. Kazakh ``indicator_3-1-1.xlsx`` is not read: it repeats ``indicator_3-1-1.csv``,
Excel keeps numbers, not their text (``10.0`` -> ``10``), and openpyxl is a test extra only.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from sdgbridge.errors import InputError, Rejection
from sdgbridge.ingest.model import (
    Batch,
    Reader,
    canonical_dimension,
    conform,
    conform_series,
    dims_key,
)
from sdgbridge.xml import parse_xml

_FILE = re.compile(r"^(?:indicator_)?(\d+)-([0-9a-z]+)-(\d+)((?:-\d+)*)\.csv$", re.IGNORECASE)
_COUNTRIES = {"KAZSTAT": "398", "KG_NSC": "417", "TAJSTAT": "762"}
_PATH_HINTS = (("kazakhstan", "KAZSTAT"), ("kazstat", "KAZSTAT"), ("kyrgyz", "KG_NSC"))
_ROLES = {"year": "period", "value": "value", "unit_measure": "units", "units": "units",
          "series": "series", "ref_area": "area", "территория": "area", "geocode": "geocode",
          "показатель": "label"}
# Kyrgyz CSVs have Russian headers: mapped to the SDMX concept names the platform's own SDMX
# files use, an unknown one transliterated ("возраст: 18-49лет" only says which ages 10-3-1
# covers). Their values stay as written, in Russian ("Женщины", "Городская", "15-19 лет"),
# like every other observation text: mapping them to SDMX codes is left to harmonisation.
_RU_HEADERS = {
    "местность": "urbanisation", "пол": "sex", "возраст": "age", "образование": "education_lev",
    "образование главы домохозяйства": "education_lev_household_head",
    "образование матери": "education_lev_mother",
    "квинтиль благосостояния": "income_wealth_quantile",
    "квинтиль индекса благосостояния": "income_wealth_quantile",
    "функциональные трудности (возраст: 18-49лет)": "functional_difficulty",
    "функциональные трудности у матери": "functional_difficulty_mother"}
_COUNTRY_NAMES = {"кыргызскаяреспублика": "417", "кыргызстан": "417", "киргизия": "417"}  # country
_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch  y  e yu ya"
_TRANSLIT = dict(zip(map(ord, "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"), _LATIN.split(" "), strict=True))
_SDMX = {"s": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
         "c": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"}
_YAML_KEY = re.compile(r"""^(?:'((?:[^']|'')*)'|"([^"]*)"|([^\s'"#-][^:]*?))\s*:(?:\s+(.*))?$""")


def _norm(text: str) -> str:
    """Names compared ignoring case and all spaces (``г.Бишкек`` = ``г. Бишкек``, NBSP)."""
    return re.sub(r"\s+", "", text).casefold()


def _slug(text: str) -> str:
    """ASCII name of a Cyrillic text: ``Область учёта`` -> ``oblast_ucheta``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower().translate(_TRANSLIT)).strip("_")


def _flat_yaml(path: Path) -> dict[str, str]:
    """Top-level ``key: text`` pairs of a YAML file (PyYAML is not a dependency): Open SDG
    translations are flat, values plain or quoted, long ones folded on indented lines."""
    text = path.read_text(encoding="utf-8-sig", errors="replace") if path.is_file() else ""
    items: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or line.startswith("---"):
            continue
        match = None if line[0].isspace() else _YAML_KEY.match(line)
        if match:
            name = next(g for g in match.groups()[:3] if g is not None)
            items.append([name.replace("''", "'"), match.group(4) or ""])
        elif items:
            items[-1][1] = items[-1][1].rstrip() + " " + line.strip()
    return {k: _yaml_scalar(v) for k, v in items}


def _yaml_scalar(text: str) -> str:
    text = re.sub(r"^[|>][-+]?\s*", "", text.strip())
    if len(text) > 1 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) > 1 and text[0] == text[-1] == '"':
        try:
            return str(json.loads(text))
        except ValueError:
            return text[1:-1]
    return "" if text in ("null", "~") else text


def _sdmx_codelists(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    """Codelist id -> code -> {lang: name} of an SDMX 2.1 structure file (parsed safely)."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for codelist in parse_xml(path).iterfind(".//s:Codelist", _SDMX):
        codes = out.setdefault(codelist.get("id", ""), {})
        for code in codelist.iterfind("s:Code", _SDMX):
            codes[code.get("id", "")] = {
                n.get("{http://www.w3.org/XML/1998/namespace}lang", ""): (n.text or "").strip()
                for n in code.iterfind("c:Name", _SDMX)}
    return out


class _Platform:
    """One platform: who publishes it and its label files (each read once, when needed)."""

    def __init__(self, root: Path, publisher: str, country: str) -> None:
        self.root, self.publisher, self.country = root, publisher, country
        self._yaml: dict[Path, dict[str, str]] = {}
        self._codes: dict[str, dict[str, dict[str, str]]] | None = None

    def yaml(self, *parts: str) -> dict[str, str]:
        path = self.root.joinpath(*parts)
        if path not in self._yaml:
            self._yaml[path] = _flat_yaml(path)
        return self._yaml[path]

    def label(self, group: str, code: str, lang: str) -> str | None:
        return self.yaml("translations", lang, f"{group}.yml").get(code)

    def title(self, ident: str, lang: str) -> str | None:
        """The national indicator title: the translation key ``meta/<id>.yml`` gives as
        ``indicator_available``, by default ``national_indicators.<id>-title``."""
        ref = self.yaml("meta", f"{ident}.yml").get("indicator_available", "")
        group, _, key = (ref or f"national_indicators.{ident}-title").partition(".")
        return self.label(group, key, lang)

    def named(self, codelist: str, name: str) -> tuple[str, dict[str, str]] | None:
        """(code, {lang: name}) of the code of the platform's SDMX structure (``*DSD*.xml``)
        codelist whose Russian name is ``name``, ignoring case and spaces."""
        if self._codes is None:
            found = sorted(self.root.glob("*DSD*.xml"))
            self._codes = _sdmx_codelists(found[0]) if found else {}
        return next(((code, names) for code, names in self._codes.get(codelist, {}).items()
                     if _norm(names.get("ru", "")) == _norm(name)), None)


def _decode(path: Path) -> str:
    """The file's text; InputError naming the line and byte where it is not UTF-8."""
    raw = path.read_bytes()
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0  # Kazakh 5-5-2
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        at, line = err.start + bom, raw.count(b"\n", 0, err.start + bom) + 1
        if err.reason == "unexpected end of data" and err.end + bom >= len(raw):
            raise InputError(f"{path}: line {line}: the file ends in the middle of a character "
                             f"(byte {at}); it looks truncated. Download it again.") from None
        raise InputError(f"{path}: line {line}: byte {at} (0x{raw[at]:02X}) is not valid UTF-8. "
                         "Save the file as UTF-8 (Excel: Save As > CSV UTF-8).") from None


def _records(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """(first line, fields) of each record; blank lines (Kazakh 4-a-1, 8-5-1, 11-6-2) skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for fields in reader:
            start, end = end + 1, reader.line_num
            if len(fields) > 1 or (fields and fields[0].strip()):
                out.append((start, fields))
    except csv.Error as err:
        raise InputError(f"{path}: line {end + 1}: {err} (a quoted field is not closed; "
                         "the file may be truncated).") from None
    return out


def _columns(path: Path, records: list[tuple[int, list[str]]]) -> list[tuple[int, str]]:
    """(position, name) of the columns to read; checks the header and the field counts."""
    header = [h.strip() for h in records[0][1]] if records else []
    named = [h for h in header if h]
    if not named or named[0] != "Year" or named[-1] != "Value":
        raise InputError(f"{path}: line 1: not an Open SDG data file: the header must start "
                         f"with Year and end with Value (found: {', '.join(header)}).")
    if len(set(named)) < len(named):
        raise InputError(f"{path}: line 1: a column name appears twice in the header; fix it.")
    # Unnamed columns: four Kazakh files (1-4-2, 3-1-2, 3-7-2, 5-5-2) end with 1 to 6
    # empty-header columns, empty on every row: skipped. One holding data would be kept as
    # the dimension column_<position> (1-based) rather than lost.
    return [(i, h or f"column_{i + 1}") for i, h in enumerate(header)
            if h or any(f[i].strip() for _, f in records[1:])]


def _data_dir(path: Path) -> Path:
    return path / "data" if (path / "data").is_dir() else path


def _is_data_file(path: Path) -> bool:
    """A CSV named like an indicator whose first line starts with Year and ends with Value."""
    if not (path.is_file() and _FILE.match(path.name)):
        return False
    with path.open("rb") as handle:
        first = handle.readline(65536).decode("utf-8-sig", errors="replace")
    named = [h.strip() for h in next(csv.reader([first]), []) if h.strip()]
    return bool(named) and named[0] == "Year" and named[-1] == "Value"


class OpenSdgReader(Reader):
    """Reads Open SDG tidy CSV files of a national platform (see the module docstring)."""

    name = "opensdg"
    title = "Open SDG tidy CSV (national SDG platforms, data/indicator_<id>.csv)"

    def __init__(self, publisher: str | None = None, country: str | None = None) -> None:
        self.publisher, self.country = publisher, country
        # Open SDG writes a blank Value for "no data" (so that the grid of years and regions
        # is complete): such a row has no observation; dropped, and counted here.
        self.skipped_blank = 0

    @classmethod
    def handles(cls, path: Path) -> bool:
        return any(map(_is_data_file, _data_dir(path).glob("*.csv") if path.is_dir() else [path]))

    def files(self, path: Path) -> list[Path]:
        """The indicator CSVs (an .xlsx or the Kyrgyz SDMX-ML beside them are not read)."""
        if path.is_file():
            return [path]
        return sorted(p for p in _data_dir(path).glob("*.csv") if _FILE.match(p.name))

    def read(self, path: Path) -> Iterator[Batch]:
        platform = self.platform(path)
        self.skipped_blank = 0
        for file in self.files(path):
            yield self._read_file(file, platform)

    def platform(self, path: Path) -> _Platform:
        """Publisher and country: the arguments, else from the platform folder's name."""
        folder = (path.parent if path.is_file() else _data_dir(path)).resolve()
        root = folder.parent if folder.name == "data" else folder
        names = f"{root.parent.name}/{root.name}".lower()  # not the whole path
        publisher = self.publisher or next((p for h, p in _PATH_HINTS if h in names), None)
        country = self.country or _COUNTRIES.get(publisher or "")
        if publisher is None or country is None:
            raise InputError(
                f"{path}: cannot tell which national platform this is. Pass --publisher (the "
                "statistical office, e.g. KAZSTAT) and --country (its M49 code, e.g. 398).")
        if not country.isdigit():
            raise InputError(f"--country {country}: give the M49 numeric code (e.g. 398).")
        return _Platform(root, publisher, str(int(country)))

    def _read_file(self, path: Path, plat: _Platform) -> Batch:
        if not _FILE.match(path.name):  # the indicator number comes from the name
            raise InputError(f"{path}: an Open SDG data file is a CSV named indicator_<goal>-"
                             "<target>-<indicator>.csv (e.g. indicator_17-11-1.csv).")
        records = _records(path, _decode(path))
        width = len(records[0][1]) if records else 0
        # A row with a wrong field count (a lost comma, a truncated last row) is rejected with
        # its line; the rest of the file still reads, so --partial can load it.
        ragged = [(line, f) for line, f in records[1:] if len(f) != width]
        records = records[:1] + [r for r in records[1:] if len(r[1]) == width]
        data = {name: [f[i] for _, f in records[1:]] for i, name in _columns(path, records)}
        data["_line"] = [str(line) for line, _ in records[1:]]
        frame = pl.DataFrame(data, schema={k: pl.Utf8 for k in data})
        blank = frame["Value"].str.strip_chars() == ""
        self.skipped_blank += int(blank.sum())
        batch = _File(path, plat, frame.filter(~blank)).batch()
        last = records[-1][0] if records else 0
        batch.rejections = [Rejection(
            str(path), line, "row", f"{len(f)} fields where the header has {width}; every row "
            "needs one field per column (a blank cell still needs its comma)"
            + ("; this is the last row: the file may be truncated" if line > last else ""))
            for line, f in ragged]
        return batch


class _File:
    """One indicator file's rows (all text, ``_line`` last) turned into a Batch."""

    def __init__(self, path: Path, plat: _Platform, frame: pl.DataFrame) -> None:
        goal, target, number, extra = _FILE.match(path.name).groups()  # type: ignore[union-attr]
        self.path, self.plat, self.frame = path, plat, frame
        self.ident = f"{goal}-{target}-{number}{extra}"  # 17-3-1-2: names meta and labels
        self.indicator = f"{goal}.{target.lower()}.{number}"  # the global indicator, 17.3.1
        self.national = f"{plat.publisher}_{self.ident.replace('-', '_')}"  # KAZSTAT_17_3_1_2
        self.fallback = f"{plat.publisher} national indicator {self.ident.replace('-', '.')}"
        self.roles: dict[str, str] = {}
        for column in reversed(frame.columns[:-1]):  # the first column of a role wins
            if role := _ROLES.get(column.lower()):
                self.roles[role] = column
        if "area" not in self.roles and "geocode" in self.roles:
            self.roles["area"] = self.roles.pop("geocode")
        self.dims = {c: _dimension_name(c) for c in frame.columns[:-1]
                     if c not in self.roles.values()}
        if len(set(self.dims.values())) < len(self.dims):
            raise InputError(f"{path}: line 1: two columns name the same dimension; rename one.")

    def batch(self) -> Batch:
        series, described = self._series()
        area, areas = self._area()
        # Kazakh 2-3-1, 17-3-1-2/-3 have GeoCode beside REF_AREA, inconsistent with it (KZ03
        # on most regions): kept as the attribute {"GeoCode": ...}, not used as the area.
        units, geo = (pl.col(self.roles[r]) if r in self.roles else pl.lit(None, dtype=pl.Utf8)
                      for r in ("units", "geocode"))
        frame = self.frame.with_columns(pl.col(c).alias(n) for c, n in self.dims.items())
        observations = frame.select(
            series.alias("series"), pl.lit(self.plat.publisher).alias("publisher"),
            area.alias("area"), pl.col("Year").alias("period"), pl.col("Value").alias("value"),
            units.alias("units"), pl.col("_line"), pl.when(geo.str.strip_chars() != "").then(
                pl.struct(geo.alias("GeoCode")).struct.json_encode()).alias("attrs"),
            pl.lit(str(self.path)).alias("_file"), dims_key(list(self.dims.values())).alias("dims"),
        )
        return Batch(conform(observations), self._series_frame(described), areas,
                     self._codelists())

    def _series(self) -> tuple[pl.Expr, dict[str, tuple[str | None, str | None]]]:
        """The series expression, and code -> (description, description_ru) of every code."""
        column, label = self.roles.get("series"), self.roles.get("label")
        if column is not None:
            # A SERIES code names data only within its indicator file: Kazstat publishes
            # _L_KZ_DD_MSD under 2.2.1 (13.1 for 2010) and under 2.2.2 (4.05), so the stored
            # code is scoped by the file's indicator: "_L_KZ_DD_MSD@2-2-1".
            blank = pl.col(column).str.strip_chars() == ""
            described = {f"{c}@{self.ident}" if c.strip() else self.national: self._describe(c)
                         for c in self.frame[column].unique().to_list()}
            scoped = pl.col(column) + pl.lit(f"@{self.ident}")
            return pl.when(blank).then(pl.lit(self.national)).otherwise(scoped), described
        if label is not None:
            found = {t: self._label_series(t) for t in self.frame[label].unique().to_list()}
            described = {code: (en, ru) for code, en, ru in found.values()}
            mapping = {t: code for t, (code, _, _) in found.items()}
            return pl.col(label).replace_strict(mapping, return_dtype=pl.Utf8), described
        # Many Kazakh files are a header only (no data yet): no series is declared for them.
        return pl.lit(self.national), {self.national: self._describe("")} if len(self.frame) else {}

    def _describe(self, code: str) -> tuple[str | None, str | None]:
        """(en, ru): the indicator title (en: else ``fallback``) and the SERIES label of code."""
        texts = [": ".join(t for t in (self.plat.title(self.ident, lang) or default,
                                       self.plat.label("SERIES", code.strip(), lang)) if t)
                 for lang, default in (("en", self.fallback), ("ru", None))]
        return texts[0] or None, texts[1] or None

    def _label_series(self, text: str) -> tuple[str, str | None, str | None]:
        """(code, en, ru) of a Kyrgyz ``Показатель`` text (rule in the module docstring)."""
        if not text.strip():
            return self.national, None, None
        if found := self.plat.named("CL_SERIES", text):
            return found[0], found[1].get("en"), found[1].get("ru")
        digest = hashlib.sha1(_norm(text).encode(), usedforsecurity=False).hexdigest()[:6].upper()
        return f"{self.national}_{digest}", None, text

    def _series_frame(self, described: dict[str, tuple[str | None, str | None]]) -> pl.DataFrame:
        rows = [{"code": code, "publisher": self.plat.publisher, "description": en or self.fallback,
                 "description_ru": ru, "national": True, "indicators": self.indicator}
                for code, (en, ru) in sorted(described.items())]
        return conform_series(pl.DataFrame(rows, schema_overrides={"national": pl.Boolean}))

    def _area(self) -> tuple[pl.Expr, list[dict[str, object]]]:
        """The area expression (blank = the country) and the sub-national areas met."""
        column = self.roles.get("area")
        if column is None:
            return pl.lit(self.plat.country), []
        found = {n: self._area_of(column, n) for n in self.frame[column].unique().to_list()}
        codes = {n: f[0] for n, f in found.items()}
        named = {code: (en, ru) for code, en, ru in found.values() if code != self.plat.country}
        source = f"{self.plat.publisher} Open SDG"
        return pl.col(column).replace_strict(codes, return_dtype=pl.Utf8), [
            {"code": code, "name_en": en or code, "name_ru": ru, "kind": "subnational",
             "parent": self.plat.country, "source": source}
            for code, (en, ru) in sorted(named.items())]

    def _area_of(self, column: str, name: str) -> tuple[str, str | None, str | None]:
        """(code, name_en, name_ru) of an area cell. A Kyrgyz territory name becomes the DSD
        CL_AREA code with that Russian name (``Баткенская область`` -> KG05, ``г.Бишкек`` and
        ``г. Бишкек`` -> KG11), else ``<PUBLISHER>_<transliterated name>``."""
        if not name.strip() or _norm(name) in _COUNTRY_NAMES:
            return _COUNTRY_NAMES.get(_norm(name), self.plat.country), None, None
        if column.lower() != "территория":
            return (name, self.plat.label("REF_AREA", name, "en"),
                    self.plat.label("REF_AREA", name, "ru"))
        if found := self.plat.named("CL_AREA", name):
            return found[0], found[1].get("en"), found[1].get("ru")
        return f"{self.plat.publisher}_{_slug(name).upper()}", None, name

    def _codelists(self) -> dict[str, frozenset[str]]:
        """The codes ``translations/en|ru/<COLUMN>.yml`` label (the two lists differ), for the
        columns of this file; a code outside them is rejected later with its line."""
        wanted: dict[str, str | None] = {name: column for column, name in self.dims.items()}
        wanted.update({role: self.roles.get(role) for role in ("units", "series", "area")})
        extra = {"area": {self.plat.country}, "series": {self.national}}
        out = {}
        for key, column in wanted.items():
            files = [self.plat.yaml("translations", lang, f"{column}.yml")
                     for lang in ("en", "ru")] if column and column.isascii() else []
            if any(files):
                out[key] = frozenset().union(*files, extra.get(key, ()))
        return out


def _dimension_name(header: str) -> str:
    key = " ".join(header.lower().split())
    if key in _RU_HEADERS:
        return _RU_HEADERS[key]
    return canonical_dimension(header) if header.isascii() else _slug(header)

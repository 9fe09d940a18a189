"""Open SDG "tidy" CSV: the data files of national SDG reporting platforms.

One CSV per indicator, ``data/indicator_<goal>-<target>-<n>.csv`` (Kyrgyzstan drops the
``indicator_`` prefix; Kazakhstan adds national sub-indicators, ``indicator_17-3-1-2.csv``):
``Year`` first, ``Value`` last (text as written, ``" 1.5"`` included), the columns between
break the value down (blank = total). The input is one file, a ``data/`` folder, or the
platform root holding ``data/`` and, where present, ``translations/<lang>/*.yml``,
``meta/<id>.yml`` and an SDMX structure ``*DSD*.xml`` (labels, titles, codes).

* ``UNIT_MEASURE``/``Units`` -> units; ``REF_AREA``/``GeoCode``/``Территория`` -> area, blank
  = the country (M49); other area codes are declared as sub-national areas.
* Series: the ``SERIES``/``Series`` cell; without that column, or blank (the headline rows of
  Kazakh 9-1-2), the national code ``<PUBLISHER>_<indicator number, _ for .>``
  (``KAZSTAT_17_11_1``, ``KAZSTAT_17_3_1_2``). A Kyrgyz ``Показатель`` text becomes the DSD
  ``CL_SERIES`` code with that Russian name, ignoring case and spaces (``SG_DSR_SILS``), else
  ``<national code>_<first 6 hex digits of SHA-1 of the text, spaces removed, lower case>``.
* Every other column -> a dimension (Russian headers mapped, see ``_RU_HEADERS``).

Series are published by the national office, ``national=True``: never merged with the UNSD
series of the same code. ``indicator_3-1-1.xlsx`` (Kazakh folder) is not read: it repeats
``indicator_3-1-1.csv`` (237 rows), Excel keeps numbers not their text (``10.0`` -> ``10``)
and openpyxl is only a test dependency.
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
from lxml import etree

from sdgbridge.errors import InputError
from sdgbridge.ingest.model import Batch, canonical_dimension, conform, conform_series, dims_key
from sdgbridge.ingest.registry import Reader, register

_FILE = re.compile(r"^(?:indicator_)?(\d+)-([0-9a-z]+)-(\d+)((?:-\d+)*)\.csv$", re.IGNORECASE)
_COUNTRIES = {"KAZSTAT": "398", "KG_NSC": "417", "TAJSTAT": "762"}
_PATH_HINTS = (("kazakhstan", "KAZSTAT"), ("kazstat", "KAZSTAT"), ("kyrgyz", "KG_NSC"))
_ROLES = {"year": "period", "value": "value", "unit_measure": "units", "units": "units",
          "series": "series", "ref_area": "area", "территория": "area", "geocode": "geocode",
          "показатель": "label"}
# Kyrgyz CSVs have Russian headers: mapped to the SDMX concept names the platform's own SDMX
# files use; an unknown one is transliterated. ("возраст: 18-49лет" only says which ages the
# 10-3-1 breakdown covers.)
_RU_HEADERS = {
    "местность": "urbanisation", "пол": "sex", "возраст": "age", "образование": "education_lev",
    "образование главы домохозяйства": "education_lev_household_head",
    "образование матери": "education_lev_mother",
    "квинтиль благосостояния": "income_wealth_quantile",
    "квинтиль индекса благосостояния": "income_wealth_quantile",
    "функциональные трудности (возраст: 18-49лет)": "functional_difficulty",
    "функциональные трудности у матери": "functional_difficulty_mother"}
# Russian values with an exact code in the Kyrgyz DSD (CL_SEX, CL_URBANISATION, CL_QUANTILE);
# ages "15-19 лет" become Y15T19 (CL_AGE). Other values (education levels, functional
# difficulty) have no one-to-one code and stay as written.
_RU_VALUES = {
    "sex": {"Мужчины": "M", "Мужской": "M", "Женщины": "F", "Женский": "F"},
    "urbanisation": {"Городская": "U", "Сельская": "R"},
    "income_wealth_quantile": {"Беднейший": "Q1", "Второй": "Q2", "Средний": "Q3",
                               "Четвертый": "Q4", "Богатейший": "Q5"}}
# Territory names meaning the whole country (the Kyrgyz DSD names it "Киргизия").
_COUNTRY_NAMES = {"кыргызскаяреспублика": "417", "кыргызстан": "417", "киргизия": "417"}
_TRANSLIT = dict(zip(map(ord, "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"), (
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch  y  e yu ya".split(" ")), strict=True))
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
    """The top-level ``key: text`` pairs of a flat YAML file (PyYAML is not a dependency).

    Open SDG translation files are flat: plain, 'single' or "double" quoted values, long ones
    folded onto indented lines. Nested blocks fold into their parent's text; a blank line
    inside a value folds to a space, not a line break.
    """
    if not path.is_file():
        return {}
    items: list[list[str]] = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
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
    """Codelist id -> code -> {lang: name} of an SDMX 2.1 structure file."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    out: dict[str, dict[str, dict[str, str]]] = {}
    for codelist in etree.parse(str(path), parser).iterfind(".//s:Codelist", _SDMX):
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

    def declared(self, group: str) -> frozenset[str]:
        """The codes ``translations/en|ru/<group>.yml`` label (the two lists differ)."""
        return frozenset(self.yaml("translations", "en", f"{group}.yml")).union(
            self.yaml("translations", "ru", f"{group}.yml"))

    def title(self, ident: str, lang: str) -> str | None:
        """The national indicator title: ``national_indicators.yml`` or ``meta/<id>.yml``."""
        meta = self.yaml("meta", f"{ident}.yml")
        for ref in [f"national_indicators.{ident}-title",
                    *(meta[k] for k in ("indicator_available", "graph_title") if k in meta)]:
            if re.fullmatch(r"[\w-]+\.[\w.-]+", ref):  # a translation key "group.key"
                text = self.label(*ref.split(".", 1), lang)
            else:  # literal text in the meta file, in the platform's default language
                text = ref if lang == "en" else None
            if text:
                return text
        return None

    def codes(self, codelist: str) -> dict[str, dict[str, str]]:
        """Code -> {lang: name} of a codelist of the platform's SDMX structure file, if any."""
        if self._codes is None:
            found = sorted(self.root.glob("*DSD*.xml"))
            self._codes = _sdmx_codelists(found[0]) if found else {}
        return self._codes.get(codelist, {})


def _decode(path: Path) -> str:
    """The file's text; InputError naming the line and byte where it is not UTF-8."""
    raw = path.read_bytes()
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0  # Kazakh 5-5-2
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        at = err.start + bom
        line = raw.count(b"\n", 0, at) + 1
        if err.reason == "unexpected end of data" and err.end + bom >= len(raw):
            raise InputError(f"{path}: line {line}: the file ends in the middle of a character "
                             f"(byte {at}); it looks truncated. Download it again.") from None
        raise InputError(f"{path}: line {line}: byte {at} (0x{raw[at]:02X}) is not valid UTF-8. "
                         "Save the file as UTF-8 (Excel: Save As > CSV UTF-8).") from None


def _records(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """(first line number, fields) of every record. Blank lines are skipped: Kazakh 11-6-2,
    4-a-1 and 8-5-1 have empty lines between or after their rows."""
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
    for line, fields in records[1:]:
        if len(fields) != len(header):
            hint = " This is the last row: the file may be truncated." * (line == records[-1][0])
            raise InputError(f"{path}: line {line}: {len(fields)} fields where the header has "
                             f"{len(header)}. Every row needs one field per column (a blank "
                             f"cell still needs its comma).{hint}")
    if len(set(named)) < len(named):
        raise InputError(f"{path}: line 1: a column name appears twice in the header.")
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


@register
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
        if path.is_dir():
            return any(_is_data_file(p) for p in _data_dir(path).glob("*.csv"))
        return _is_data_file(path)

    def files(self, path: Path) -> list[Path]:
        if path.is_file():
            return [path]
        return sorted(p for p in _data_dir(path).glob("*.csv") if _FILE.match(p.name))

    def read(self, path: Path) -> Iterator[Batch]:
        platform = self.platform(path)
        self.skipped_blank = 0
        for file in self.files(path):
            yield self._read_file(file, platform)

    def platform(self, path: Path) -> _Platform:
        """The platform of ``path``: publisher and country from the arguments, else guessed
        from the names of the platform folder and its parent (not the whole path)."""
        folder = (path.parent if path.is_file() else _data_dir(path)).resolve()
        root = folder.parent if folder.name == "data" else folder
        names = f"{root.parent.name}/{root.name}".lower()
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
            raise InputError(f"{path}: an Open SDG data file is named indicator_<goal>-"
                             "<target>-<indicator>.csv (e.g. indicator_17-11-1.csv); rename it.")
        records = _records(path, _decode(path))
        data = {name: [f[i] for _, f in records[1:]] for i, name in _columns(path, records)}
        data["_line"] = [str(line) for line, _ in records[1:]]
        frame = pl.DataFrame(data, schema={k: pl.Utf8 for k in data})
        blank = frame["Value"].str.strip_chars() == ""
        self.skipped_blank += int(blank.sum())
        return _File(path, plat, frame.filter(~blank)).batch()


class _File:
    """One indicator file's rows (all text, ``_line`` last) turned into a Batch."""

    def __init__(self, path: Path, plat: _Platform, frame: pl.DataFrame) -> None:
        goal, target, number, extra = _FILE.match(path.name).groups()  # type: ignore[union-attr]
        self.path, self.plat, self.frame = path, plat, frame
        self.ident = f"{goal}-{target}-{number}{extra}"  # 17-3-1-2: names meta and labels
        self.indicator = f"{goal}.{target.lower()}.{number}"  # the global indicator, 17.3.1
        self.national = f"{plat.publisher}_{self.ident.replace('-', '_')}"  # KAZSTAT_17_3_1_2
        self.roles: dict[str, str] = {}
        for column in frame.columns[:-1]:
            role = _ROLES.get(column.lower())
            if role and role not in self.roles:
                self.roles[role] = column
        if "area" not in self.roles and "geocode" in self.roles:
            self.roles["area"] = self.roles.pop("geocode")
        self.dims = {c: _dimension_name(c) for c in frame.columns[:-1]
                     if c not in self.roles.values()}
        if len(set(self.dims.values())) < len(self.dims):
            raise InputError(f"{path}: line 1: two columns make the same dimension name "
                             f"({', '.join(self.dims)}); rename one.")

    def batch(self) -> Batch:
        series, described = self._series()
        area, areas = self._area()
        # Kazakh 2-3-1, 17-3-1-2/-3 have GeoCode beside REF_AREA, inconsistent with it (KZ03
        # on most regions): kept as the attribute {"GeoCode": ...}, not used as the area.
        geo = _col(self.roles.get("geocode"))
        observations = self.frame.select(
            series.alias("series"), pl.lit(self.plat.publisher).alias("publisher"),
            area.alias("area"), pl.col("Year").alias("period"), pl.col("Value").alias("value"),
            _col(self.roles.get("units")).alias("units"), pl.col("_line"),
            pl.when(geo.str.strip_chars() != "").then(
                pl.struct(geo.alias("GeoCode")).struct.json_encode()).alias("attrs"),
            pl.lit(str(self.path)).alias("_file"),
        ).with_columns(self._dims())
        return Batch(conform(observations), self._series_frame(observations, described),
                     areas, self._codelists())

    def _dims(self) -> pl.Series:
        if not self.dims:
            return pl.Series("dims", [""] * self.frame.height, dtype=pl.Utf8)
        dims = self.frame.select(_dim_expr(c, n) for c, n in self.dims.items())
        return dims.select(dims_key(dims.columns)).to_series().alias("dims")

    def _series(self) -> tuple[pl.Expr, dict[str, tuple[str | None, str | None]]]:
        """The series expression, and code -> (description, description_ru) of its codes."""
        column, label = self.roles.get("series"), self.roles.get("label")
        if column is not None:
            blank = pl.col(column).str.strip_chars() == ""
            described = {c if c.strip() else self.national: self._describe(c)
                         for c in self.frame[column].unique().to_list()}
            return pl.when(blank).then(pl.lit(self.national)).otherwise(pl.col(column)), described
        if label is not None:
            found = {t: self._label_series(t) for t in self.frame[label].unique().to_list()}
            described = {code: (en, ru) for code, en, ru in found.values()}
            mapping = {t: code for t, (code, _, _) in found.items()}
            return pl.col(label).replace_strict(mapping, return_dtype=pl.Utf8), described
        return pl.lit(self.national), {self.national: self._describe("")}

    def _describe(self, code: str) -> tuple[str | None, str | None]:
        """(en, ru): the indicator title and the SERIES label of ``code``, where known."""
        texts = [": ".join(t for t in (self.plat.title(self.ident, lang),
                                       self.plat.label("SERIES", code.strip(), lang)) if t)
                 for lang in ("en", "ru")]
        return texts[0] or None, texts[1] or None

    def _label_series(self, text: str) -> tuple[str, str | None, str | None]:
        """(code, en, ru) of a Kyrgyz ``Показатель`` text (rule in the module docstring)."""
        if not text.strip():
            return self.national, None, None
        for code, names in self.plat.codes("CL_SERIES").items():
            if _norm(names.get("ru", "")) == _norm(text):
                return code, names.get("en"), names.get("ru")
        digest = hashlib.sha1(_norm(text).encode("utf-8")).hexdigest()[:6].upper()
        return f"{self.national}_{digest}", None, text

    def _series_frame(self, obs: pl.DataFrame, described: dict) -> pl.DataFrame:
        fallback = f"{self.plat.publisher} national indicator {self.ident.replace('-', '.')}"
        rows = [{"code": code, "publisher": self.plat.publisher,
                 "description": described.get(code, (None, None))[0] or fallback,
                 "description_ru": described.get(code, (None, None))[1],
                 "national": True, "indicators": self.indicator}
                for code in sorted(obs["series"].unique().to_list())]
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
        """(code, name_en, name_ru) of an area cell. A Kyrgyz territory name becomes the code
        of the platform DSD's CL_AREA with that Russian name (``Баткенская область`` -> KG05,
        ``г.Бишкек`` = ``г. Бишкек`` -> KG11), the country for ``Кыргызская Республика``,
        else ``<PUBLISHER>_<transliterated name>``."""
        if not name.strip() or _norm(name) in _COUNTRY_NAMES:
            return _COUNTRY_NAMES.get(_norm(name), self.plat.country), None, None
        if column.lower() != "территория":
            return name, *(self.plat.label("REF_AREA", name, lang) for lang in ("en", "ru"))
        for code, names in self.plat.codes("CL_AREA").items():
            if _norm(names.get("ru", "")) == _norm(name):
                return code, names.get("en"), names.get("ru") or name
        return f"{self.plat.publisher}_{_slug(name).upper()}", None, name

    def _codelists(self) -> dict[str, frozenset[str]]:
        """Codes the platform's translation files declare, for the columns of this file."""
        wanted = {role: self.roles.get(role) for role in ("units", "series", "area")}
        wanted.update({name: column for column, name in self.dims.items()})
        extra = {"area": {self.plat.country}, "series": {self.national}}
        out = {}
        for key, column in wanted.items():
            codes = self.plat.declared(column) if column and column.isascii() else frozenset()
            if codes:
                out[key] = codes | extra.get(key, set())
        return out


def _dimension_name(header: str) -> str:
    key = " ".join(header.lower().split())
    if key in _RU_HEADERS:
        return _RU_HEADERS[key]
    return canonical_dimension(header) if header.isascii() else _slug(header)


def _dim_expr(column: str, name: str) -> pl.Expr:
    expr = pl.col(column)
    if name in _RU_VALUES:  # values with no mapping stay as written
        expr = expr.replace(_RU_VALUES[name])
    if name == "age":
        expr = expr.str.replace(r"^(\d+)\s*-\s*(\d+)\s*лет$", "Y${1}T${2}")
    return expr.alias(name)


def _col(column: str | None) -> pl.Expr:
    return pl.col(column) if column else pl.lit(None, dtype=pl.Utf8)

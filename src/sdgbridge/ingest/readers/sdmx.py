"""SDMX-ML data messages from national SDG platforms, read against their DSD.

SDMX-ML 2.1 is read with ``sdmx1``; 2.0 GenericData, which it cannot read ("Cannot determine
SDMX-ML version"), with lxml. Each message needs its DSD: a structure file in its folder or the
one above (Open SDG repositories keep ``SDG_DSD.KG_1.8.xml`` at the root, data in ``data/``),
or the file passed as ``structure`` (``--structure``). The DSD gives code names (en, ru), the
SERIES annotations naming each series' indicator, and the codes each dimension allows.

Stored codes: ``area`` is M49 for a country (``KG`` -> ``417``, ``tj`` -> ``762``) and the
national code for a sub-national area (``KG02``, declared in ``Batch.areas``); ``indicators``
are global three-part codes (:func:`indicator`); ``value`` is the OBS_VALUE text as written.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from sdgbridge.errors import InputError
from sdgbridge.ingest import model
from sdgbridge.ingest.model import Reader, canonical_dimension
from sdgbridge.xml import check_safe_xml, parse_xml

DATA_ROOTS = frozenset({"GenericData", "StructureSpecificData", "GenericTimeSeriesData",
                        "StructureSpecificTimeSeriesData", "CompactData"})
# Key parts with columns of their own; every other dimension goes into ``dims``.
KEY_CONCEPTS = frozenset({"FREQ", "REPORTING_TYPE", "SERIES", "REF_AREA", "TIME_PERIOD"})
ATTRIBUTE_COLUMNS = {"UNIT_MEASURE": "units", "UNIT_MULT": "unit_mult", "NATURE": "nature",
                     "OBS_STATUS": "obs_status", "TIME_DETAIL": "time_detail",
                     "SOURCE_DETAIL": "source", "LOWER_BOUND": "lower_bound",
                     "UPPER_BOUND": "upper_bound"}
FOOTNOTES = ("COMMENT_OBS", "COMMENT_TS", "COMMENT")  # the first present is the footnote
# REF_AREA alpha-2 codes of the Centre's countries -> M49. Other alpha-2 codes stay as written
# (the validator then rejects them as unknown areas, with their line).
COUNTRIES = {"AF": "4", "KZ": "398", "KG": "417", "TJ": "762", "TM": "795", "UZ": "860"}
# National statistical offices: SDMX agency or sender id -> publisher; country -> publisher.
AGENCIES = {"KAZSTAT": "KAZSTAT", "KG_NSC": "KG_NSC", "TAJSTAT": "TAJSTAT"}
PUBLISHERS = {"398": "KAZSTAT", "417": "KG_NSC", "762": "TAJSTAT"}
# The offices' names, for the release's source (each office's own English name).
OFFICES = {"KAZSTAT": "Bureau of National Statistics of Kazakhstan",
           "KG_NSC": "National Statistical Committee of the Kyrgyz Republic",
           "TAJSTAT": "Agency on Statistics under the President of the Republic of Tajikistan"}
_INDICATOR = re.compile(r"(\d{1,2})\.([0-9a-z]{1,2})\.(\d{1,2})(?:\.|$)")
_FIRST_TAG = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_URN = re.compile(r"=([^:=]+):([^(]+)\(([^)]*)\)")
_ROW = (*ATTRIBUTE_COLUMNS.values(), "footnote", "area", "_parent", "series", "period",
        "value", "attrs", "_file", "_line")


@dataclass(frozen=True)
class Header:
    """What a data message says before its data: version, sender, DSD reference."""

    version: str  # "2.0", or "2.1" (which stands for anything sdmx1 reads)
    sender: str | None
    agency: str | None
    dsd_id: str | None
    dsd_version: str | None


@dataclass
class Obs:
    """One observation, whatever the format: all dimensions (TIME_PERIOD too), attributes."""

    key: dict[str, str | None]
    attrs: dict[str, str | None]
    value: str | None
    line: str  # Series[i]/Obs[j] (sdmx1 gives no line numbers), or the line of <Obs>


class SdmxReader(Reader):
    name = "sdmx"
    title = "SDMX-ML data messages (2.1, 2.0 GenericData) with their DSD"

    def __init__(self, structure: Path | None = None) -> None:
        self.structure = structure

    @classmethod
    def handles(cls, path: Path) -> bool:
        files = _xml_files(path) if path.is_dir() else [path]
        return any(p.suffix.lower() == ".xml" and _root(p) in DATA_ROOTS for p in files)

    def default_source(self, path: Path) -> str:
        """The sending office's name where the message names a known one, with the input's
        name (``National Statistical Committee of the Kyrgyz Republic, SDMX
        (kyrgyzstan_nsc)``)."""
        data = _data_files(path) if path.exists() else []
        header = _header(data[0]) if data else None
        office = next((AGENCIES[x] for x in (header.agency, header.sender) if x in AGENCIES),
                      None) if header else None
        if office is None and data:  # a header naming another sender (Tajstat's says BIS)
            office = next((a for a in AGENCIES if a in data[0].name.upper()), None)
        return f"{OFFICES[office]}, SDMX ({path.name})" if office else f"SDMX ({path.name})"

    def files(self, path: Path) -> list[Path]:
        data = _data_files(path)
        dsds = {self._dsd(f, _header(f))[0] for f in data}
        return data + sorted(dsds - set(data))

    def read(self, path: Path) -> Iterator[model.Batch]:
        for file in _data_files(path):
            header = _header(file)
            dsd = self._dsd(file, header)[1]
            obs = _read_v21(file, dsd) if header.version == "2.1" else _read_v20(file)
            batch = Structure(dsd).batch(file, header, obs)
            if header.version != "2.1":
                # Tajstat's 2.0 message writes UNSD unit codes (PERCENT, INDEX) that its own
                # DSD (the global SDG DSD 1.0, SDMX codes such as PT) lacks: the units are
                # kept as written and not checked against that DSD.
                batch.codelists.pop("units", None)
            yield batch

    def _dsd(self, path: Path, header: Header) -> tuple[Path, Any]:
        """The DSD the message refers to: the one given, else one found beside the data."""
        if self.structure is not None and not self.structure.is_file():
            raise InputError(f"{self.structure}: no such DSD file; check --structure.")
        folders = list(dict.fromkeys([path.parent, path.parent.parent]))
        found = (_match([self.structure], header, lenient=True) if self.structure else
                 _match([f for d in folders for f in _xml_files(d) if _root(f) == "Structure"],
                        header))
        if found is None:
            ref = f"{header.agency}:{header.dsd_id}({header.dsd_version or 'any version'})"
            raise InputError(f"{path}: no DSD {ref} found in "
                             f"{self.structure or ' or '.join(map(str, folders))}. Put the DSD "
                             "file (an SDMX-ML structure message) beside the data, or pass it "
                             "with --structure.")
        return found


def _xml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix.lower() == ".xml" and p.is_file())


def _data_files(path: Path) -> list[Path]:
    """The data messages of a folder, or the file itself; each checked as safe to parse."""
    files = [p for p in _xml_files(path) if _root(p) in DATA_ROOTS] if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path}: no SDMX-ML data message in this folder.")
    for file in files:
        _check(file)
        if (root := _root(file)) not in DATA_ROOTS - {"CompactData"}:  # CompactData: 2.0/1.0
            raise InputError(f"{file}: not an SDMX-ML data message sdgbridge reads (root "
                             f"{root!r}); give SDMX-ML 2.1 or 2.0 GenericData (convert 2.0 "
                             "CompactData to 2.1 with the SDMX Converter).")
    return files


def _root(path: Path) -> str | None:
    """The root element's local name, from the head of the file (never parses)."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # claimed, so that read() explains the encoding
        head = head.decode("utf-16", "replace").encode()
    match = _FIRST_TAG.search(re.sub(r"<!--.*?-->", "", head.decode("utf-8", "replace"),
                                     flags=re.DOTALL))
    return match.group(1) if match else None


def _check(path: Path) -> None:
    """Refuse before any parse: DTDs and entities; and UTF-16/32, whose bytes the safety
    check cannot see into (``<!DOCTYPE`` in UTF-16 is not those bytes)."""
    check_safe_xml(path)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head:
        raise InputError(f"{path}: the file is UTF-16 or UTF-32, not UTF-8; sdgbridge reads "
                         "SDMX-ML in UTF-8 only. Convert it (e.g. `iconv -f UTF-16 -t UTF-8`) "
                         "and read the copy.")


def _broken(path: Path, exc: etree.XMLSyntaxError) -> InputError:
    return InputError(f"{path}:{exc.lineno}: broken XML ({exc.msg}). The file may be truncated "
                      "or not XML at all; fetch it again from its publisher.")


def _header(path: Path) -> Header:
    """Read the message header without reading the data (a safe, stopping iterparse)."""
    found: dict[str, str | None] = {}
    try:
        with path.open("rb") as fh:
            for event, el in etree.iterparse(fh, events=("start", "end"), no_network=True,
                                             resolve_entities=False, load_dtd=False):
                name = etree.QName(el).localname
                if event == "start":
                    found.setdefault("ns", etree.QName(el).namespace or "")
                if name == "DataSet" or (event, name) == ("end", "Header"):
                    break
                if event == "end":
                    _header_field(found, name, el)
    except etree.XMLSyntaxError as exc:
        raise _broken(path, exc) from exc
    return Header("2.0" if "v2_0" in str(found.get("ns")) else "2.1", found.get("Sender"),
                  found.get("agency"), found.get("id"), found.get("version"))


def _header_field(found: dict[str, str | None], name: str, el: etree._Element) -> None:
    if name == "Sender":
        found["Sender"] = el.get("id")
    elif name == "Ref" and el.get("id"):  # 2.1: <common:Structure><Ref agencyID= id= version=>
        found |= {"agency": el.get("agencyID"), "id": el.get("id"), "version": el.get("version")}
    elif name == "URN" and (m := _URN.search(el.text or "")):
        found |= dict(zip(("agency", "id", "version"), m.groups(), strict=True))
    elif name in ("KeyFamilyRef", "KeyFamilyAgency"):  # 2.0
        found["id" if name == "KeyFamilyRef" else "agency"] = (el.text or "").strip()


def _match(files: list[Path], header: Header, lenient: bool = False) -> tuple[Path, Any] | None:
    """The DSD with the referenced agency and id, preferably the version too (three KG files
    refer to SDG(1.7); the platform ships 1.8); ``lenient`` (a DSD named by the user): a
    file's only DSD matches too."""
    found = [(f, d) for f in files for d in _structures(f).structure.values()]
    same = [(f, d) for f, d in found if d.id == header.dsd_id
            and header.agency in (None, d.maintainer.id if d.maintainer else None)]
    exact = [(f, d) for f, d in same if header.dsd_version in (None, str(d.version))]
    fallback = found if lenient and len(found) == 1 else []
    chosen = exact or same or fallback
    return chosen[0] if chosen else None


def _structures(path: Path) -> Any:
    _check(path)
    stat = path.stat()
    return _parse_structures(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _parse_structures(path: Path, mtime: int, size: int) -> Any:
    """Parse a structure message once (the Kyrgyz DSD is 1.7 MB: about a second)."""
    from sdmx.message import StructureMessage

    message = _sdmx1(path, None)
    if not isinstance(message, StructureMessage):
        raise InputError(f"{path}: not an SDMX-ML structure message; give the DSD file.")
    return message


def _sdmx1(path: Path, dsd: Any) -> Any:
    """``sdmx.read_sdmx``, errors as InputError. When a parse fails, sdmx1 prints its parser
    stacks to stdout: swallowed. The file is opened (and closed) here, not by sdmx1.
    sdmx1 is imported here, not at start-up: it takes half a second to import."""
    import sdmx
    from sdmx.exceptions import XMLParseError

    try:
        with path.open("rb") as fh, contextlib.redirect_stdout(io.StringIO()):
            return sdmx.read_sdmx(fh, format="XML", structure=dsd)
    except AssertionError as exc:  # sdmx1 asserts what it cannot place ("Cannot determine
        # SDMX-ML version" for XML of another kind)
        raise InputError(f"{path}: not an SDMX-ML message ({exc or 'unknown layout'}). Give "
                         "an SDMX-ML 2.0/2.1 data file, and its DSD with --structure.") from exc
    except (XMLParseError, etree.XMLSyntaxError) as exc:
        cause = exc if isinstance(exc, etree.XMLSyntaxError) else exc.__cause__
        if isinstance(cause, etree.XMLSyntaxError):
            raise _broken(path, cause) from exc
        raise InputError(
            f"{path}: cannot be read as SDMX-ML ({cause!r}). Check that the DSD given or found "
            "matches the message, or pass the right one with --structure."
        ) from exc


def _text(value: Any) -> str | None:
    """A key or attribute value as text: sdmx1 gives Code objects for coded components."""
    return None if value is None else str(getattr(value, "id", value))


def _read_v21(path: Path, dsd: Any) -> list[Obs]:
    """SDMX-ML 2.1 through sdmx1, which keeps OBS_VALUE as the text written ("12.50")."""
    message = _sdmx1(path, dsd)
    out: list[Obs] = []
    for n, ds in enumerate(message.data, 1):
        prefix = f"DataSet[{n}]/" if len(message.data) > 1 else ""
        series, count, last = 0, 0, object()
        for o in ds.obs:  # in document order; sdmx1 makes one SeriesKey object per <Series>
            if o.series_key is not last:
                series, count, last = series + 1, 0, o.series_key
            count += 1
            key = {**(o.series_key.values if o.series_key else {}),
                   **(o.dimension.values if o.dimension else {})}
            out.append(Obs({k: _text(v.value) for k, v in key.items()},
                           {k: _text(a.value) for k, a in o.attrib.items()}, _text(o.value),
                           f"{prefix}Series[{series}]/Obs[{count}]" if last else f"Obs[{count}]"))
    return out


def _values(el: etree._Element | None) -> dict[str, str | None]:
    """2.0 generic ``<Value concept= value=>`` children as a dict."""
    return {} if el is None else {v.get("concept"): v.get("value") for v in el.iterfind("{*}Value")}


def _read_v20(path: Path) -> list[Obs]:
    """SDMX-ML 2.0 GenericData (Tajstat's file): Series/SeriesKey/Value, Attributes, Obs/Time
    (or ObsDimension), ObsValue, Attributes. ``line`` is the <Obs> element's line."""
    out: list[Obs] = []
    for series in parse_xml(path).iter("{*}Series"):
        key = _values(series.find("{*}SeriesKey"))
        attrs = _values(series.find("{*}Attributes"))
        for obs in series.iterfind("{*}Obs"):
            dim = obs.find("{*}ObsDimension")
            time = obs.findtext("{*}Time") or (dim.get("value") if dim is not None else None)
            value = obs.find("{*}ObsValue")
            out.append(Obs({**key, "TIME_PERIOD": time.strip() if time else None},
                           {**attrs, **_values(obs.find("{*}Attributes"))},
                           None if value is None else value.get("value"), str(obs.sourceline)))
    return out


def indicator(text: str) -> str | None:
    """The global indicator an indicator number belongs to: the Kyrgyz platform numbers its
    national indicators "4.1.2.a", "6.1.1.1"; they are stored under "4.1.2", "6.1.1" (the
    framework's codes have three parts). Text that is no indicator number -> None."""
    match = _INDICATOR.match(text.strip())
    return ".".join(match.groups()) if match else None


def area(code: str | None) -> tuple[str | None, str | None]:
    """(area code as stored, parent country of a sub-national area): ``KG`` -> 417,
    ``KG02`` -> (KG02, 417). Tajstat writes REF_AREA in lower case (``tj``); M49 codes lose
    leading zeros; an unknown code stays as written."""
    if code is None or code.isdigit():
        return (code.lstrip("0") or "0") if code else None, None
    if code.upper() in COUNTRIES:
        return COUNTRIES[code.upper()], None
    return code, COUNTRIES.get(code[:2].upper())


class Structure:
    """A DSD and what sdgbridge takes from it: names, indicators, code lists."""

    def __init__(self, dsd: Any) -> None:
        self.dsd = dsd
        self.agency = dsd.maintainer.id if dsd.maintainer else None

    def codelist(self, concept: str) -> Any:
        """The code list of a dimension or attribute, or None (free text, or unknown)."""
        for comp in [*self.dsd.dimensions.components, *self.dsd.attributes.components]:
            if comp.id == concept:
                rep = comp.local_representation or getattr(
                    comp.concept_identity, "core_representation", None)
                return rep.enumerated if rep is not None else None
        return None

    def names(self, concept: str, code: str) -> tuple[str | None, str | None]:
        """English and Russian names of a code (None where the DSD has none)."""
        cl = self.codelist(concept)
        names = cl[code].name.localizations if cl is not None and code in cl else {}
        return names.get("en"), names.get("ru")

    def indicators(self, series: str, file: Path) -> str | None:
        """From the "Indicator" annotations of the SERIES code (the KG DSD gives them that
        type, the global DSD that title), else from the file name (``4.1.2.a.xml``)."""
        cl = self.codelist("SERIES")
        anns = cl[series].annotations if cl is not None and series in cl else []
        texts = [str(a.text) for a in anns if "Indicator" in (a.type, a.title)] or [file.stem]
        return ",".join(dict.fromkeys(i for i in map(indicator, texts) if i)) or None

    def publisher(self, path: Path, header: Header, countries: set[str]) -> str:
        """The sender or DSD agency when it is a national office (KG_NSC), else the office of
        the areas' country: Tajstat's Sender is BIS (the SDMX Converter's default) and its
        DSD the global IAEG-SDGs one, so only REF_AREA ``tj`` tells that it is Tajstat's."""
        for agency in (header.sender, header.agency, self.agency):
            if agency in AGENCIES:
                return AGENCIES[agency]
        known = {PUBLISHERS[c] for c in countries if c in PUBLISHERS}
        if len(known) == 1:
            return known.pop()
        raise InputError(
            f"{path}: cannot tell which national statistical office publishes this message "
            f"(sender {header.sender!r}, areas in {sorted(countries)}); sdgbridge knows "
            f"{', '.join(sorted(AGENCIES))}. Set the message's Sender id to one of them."
        )

    def batch(self, path: Path, header: Header, obs: list[Obs]) -> model.Batch:
        rows, dims = zip(*(self._row(o, path) for o in obs), strict=True) if obs else ((), ())
        names = sorted({n for d in dims for n in d})
        frame = pl.DataFrame(list(rows), schema={c: pl.Utf8 for c in _ROW})
        dim_frame = pl.DataFrame(list(dims), schema={n: pl.Utf8 for n in names})
        frame = frame.with_columns(
            dims=dim_frame.select(model.dims_key(names)).to_series() if names else pl.lit(""))
        areas = {(r["area"], r["_parent"]) for r in rows}
        countries = {p or a for a, p in areas if a}
        frame = frame.with_columns(publisher=pl.lit(self.publisher(path, header, countries)))
        return model.Batch(observations=model.conform(frame), series=self._series(frame, path),
                           areas=self._areas(areas), codelists=self._codelists(names))

    def _row(self, o: Obs, path: Path) -> tuple[dict[str, str | None], dict[str, str | None]]:
        attrs = dict(o.attrs)
        row = {column: attrs.pop(concept, None) for concept, column in ATTRIBUTE_COLUMNS.items()}
        row["footnote"] = next((attrs.pop(c) for c in FOOTNOTES if c in attrs), None)
        row["area"], row["_parent"] = area(o.key.get("REF_AREA"))
        # OBS_VALUE is an xs:double, whose whitespace XML Schema collapses: Tajstat wrote
        # "211 " once. Stripped; otherwise the text stays exactly as written.
        row |= {"series": o.key.get("SERIES"), "period": o.key.get("TIME_PERIOD"),
                "value": o.value.strip() if o.value is not None else None,
                "attrs": json.dumps(attrs, ensure_ascii=False, sort_keys=True) if attrs else None,
                "_file": str(path), "_line": o.line}
        dims = {canonical_dimension(k): v for k, v in o.key.items() if k not in KEY_CONCEPTS}
        return row, dims

    def _series(self, frame: pl.DataFrame, path: Path) -> pl.DataFrame:
        pairs = frame.select("series", "publisher").unique(maintain_order=True).drop_nulls()
        rows = [{"code": code, "publisher": pub, "description": en, "description_ru": ru,
                 "national": True, "indicators": self.indicators(code, path)}
                for code, pub in pairs.iter_rows() for en, ru in [self.names("SERIES", code)]]
        return model.conform_series(pl.DataFrame(rows, schema=model.SERIES_SCHEMA))

    def _areas(self, areas: set[tuple[str | None, str | None]]) -> list[dict[str, object]]:
        source = f"{self.agency}:{self.dsd.id}({self.dsd.version})"
        return [{"code": code, "name_en": en or code, "name_ru": ru, "kind": "subnational",
                 "parent": parent, "source": source}
                for code, parent in sorted((a, p) for a, p in areas if a and p)
                for en, ru in [self.names("REF_AREA", code)]]

    def _codelists(self, names: list[str]) -> dict[str, frozenset[str]]:
        """Codes the DSD allows per dimension emitted, and ``units`` (UNIT_MEASURE)."""
        concepts = {canonical_dimension(c.id): c.id for c in self.dsd.dimensions.components}
        wanted = {n: concepts[n] for n in names if n in concepts} | {"units": "UNIT_MEASURE"}
        lists = {name: self.codelist(concept) for name, concept in wanted.items()}
        return {name: frozenset(c.id for c in cl) for name, cl in lists.items() if cl is not None}

"""Method profiles: which series a method scores, against what, and why, as versioned data.

A profile is a folder with two files:

* ``profile.toml``: ``name``, ``version`` (bump it when a number changes: results keep it),
  ``method`` (the method it is for), ``title``, ``min_year`` (optional: the earliest year
  of a value that counts), ``[source]`` (where the numbers come from) and ``notes``;
* ``series.csv``: one row per series, columns ``series, goal, counts, reason`` (required)
  and ``ref, direction, optimum, lower, green, red`` (optional, in any order; a method may
  require some). ``goal`` 1-17 is the goal the series counts for; ``counts`` (yes/no)
  whether it enters the method's goal scores and index; ``reason`` why it is in or out;
  ``ref`` the indicator code of the profile's source; ``optimum`` the value scored 100,
  ``lower`` the value scored 0, ``green`` / ``red`` the dashboard thresholds, all in the
  series' own units; ``direction`` (higher / lower is better) must agree with optimum vs
  lower when both are given, and is derived from them when it is left empty; ``basket``
  (yes/no, empty = as ``counts``) whether a counted series is one of the indicators a
  missing-data rule counts (a series outside the basket still counts where it has data);
  ``match`` how the series stands to the source's indicator: ``same`` (measures the same
  thing), ``proxy`` (a close measure, counted; ``reason`` says how it differs and why it
  stands in), ``different`` (another measure: it cannot count), empty = not stated.

The package ships its profiles beside this module (``sdr-2025/``); :func:`load_profile`
reads one by name or any folder in the same layout, and every error names the file, the
line and the column.
"""

from __future__ import annotations

import csv
import hashlib
import math
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl

from sdgbridge.errors import ConfigError, InputError

REQUIRED = ("series", "goal", "counts", "reason")
OPTIONAL = ("ref", "direction", "optimum", "lower", "green", "red", "basket", "match")
NUMBERS = ("optimum", "lower", "green", "red")
SCHEMA = {"series": pl.Utf8, "goal": pl.Int64, "counts": pl.Boolean, "basket": pl.Boolean,
          "reason": pl.Utf8, "match": pl.Utf8,
          "ref": pl.Utf8, "direction": pl.Utf8, "optimum": pl.Float64, "lower": pl.Float64,
          "green": pl.Float64, "red": pl.Float64}
TOML_KEYS = ("name", "version", "method", "title")
YES_NO = {"yes": True, "no": False}
MATCHES = ("same", "proxy", "different")


@dataclass(frozen=True)
class Profile:
    """A loaded profile: its ``profile.toml`` as data (``meta``) and ``series.csv`` as a
    frame with :data:`SCHEMA` (absent optional columns are all null)."""

    name: str
    version: str
    method: str
    meta: dict[str, Any]
    series: pl.DataFrame
    folder: str
    sha256: str

    @property
    def min_year(self) -> int | None:
        value = self.meta.get("min_year")
        return None if value is None else int(value)

    def counted(self) -> pl.DataFrame:
        """``series, goal`` of the rows that count in goal scores and the index."""
        return self.series.filter(pl.col("counts")).select("series", "goal")

    def basket(self) -> pl.DataFrame:
        """``series, goal`` of the counted rows in the missing-data basket."""
        return self.series.filter(pl.col("counts") & pl.col("basket")).select("series", "goal")


def shipped() -> list[str]:
    """Names of the profiles shipped with the package."""
    root = files("sdgbridge.assessment.profiles")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and
                  p.joinpath("profile.toml").is_file())


def load_profile(ref: str | Path, method: str | None = None,
                 require: tuple[str, ...] = ()) -> Profile:
    """The profile ``ref``: a shipped name (``sdr-2025``) or a folder path, checked.

    ``method``: refuse a profile made for another method. ``require``: optional columns
    that must be filled in every row with ``counts`` yes (e.g. ``optimum``, ``lower``).
    """
    folder = _folder(ref)
    meta = _read_toml(folder / "profile.toml")
    if method is not None and meta["method"] != method:
        raise ConfigError(f"{folder / 'profile.toml'}: the profile is for method "
                          f"{meta['method']!r}, not {method!r}.")
    csv_path = folder / "series.csv"
    frame = read_series(csv_path, require)
    extra = [folder / str(name) for name in (meta.get("impute") or {}).values()]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in [
        folder / "profile.toml", csv_path, *extra] if p.is_file())).hexdigest()
    return Profile(meta["name"], meta["version"], meta["method"], meta, frame, str(folder),
                   digest)


def _folder(ref: str | Path) -> Path:
    path = Path(ref)
    if isinstance(ref, str) and ref in shipped():
        return Path(str(files("sdgbridge.assessment.profiles").joinpath(ref)))
    if path.is_dir():
        return path
    raise ConfigError(f"No profile {str(ref)!r}: give a folder with profile.toml and "
                      f"series.csv, or a shipped profile ({', '.join(shipped())}).")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the profile ({exc}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc}).") from exc
    missing = [k for k in TOML_KEYS if not isinstance(meta.get(k), str) or not meta[k]]
    if missing:
        raise InputError(f"{path}: missing or empty key(s) {', '.join(missing)}; a profile "
                         f"needs {', '.join(TOML_KEYS)} (strings).")
    if "min_year" in meta and not isinstance(meta["min_year"], int):
        raise InputError(f"{path}: min_year must be a whole year (e.g. 2015).")
    return meta


def read_series(path: Path, require: tuple[str, ...] = ()) -> pl.DataFrame:
    """``series.csv`` of a profile as a frame with :data:`SCHEMA`; errors name the file,
    line (the header is line 1) and column."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            _check_header(path, header)
            rows = [_row(path, reader.line_num, raw, require) for raw in reader]
    except OSError as exc:
        raise InputError(f"{path}: cannot read the profile's series ({exc}).") from exc
    _check_unique(path, rows)
    return pl.DataFrame([r for _, r in rows], schema=SCHEMA, orient="row")


def _check_header(path: Path, header: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"{path}, line 1: missing column(s) {', '.join(missing)}; a profile "
                         f"needs {', '.join(REQUIRED)} (and may have {', '.join(OPTIONAL)}).")
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise InputError(f"{path}, line 1: unknown column(s) {', '.join(unknown)}; the "
                         f"columns are {', '.join(REQUIRED + OPTIONAL)}.")


def _row(path: Path, line: int, raw: dict[str, Any], require: tuple[str, ...]
         ) -> tuple[int, dict[str, Any]]:
    """One checked row: ``(line, values)``."""
    def fail(column: str, what: str) -> InputError:
        return InputError(f"{path}, line {line}, column {column}: {what}")

    cell = {k: (v or "").strip() for k, v in raw.items() if k is not None}
    if None in raw:
        raise fail("-", "more cells than columns (quote a cell that holds a comma).")
    if not cell["series"]:
        raise fail("series", "empty; give the series code.")
    goal = cell["goal"]
    if not goal.isdecimal() or not 1 <= int(goal) <= 17:
        raise fail("goal", f"{goal!r} is not a goal number 1-17.")
    if cell["counts"].lower() not in YES_NO:
        raise fail("counts", f"{cell['counts']!r}: write yes or no.")
    if not cell["reason"]:
        raise fail("reason", "empty; say why the series is in or out.")
    counts = YES_NO[cell["counts"].lower()]
    values: dict[str, Any] = {"series": cell["series"], "goal": int(goal), "counts": counts,
                              "basket": _basket(cell.get("basket", ""), counts, fail),
                              "reason": cell["reason"], "ref": cell.get("ref") or None,
                              "match": _match(cell.get("match", ""), counts, fail)}
    for column in NUMBERS:
        values[column] = _number(cell.get(column, ""), fail, column)
    values["direction"] = _direction(cell.get("direction", ""), values, fail)
    for column in require:
        if values["counts"] and values[column] is None:
            raise fail(column, f"empty, but the series counts: give {column}.")
    return line, values


def _basket(text: str, counts: bool, fail: Any) -> bool:
    """The ``basket`` cell: yes / no, empty = as ``counts``; only a counted series can be in."""
    if not text:
        return counts
    if text.lower() not in YES_NO:
        raise fail("basket", f"{text!r}: write yes, no, or leave it empty.")
    if YES_NO[text.lower()] and not counts:
        raise fail("basket", "yes, but the series does not count: only counted series can.")
    return YES_NO[text.lower()]


def _match(text: str, counts: bool, fail: Any) -> str | None:
    """The ``match`` cell: same / proxy / different or empty; a different measure cannot
    count."""
    if not text:
        return None
    if text.lower() not in MATCHES:
        raise fail("match", f"{text!r}: write {', '.join(MATCHES)}, or leave it empty.")
    if text.lower() == "different" and counts:
        raise fail("match", "different, but the series counts: a different measure cannot.")
    return text.lower()


def _number(text: str, fail: Any, column: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise fail(column, f"{text!r} is not a number.") from None
    if not math.isfinite(value):
        raise fail(column, f"{text!r} is not a finite number.")
    return value


def _direction(text: str, values: dict[str, Any], fail: Any) -> str | None:
    optimum, lower = values["optimum"], values["lower"]
    if text and text not in ("higher", "lower"):
        raise fail("direction", f"{text!r}: write higher or lower.")
    if optimum is None or lower is None:
        return text or None
    if optimum == lower:
        raise fail("optimum", f"equals lower ({lower:g}): there is no span to score on.")
    implied = "higher" if optimum > lower else "lower"
    if text and text != implied:
        raise fail("direction", f"{text!r}, but optimum {optimum:g} and lower {lower:g} "
                                f"say {implied!r} is better.")
    return implied


def _check_unique(path: Path, rows: list[tuple[int, dict[str, Any]]]) -> None:
    seen: dict[str, int] = {}
    for line, row in rows:
        if row["series"] in seen:
            raise InputError(f"{path}, line {line}, column series: {row['series']} is "
                             f"already on line {seen[row['series']]}; keep one row.")
        seen[row["series"]] = line

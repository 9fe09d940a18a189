"""The IATI code lists (``<codelist name=…><codelist-items><codelist-item><code>``).

IATI publishes them as XML in two repositories: the "embedded" lists that belong to a schema
version (ActivityStatus, TransactionType, OrganisationRole, BudgetType, …) and the
"non-embedded" ones that change on their own (Country, Region, Sector, Currency, …). Point
:func:`load_codelists` at a folder holding either or both (it searches sub-folders), or at a
CSV of ``codelist,code`` rows such as the snapshot shipped with the package
(:data:`~sdgbridge.projects.iati.PACKAGED_CODELISTS`, written by
``scripts/package_iati_codelists.py``).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from sdgbridge.errors import InputError
from sdgbridge.xml import parse_xml


def load_codelists(folder: Path) -> dict[str, frozenset[str]]:
    """The codes of every code list under ``folder``, keyed by the list's ``name``.

    Withdrawn codes (``codelist-item status="withdrawn"``) are kept: activities published
    years ago legitimately use them (e.g. DAC purpose codes split since), and IATI's own
    validator only warns about them. The result is cached per resolved folder.
    """
    return dict(_load(Path(folder).resolve()))


@lru_cache(maxsize=8)
def _load(folder: Path) -> dict[str, frozenset[str]]:
    if folder.suffix == ".csv" and folder.is_file():
        return _read_csv(folder)
    files = sorted(folder.rglob("*.xml"))
    if not files:
        raise InputError(
            f"{folder}: no IATI code list files (*.xml) here. Point at the folder holding "
            "the IATI-Codelists 'embedded' and 'non-embedded' XML files."
        )
    lists: dict[str, frozenset[str]] = {}
    for path in files:
        name, codes = _read_codelist(path)
        lists[name] = codes
    return lists


def _read_csv(path: Path) -> dict[str, frozenset[str]]:
    """Code lists from a CSV of ``codelist,code`` rows."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or set(rows[0]) != {"codelist", "code"}:
        raise InputError(f"{path}: expected the columns codelist and code (one row per code "
                         "of each IATI code list).")
    lists: dict[str, set[str]] = {}
    for row in rows:
        lists.setdefault(row["codelist"], set()).add(row["code"])
    return {name: frozenset(codes) for name, codes in lists.items()}


def _read_codelist(path: Path) -> tuple[str, frozenset[str]]:
    """The name and codes of one code list file."""
    root = parse_xml(path).getroot()
    name = root.get("name")
    if root.tag != "codelist" or not name:
        raise InputError(
            f"{path}: not an IATI code list (root <{root.tag}>, expected <codelist name=…>). "
            "Remove it from the code list folder."
        )
    codes = (item.findtext("code") for item in root.iterfind("codelist-items/codelist-item"))
    return name, frozenset(code.strip() for code in codes if code and code.strip())

"""The 3W money reconciles with a direct sum over the real IATI files (both folders: the US
agencies' and the 48 other publishers' D-Portal files): per country, year, currency and kind
of transaction, to the cent.

The direct sum reads the XML with lxml alone, not the importer: each activity once (its
first copy), each commitment, disbursement or expenditure, the transaction's own recipient
country (whole), else its own region (no country), else the activity's countries and
regions by their percentages (scaled to 100 %, equal parts when one is missing), as the IATI
Standard asks. Elements the import dropped for a schema error (a recipient-country without a
code) carry no code and so no share here either.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest
from lxml import etree
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.projects.queries import three_w
from sdgbridge.projects.service import import_files
from tests.helpers import SHARED

pytestmark = pytest.mark.shared_data

FOLDERS = [SHARED / "iati" / "activities", SHARED / "iati" / "dportal"]
KINDS = {"2": "commitment", "3": "disbursement", "4": "expenditure"}
SIX = {"KZ", "KG", "TJ", "TM", "UZ", "AF"}
Key = tuple[str, int, str, str]  # country, year, currency, kind


def _places(activity: etree._Element) -> list[tuple[str | None, float]]:
    """(country or None for a region, percentage) of the activity's places."""
    found = [(el.get("code"), el.get("percentage"), el.tag == "recipient-country")
             for el in activity.iterchildren("recipient-country", "recipient-region")
             if (el.get("code") or "").strip()]
    if not found:
        return [(None, 100.0)]
    pcts = [float(p) if p not in (None, "") else None for _, p, _ in found]
    if all(p is not None for p in pcts) and sum(pcts) > 0:  # type: ignore[arg-type]
        total = sum(pcts)  # type: ignore[arg-type]
        return [(c if is_country else None, p * 100 / total)  # type: ignore[operator]
                for (c, _, is_country), p in zip(found, pcts, strict=True)]
    return [(c if is_country else None, 100 / len(found)) for c, _, is_country in found]


def direct_sums(folders: list[Path]) -> dict[Key, float]:
    sums: dict[Key, float] = defaultdict(float)
    seen: set[str] = set()
    for path in sorted(p for f in folders for p in f.rglob("*.xml")):
        for activity in etree.parse(str(path)).getroot().iterchildren("iati-activity"):
            ident = (activity.findtext("iati-identifier") or "").strip()
            if ident in seen:
                continue
            seen.add(ident)
            default_currency = activity.get("default-currency")
            places = _places(activity)
            for tr in activity.iterchildren("transaction"):
                kind = KINDS.get(tr.find("transaction-type").get("code"))
                value = tr.find("value")
                date = tr.find("transaction-date")
                if kind is None or value is None or not (value.text or "").strip():
                    continue
                amount = float(value.text)
                year = int(date.get("iso-date")[:4])
                currency = value.get("currency") or default_currency
                own = tr.find("recipient-country")
                region = tr.find("recipient-region")
                shares = ([(own.get("code"), 100.0)] if own is not None
                          else [(None, 100.0)] if region is not None else places)
                for country, pct in shares:
                    if country in SIX:
                        sums[(country, year, currency or "", kind)] += amount * pct / 100
    return dict(sums)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_3w_money_per_country_and_year_is_the_direct_sum_over_the_files(
        engine: Engine, settings: Settings) -> None:
    report = import_files(engine, settings, FOLDERS)
    assert report.rejected == 0
    w = three_w(engine).filter(pl.col("country").is_in(list(SIX)))
    long = w.unpivot(index=["country", "year", "currency"], on=list(KINDS.values()),
                     variable_name="kind", value_name="value")
    stored = long.group_by("country", "year", "currency", "kind").agg(pl.col("value").sum())
    ours = {(r["country"], r["year"], r["currency"] or "", r["kind"]): r["value"]
            for r in stored.iter_rows(named=True) if r["value"]}
    direct = {k: v for k, v in direct_sums(FOLDERS).items() if v}
    assert set(ours) == set(direct)
    worst = max(abs(ours[k] - direct[k]) for k in direct)
    assert worst < 0.01, worst
    # Both folders are in: the D-Portal publishers' euros, and the US agencies' dollars.
    assert any(k[2] == "EUR" for k in ours) and any(k[2] == "USD" for k in ours)
    assert len({k[0] for k in ours}) == 6

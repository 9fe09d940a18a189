"""Made-up releases in the SDG API layout, large enough that a kill lands inside an ingest:
real series codes and M49 areas, generated values (nothing copied from ../shared)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

HEADER = ["Goal", "Target", "Indicator", "SeriesCode", "SeriesDescription", "GeoAreaCode",
          "GeoAreaName", "TimePeriod", "Value", "Units", "Nature", "Sex", "Location"]
SERIES = (("7", "7.1", "7.1.1", "EG_ACS_ELEC", "Access to electricity (%)"),
          ("6", "6.1", "6.1.1", "SH_H2O_SAFE", "Safely managed drinking water (%)"),
          ("1", "1.1", "1.1.1", "SI_POV_DAY1", "Population below $2.15 a day (%)"))
AREAS = ("4", "398", "417", "762", "795", "860", "156", "356", "643", "792", "364", "586",
         "50", "144", "496", "524", "64", "31", "51", "268")
SEXES = ("BOTHSEX", "FEMALE", "MALE")
LOCATIONS = ("ALLAREA", "URBAN", "RURAL")


def release(path: Path, seed: int, years: range = range(1990, 2024)) -> Path:
    """One release: every series × area × year × sex × location (about 16,000 rows); the
    seed decides the values, so two seeds give a release that changes most of them."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(HEADER)
        for goal, target, indicator, code, title in SERIES:
            for area in AREAS:
                for year in years:
                    for sex in SEXES:
                        for loc in LOCATIONS:
                            out.writerow([goal, target, indicator, code, title, area, "",
                                          year, f"{rng.uniform(0, 100):.1f}", "PERCENT", "E",
                                          sex, loc])
    return path

"""`sdgbridge roadmaps …` (issue 17): the example roadmap imported, listed, shown and its KPIs
given lights from the data; a bad file refused naming its line; `--example` or a file, not
both."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdgbridge.db.engine import make_engine
from sdgbridge.ingest.load import ingest
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.roadmaps import EXAMPLE
from sdgbridge.roadmaps.service import read_roadmap
from tests.helpers import IATI_CODELISTS, cli_output, refused
from tests.roadmaps.test_roadmaps import DERIVED, _slice


def test_the_example_roadmap_on_the_command_line(store: Path) -> None:
    if not DERIVED.exists():
        pytest.skip(f"{DERIVED} is not there (../shared beside the repository)")
    engine = make_engine(f"sqlite:///{store / 'cli.db'}")
    series = sorted({k.series for c in read_roadmap(EXAMPLE).commitments() for k in c.kpis})
    ingest(engine, _slice(store / "kpis.csv", series), source="UNSD 2023-12")
    assert "XI-IATI-EC_INTPA not in the organisations registry" in refused(
        "roadmaps", "import", "--example")
    create_org(engine, name_en="EC INTPA", type="10", ref="XI-IATI-EC_INTPA",
               codelists=load_codelists(IATI_CODELISTS))
    engine.dispose()
    assert "one of them" in refused("roadmaps", "import", str(EXAMPLE), "--example")
    out = cli_output("roadmaps", "import", "--example")
    assert "Roadmap ca-eu-example stored: 7 areas, 8 commitments, 9 KPIs." in out
    assert "ca-eu-example,Central Asia" in cli_output("roadmaps", "list", "--format", "csv")
    shown = cli_output("roadmaps", "show", "ca-eu-example")
    assert "renewables: Expand renewable energy" in shown and "EG_FEC_RNEW higher rel:1.25" in shown
    lights = cli_output("roadmaps", "kpis", "ca-eu-example", "--format", "csv")
    assert lights.splitlines()[0].startswith("commitment,kpi,series,country,scale,light")
    kgz = next(x for x in lights.splitlines() if x.startswith("renewables,renewable-share,"
                                                               "EG_FEC_RNEW,KGZ"))
    assert ",on track,green,2015,23.51,2020,30.04," in kgz
    review = store / "review.csv"
    review.write_text("commitment,status,comment,documents,links\n"
                      "renewables,on_track,Auctions held,,\nwater-efficiency,delayed,,,\n",
                      encoding="utf-8")
    assert "Review 1 of ca-eu-example (2026) recorded." in cli_output(
        "roadmaps", "review", "ca-eu-example", "--cycle", "2026", "--file", str(review))
    review.write_text("commitment,status,comment,documents,links\n"
                      "renewables,at_risk,Slower,,\n", encoding="utf-8")
    cli_output("roadmaps", "review", "ca-eu-example", "--cycle", "2027", "--file", str(review))
    listed = cli_output("roadmaps", "reviews", "ca-eu-example", "--format", "csv")
    assert "2027" in listed and "2026" in listed
    compared = cli_output("roadmaps", "compare", "1", "2", "--format", "csv")
    assert "renewables,on_track,at_risk,true" in compared
    bad = store / "bad.csv"
    bad.write_text("commitment,status\nrenewables,fine\n", encoding="utf-8")
    assert "bad.csv, line 2, status: 'fine' is not one of" in refused(
        "roadmaps", "review", "ca-eu-example", "--cycle", "2028", "--file", str(bad))
    exported = cli_output("roadmaps", "export", "ca-eu-example", "--out",
                          str(store / "roadmap.csv"))
    assert "Roadmap ca-eu-example written to" in exported
    header = (store / "roadmap.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("roadmap_key,roadmap_title_en,roadmap_title_ru,kind,example")
    assert "end the file name in .csv or .xlsx" in refused(
        "roadmaps", "export", "ca-eu-example", "--out", str(store / "roadmap.txt"))


def test_own_series_on_the_command_line(store: Path) -> None:
    from tests.roadmaps.test_values import ROADMAP, VALUES

    engine = make_engine(f"sqlite:///{store / 'cli.db'}")
    create_org(engine, name_en="EC INTPA", type="10", ref="XI-IATI-EC_INTPA",
               codelists=load_codelists(IATI_CODELISTS))
    engine.dispose()
    (store / "corridor.yaml").write_text(ROADMAP, encoding="utf-8")
    cli_output("roadmaps", "import", str(store / "corridor.yaml"))
    listed = cli_output("roadmaps", "series", "corridor", "--format", "csv")
    assert "CA_CORRIDOR_FREIGHT,SDG_CENTRE,Freight on the corridor" in listed
    assert listed.strip().endswith(",MT,9.1.2,0")
    (store / "bad.csv").write_text("series,country,year,value\nCA_CORRIDOR_FREIGHT,KAZ,2020,"
                                   "x\n", encoding="utf-8")
    assert "bad.csv:2: value: non-numeric value 'x'" in refused(
        "roadmaps", "values", "corridor", str(store / "bad.csv"))
    (store / "freight.csv").write_text(VALUES, encoding="utf-8")
    out = cli_output("roadmaps", "values", "corridor", str(store / "freight.csv"))
    assert "corridor: own series (freight.csv)" in out and "loaded 16" in out
    assert cli_output("roadmaps", "series", "corridor", "--format", "csv"
                      ).strip().endswith(",16")
    lights = cli_output("roadmaps", "kpis", "corridor", "--format", "csv")
    assert ",KAZ," in lights and ",green," in lights and ",red," in lights

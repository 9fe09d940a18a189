"""IATI import into the store: counts, re-import, change history, 3W, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import IngestRejected
from sdgbridge.projects.queries import project_history, project_table, three_w
from sdgbridge.projects.service import import_files
from tests.helpers import SHARED, count, snapshot

IATI = SHARED / "iati"
USG = IATI / "activities" / "usg" / "data"
# Transactions per recipient country (README of shared/data/iati, and tests/projects/test_iati.py)
PER_COUNTRY = {"KZ": 2236, "KG": 3516, "TJ": 3208, "TM": 767, "UZ": 2934, "AF": 759}


def test_all_files_import_and_counts_reconcile(engine, settings: Settings) -> None:
    report = import_files(engine, settings, [USG])
    assert (report.activities_read, report.new, report.rejected) == (4861, 4857, 0)
    assert report.transactions == 14401  # 14,405 less the 4 of the repeated file
    assert count(engine, t.iati_activity) == 4857
    tr = t.iati_transaction.c
    with engine.connect() as conn:
        per = dict(conn.execute(select(tr.country, func.count()).group_by(tr.country)).all())
        money = conn.execute(select(func.sum(tr.value)).where(tr.type.in_(["2", "3"])))
        total = money.scalar_one()
    assert {k: per[k] for k in PER_COUNTRY} == PER_COUNTRY
    w = three_w(engine)
    assert w["commitment"].sum() + w["disbursement"].sum() == pytest.approx(total, rel=1e-12)
    assert project_table(engine, "TM").height == 267


def test_reimport_identical_writes_nothing(engine, settings: Settings) -> None:
    files = [USG / "dhs", USG / "doc"]
    first = import_files(engine, settings, files)
    before = snapshot(engine) | {"imports": count(engine, t.iati_import)}
    again = import_files(engine, settings, files)
    assert (again.import_id, again.new, again.changed, again.unchanged) == (
        None, 0, 0, first.new)
    assert snapshot(engine) | {"imports": count(engine, t.iati_import)} == before


def test_changed_activity_is_updated_with_its_history(engine, settings: Settings,
                                                      tmp_path: Path) -> None:
    src = USG / "dhs" / "dhs-kazakhstan.xml"
    copy = tmp_path / src.name
    shutil.copy(src, copy)
    import_files(engine, settings, [copy])
    ident = project_table(engine)["iati_identifier"].item()
    old_title = project_table(engine)["title_en"].item()
    copy.write_text(copy.read_text(encoding="utf-8").replace(old_title, "A renamed project", 1),
                    encoding="utf-8")
    report = import_files(engine, settings, [copy])
    assert (report.new, report.changed, report.unchanged) == (0, 1, 0)
    assert project_table(engine)["title_en"].item() == "A renamed project"
    history = project_history(engine, ident)
    assert history["change"].to_list() == ["updated"]
    assert f'"title_en": ["{old_title}", "A renamed project"]' in history["details"].item()


def test_unknown_code_rejects_the_import_unless_partial(engine, settings: Settings,
                                                        tmp_path: Path) -> None:
    for f in ("dhs-kyrgyzstan.xml", "dhs-tajikistan.xml"):
        shutil.copy(USG / "dhs" / f, tmp_path / f)
    bad = tmp_path / "dhs-kyrgyzstan.xml"
    text = bad.read_text(encoding="utf-8")
    bad.write_text(text.replace('<transaction-type code="3"', '<transaction-type code="99"', 1),
                   encoding="utf-8")
    before = snapshot(engine) | {"activities": count(engine, t.iati_activity)}
    with pytest.raises(IngestRejected) as err:
        import_files(engine, settings, [tmp_path])
    assert "transaction-type: unknown TransactionType code '99'" in str(err.value)
    assert snapshot(engine) | {"activities": count(engine, t.iati_activity)} == before
    report = import_files(engine, settings, [tmp_path], partial=True,
                          rejects=tmp_path / "rejected.csv")
    assert report.rejected == 1 and report.new == 4 + 3 - 1
    rejected = pl.read_csv(tmp_path / "rejected.csv")
    assert rejected["message"].str.contains("unknown TransactionType code '99'").all()


def test_a_code_listed_twice_is_stored_once_and_reimports_unchanged(
        engine, settings: Settings, tmp_path: Path) -> None:
    src = (USG / "dhs" / "dhs-kazakhstan.xml").read_text(encoding="utf-8")
    twice = ('<recipient-country code="KZ" percentage="50"/>'
             '<recipient-country code="KZ" percentage="50"/>')
    copy = tmp_path / "twice.xml"
    copy.write_text(src.replace("<collaboration-type", twice + "<collaboration-type", 1),
                    encoding="utf-8")
    assert import_files(engine, settings, [copy]).new == 1
    assert count(engine, t.iati_country) == 1
    again = import_files(engine, settings, [copy])
    assert (again.changed, again.unchanged) == (0, 1)


def test_three_w_of_an_empty_store_is_empty(engine) -> None:
    assert three_w(engine).height == 0

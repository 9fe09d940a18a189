"""What the latest release changed in some areas, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from sdgbridge.ingest.load import ingest
from sdgbridge.query.observations import (
    ObservationQuery,
    diff_releases,
    latest_release_changes,
    release_table,
)
from tests.helpers import derived_slice


def test_latest_release_changes(engine: Engine, tmp_path: Path) -> None:
    assert latest_release_changes(engine, ["CARSDG"]) is None
    ingest(engine, derived_slice(tmp_path / "a.csv", ("SH_H2O_SAFE",)), source="first")
    first = latest_release_changes(engine, ["CARSDG"])
    assert first is not None and first["source"] == "first"
    assert (first["previous"], first["counts"], first["changes"]) == (None, {}, [])
    ingest(engine, derived_slice(tmp_path / "b.csv", ("EG_ACS_ELEC",)), source="second")
    second = latest_release_changes(engine, ["KAZ"], shown=3)
    assert second is not None
    assert second | {"previous": 0, "counts": {}, "changes": []} == \
        release_table(engine).row(0, named=True) | {"previous": 0, "counts": {},
                                                    "changes": []}
    old, new = release_table(engine)["id"].to_list()[::-1]
    diff = diff_releases(engine, old, new, ObservationQuery(areas=["KAZ"]))
    assert second["previous"] == old and second["counts"] == {"added": diff.height}
    assert [c["before"] for c in second["changes"]] == [None] * 3
    assert [c["after"] for c in second["changes"]] == diff[f"value_{new}"].head(3).to_list()

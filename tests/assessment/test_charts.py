"""Charts of an assessment: files, sizes, SVG structure, determinism, and refusals."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from lxml import etree

from sdgbridge.assessment.charts import dominant, heatmap, heatmap_size, trend_chart
from sdgbridge.assessment.methods.unsd import assess_unsd
from sdgbridge.errors import SdgBridgeError
from sdgbridge.xml import parser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
NAMES = {"398": "Kazakhstan", "417": "Kyrgyzstan"}
HEAT_TITLE = "Progress by goal, Central Asia"
TREND_TITLE = "Access to electricity (EG_ACS_ELEC), Kyrgyzstan"


def _rolled() -> pl.DataFrame:
    """A goal roll-up: goals 1, 6, 7 × two areas, goal 1 without series in Kyrgyzstan."""
    rows = [("1", "398", 2, 1, 0, 0, 1, 0), ("6", "398", 3, 0, 2, 1, 0, 0),
            ("6", "417", 1, 0, 0, 0, 0, 1), ("7", "398", 2, 2, 0, 0, 0, 0),
            ("7", "417", 2, 0, 0, 1, 1, 0)]
    cols = ["goal", "area", "coverage", "on track", "needs acceleration", "stagnating",
            "regressing", "insufficient data"]
    return pl.DataFrame(rows, schema=cols, orient="row")


def _obs() -> pl.DataFrame:
    years = list(range(2012, 2023))
    values = [80.0, 82, 83, 85, 86, 88, 89, 90, 91, 91.5, 92]
    return pl.DataFrame({"series": "EG_ACS_ELEC", "area": "417", "year": years,
                         "value": values},
                        schema={"series": pl.Utf8, "area": pl.Utf8, "year": pl.Int64,
                                "value": pl.Float64})


def _result_row(obs: pl.DataFrame) -> dict[str, Any]:
    targets = pl.DataFrame({"series": ["EG_ACS_ELEC"], "direction": ["higher"],
                            "target": [100.0], "source": ["SDG 7.1"]})
    return assess_unsd(obs, targets).row(0, named=True)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _svg(path: Path) -> etree._Element:
    return etree.fromstring(path.read_bytes(), parser())


def _texts(root: etree._Element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


def test_heatmap_png_has_the_computed_size(tmp_path: Path) -> None:
    out = heatmap(_rolled(), "goal", NAMES, tmp_path / "goals.png", HEAT_TITLE)
    assert out == tmp_path / "goals.png"
    assert _png_size(out) == heatmap_size(3, 2) == (720, 362)


def test_heatmap_svg_has_title_and_one_rect_per_cell(tmp_path: Path) -> None:
    root = _svg(heatmap(_rolled(), "goal", NAMES, tmp_path / "goals.svg", HEAT_TITLE))
    texts = _texts(root)
    assert HEAT_TITLE in texts
    assert {"Kazakhstan", "Kyrgyzstan", "on track", "no series"} <= set(texts)
    # matplotlib writes each Rectangle as a <path> inside a group with the patch's gid.
    cells = [g for g in root.iter(f"{SVG}g") if g.get("id", "").startswith("cell-")]
    assert sorted(g.get("id") for g in cells) == [f"cell-{i}-{j}" for i in range(3)
                                                   for j in range(2)]
    assert all(len(g.findall(f"{SVG}path")) == 1 for g in cells)
    # coverage 2, 3, 1, 2, 2 in the cells, a dash for goal 1 in Kyrgyzstan (row label "1")
    assert sorted(t for t in texts if t in {"1", "2", "3", "–"}) == ["1", "1", "2", "2",
                                                                     "2", "3", "–"]


def test_dominant_status_ties_go_to_the_worse() -> None:
    assert dominant({"on track": 1, "regressing": 1}) == "regressing"
    assert dominant({"on track": 2, "stagnating": 1, "insufficient data": 0}) == "on track"
    assert dominant({"needs acceleration": 1, "insufficient data": 1}) == "insufficient data"


def test_trend_chart_png_and_svg(tmp_path: Path) -> None:
    obs = _obs()
    row = _result_row(obs)
    assert row["projected_2030_low"] is not None and row["target"] == 100.0
    png = trend_chart(obs, row, tmp_path / "trend.png", TREND_TITLE)
    assert _png_size(png) == (960, 560)
    texts = _texts(_svg(trend_chart(obs, row, tmp_path / "trend.svg", TREND_TITLE)))
    assert TREND_TITLE in texts
    assert {"observed", "baseline (2015)", "projection to 2030", "projection range",
            "2030 target (100)", f"Status: {row['status']}"} <= set(texts)


def test_trend_chart_without_target_or_interval(tmp_path: Path) -> None:
    obs = _obs().filter(pl.col("year") >= 2019)
    row = {**_result_row(obs), "target": None, "projected_2030_low": None,
           "projected_2030_high": None}
    texts = _texts(_svg(trend_chart(obs, row, tmp_path / "t.svg", TREND_TITLE)))
    assert "projection to 2030" in texts
    assert not any(t.startswith("2030 target") or t == "projection range" for t in texts)


def test_identical_inputs_give_identical_files(tmp_path: Path) -> None:
    obs, rolled = _obs(), _rolled()
    row = _result_row(obs)
    for suffix in (".svg", ".png"):
        a = heatmap(rolled, "goal", NAMES, tmp_path / f"a{suffix}", HEAT_TITLE)
        b = heatmap(rolled, "goal", NAMES, tmp_path / f"b{suffix}", HEAT_TITLE)
        assert a.read_bytes() == b.read_bytes()
        c = trend_chart(obs, row, tmp_path / f"c{suffix}", TREND_TITLE)
        d = trend_chart(obs, row, tmp_path / f"d{suffix}", TREND_TITLE)
        assert c.read_bytes() == d.read_bytes()
    assert b"<dc:date>" not in (tmp_path / "a.svg").read_bytes()


@pytest.mark.parametrize("name", ["goals.pdf", "goals", "goals.jpg"])
def test_bad_suffix_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(SdgBridgeError) as err:
        heatmap(_rolled(), "goal", NAMES, path, HEAT_TITLE)
    assert str(err.value) == (f"Cannot write a chart to {path}: the file name must end in "
                              ".png or .svg.")
    with pytest.raises(SdgBridgeError) as err:
        trend_chart(_obs(), _result_row(_obs()), path, TREND_TITLE)
    assert str(err.value).endswith("the file name must end in .png or .svg.")
    assert not path.exists()


def test_heatmap_refuses_a_frame_that_is_not_a_roll_up(tmp_path: Path) -> None:
    with pytest.raises(SdgBridgeError, match="no column"):
        heatmap(_rolled().drop("coverage"), "goal", NAMES, tmp_path / "g.png", HEAT_TITLE)

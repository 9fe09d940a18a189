"""Charts of an assessment: a status heatmap and a trend chart, as PNG or SVG files.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, so no global figure state
and no display needed). The output is deterministic: fixed pixel sizes and dpi, a fixed
``svg.hashsalt`` for SVG ids, no date in the metadata and text kept as ``<text>`` so that
the same inputs give byte-identical SVG files (for one matplotlib version).

* :func:`heatmap`: goals (or targets, indicators) × areas, each cell coloured by its
  dominant display-scale status (:data:`~sdgbridge.assessment.model.SCALE`) with the
  coverage (series assessed) printed in it; input is a :func:`~.run.roll_up` frame.
* :func:`trend_chart`: one series in one area: the observations, the baseline year, the
  compound-growth projection to 2030 with its interval, and the 2030 target.

:func:`goal_heatmap` and :func:`area_trend_chart` draw them from the store (what
``sdgbridge assess --heatmap`` and ``sdgbridge trend`` write).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import polars as pl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from sqlalchemy import Engine

from sdgbridge.assessment.inputs import assessment_input
from sdgbridge.assessment.model import SCALE
from sdgbridge.assessment.run import assess, roll_up, series_indicators
from sdgbridge.assessment.store import Assessment
from sdgbridge.errors import SdgBridgeError
from sdgbridge.outputs import output_path
from sdgbridge.reference.catalog import area_table
from sdgbridge.reference.geography import resolve_areas

SUFFIXES = (".png", ".svg")
DPI = 100
TARGET_YEAR = 2030
#: Okabe–Ito colours (distinguishable with the common colour-vision deficiencies),
#: ordered from good to bad; grey for too little data.
PALETTE = {"on track": "#009E73", "needs acceleration": "#F0E442",
           "stagnating": "#E69F00", "regressing": "#D55E00",
           "insufficient data": "#BBBBBB"}
NO_SERIES = "#F4F4F4"  # a pair without any series (drawn with a dash)
_CELL = (84, 34)  # heatmap cell width, height in pixels
_TREND_PX = (960, 560)
_RC: dict[str, Any] = {"svg.hashsalt": "sdgbridge", "svg.fonttype": "none", "font.size": 10}


def chart_path(path: Path) -> Path:
    """``path`` checked before any work: a .png or .svg file name whose folder can be made."""
    _check_suffix(path)
    return output_path(path, "chart")


def _check_suffix(path: Path) -> str:
    """``png`` or ``svg`` from the path's suffix; anything else is refused."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SdgBridgeError(f"Cannot write a chart to {path}: the file name must end in "
                             f"{' or '.join(SUFFIXES)}.")
    return suffix[1:]


@contextmanager
def _figure(width_px: int, height_px: int) -> Iterator[Figure]:
    """A figure of exactly ``width_px`` × ``height_px`` on an Agg canvas, deterministic rc."""
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]  # stubs list every key
        fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        yield fig


def _save(fig: Figure, path: Path, fmt: str) -> Path:
    """Write ``fig`` to ``path`` without date metadata (call inside :func:`_figure`)."""
    metadata = {"Date": None} if fmt == "svg" else {}
    path = output_path(path, "chart")
    fig.savefig(path, format=fmt, dpi=DPI, metadata=metadata)
    return path


def dominant(counts: dict[str, Any]) -> str:
    """The most frequent display-scale status of a roll-up row.

    A tie goes to the status further down :data:`SCALE` (the worse one, or
    "insufficient data"), so a cell never looks better than the series under it.
    """
    return max(reversed(SCALE), key=lambda s: (counts.get(s) or 0))


def heatmap_size(n_rows: int, n_cols: int) -> tuple[int, int]:
    """Pixel size of a heatmap with ``n_rows`` × ``n_cols`` cells (labels, legend included)."""
    return max(720, 220 + _CELL[0] * n_cols), 260 + _CELL[1] * n_rows


def heatmap(rolled: pl.DataFrame, level_col: str, area_names: dict[str, str], path: Path,
            title: str) -> Path:
    """Draw the dominant status per ``level_col`` (rows) × area (columns) into ``path``.

    ``rolled`` is a :func:`~sdgbridge.assessment.run.roll_up` frame (``level_col``,
    ``area``, ``coverage`` and one count column per :data:`SCALE` status); rows and
    columns keep its order, except that areas named in ``area_names`` come first, in that
    mapping's order. Column labels come from ``area_names`` (the code when missing). A
    pair without any series is drawn near-white with a dash.
    """
    fmt = _check_suffix(path)
    missing = [c for c in (level_col, "area", "coverage", *SCALE) if c not in rolled.columns]
    if missing:
        raise SdgBridgeError(f"Cannot draw a heatmap: the roll-up has no column(s) "
                             f"{', '.join(missing)}; pass the frame roll_up returns.")
    if rolled.is_empty():
        raise SdgBridgeError("Nothing to draw: the roll-up is empty.")
    rows = rolled[level_col].unique(maintain_order=True).to_list()
    order = {a: i for i, a in enumerate(area_names)}
    cols = sorted(rolled["area"].unique(maintain_order=True).to_list(),
                  key=lambda a: order.get(a, len(order)))
    cells = {(r[level_col], r["area"]): r for r in rolled.iter_rows(named=True)}
    with _figure(*heatmap_size(len(rows), len(cols))) as fig:
        ax = fig.add_subplot()
        for i, row in enumerate(rows):
            for j, area in enumerate(cols):
                _cell(ax, i, j, cells.get((row, area)))
        _grid_axes(ax, rows, [area_names.get(a, a) for a in cols], level_col)
        _heatmap_legend(fig)
        fig.suptitle(title, fontsize=13)
        return _save(fig, path, fmt)


def _cell(ax: Axes, i: int, j: int, counts: dict[str, Any] | None) -> None:
    """One heatmap cell: a rectangle (id ``cell-i-j``) and its coverage number."""
    status = dominant(counts) if counts else None
    colour = PALETTE[status] if status else NO_SERIES
    ax.add_patch(Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="white", linewidth=2,
                           gid=f"cell-{i}-{j}"))
    text = str(counts["coverage"]) if counts else "–"
    # Black has the higher contrast on every palette colour (WCAG ratio >= 5).
    ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", color="black", fontsize=10,
            fontweight="bold")


def _grid_axes(ax: Axes, rows: Sequence[str], labels: Sequence[str], level_col: str) -> None:
    """Row labels on the left, area names on top, no frame, first row at the top."""
    ax.set_xlim(0, len(labels))
    ax.set_ylim(len(rows), 0)
    ax.set_aspect("auto")
    ax.xaxis.tick_top()
    ax.set_xticks([j + 0.5 for j in range(len(labels))], labels, rotation=35, ha="left",
                  rotation_mode="anchor")
    ax.set_yticks([i + 0.5 for i in range(len(rows))], [str(r) for r in rows])
    ax.set_ylabel(level_col.capitalize())
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _heatmap_legend(fig: Figure) -> None:
    """Legend below the grid: the five statuses and the empty cell."""
    handles = [Patch(facecolor=PALETTE[s], edgecolor="#666666", label=s) for s in SCALE]
    handles.append(Patch(facecolor=NO_SERIES, edgecolor="#666666", label="no series"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False,
               title="Most frequent status (number: series assessed)")


def trend_chart(obs: pl.DataFrame, result_row: dict[str, Any], path: Path, title: str) -> Path:
    """Draw one series in one area: observations, baseline, projection and target.

    ``obs`` follows :data:`~sdgbridge.assessment.model.OBS_SCHEMA` (other series and
    areas are filtered out by ``result_row``'s ``series`` and ``area``); ``result_row``
    is one row of a method's result (``base_year``, ``latest_year``, ``latest_value``,
    ``projected_2030`` and optionally ``projected_2030_low``/``_high``, ``target``,
    ``status``). Missing or null values leave their element out.
    """
    fmt = _check_suffix(path)
    points = _series_points(obs, result_row)
    with _figure(*_TREND_PX) as fig:
        ax = fig.add_subplot()
        ax.plot(points["year"], points["value"], marker="o", color="#0072B2",
                label="observed")
        _baseline(ax, result_row.get("base_year"))
        _projection(ax, result_row)
        _target(ax, result_row.get("target"))
        ax.set_xlabel("year")
        ax.set_ylabel("value")
        ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
        ax.grid(True, color="#E5E5E5")
        status = result_row.get("status")
        if status:
            ax.set_title(f"Status: {status}", fontsize=10, loc="left")
        ax.legend(loc="best", frameon=False)
        fig.suptitle(title, fontsize=13)
        return _save(fig, path, fmt)


def _series_points(obs: pl.DataFrame, row: dict[str, Any]) -> pl.DataFrame:
    """The observations of ``row``'s series and area, by year; refuses none."""
    keep = [pl.col(k) == row[k] for k in ("series", "area") if k in obs.columns and k in row]
    points = obs.filter(*keep) if keep else obs
    if points.is_empty():
        raise SdgBridgeError(f"No observations of series {row.get('series')} in area "
                             f"{row.get('area')} to draw; check the series and area codes.")
    return points.sort("year")


def _baseline(ax: Axes, year: int | None) -> None:
    """A dotted vertical line at the baseline year."""
    if year is not None:
        ax.axvline(year, color="#555555", linestyle=":", linewidth=1.2,
                   label=f"baseline ({year})")


def _path(start: float, end: float, steps: int) -> list[float]:
    """``steps + 1`` values from ``start`` to ``end`` along compound growth.

    Geometric interpolation when both are positive (the projection is
    ``x_l * (1 + cagr) ** t``), else a straight line.
    """
    if start > 0 and end > 0:
        return [start * (end / start) ** (k / steps) for k in range(steps + 1)]
    return [start + (end - start) * k / steps for k in range(steps + 1)]


def _projection(ax: Axes, row: dict[str, Any]) -> None:
    """Dashed projection from the latest observation to 2030, with its interval band."""
    year, value = row.get("latest_year"), row.get("latest_value")
    end = row.get("projected_2030")
    if year is None or value is None or end is None or not math.isfinite(end):
        return
    if year >= TARGET_YEAR:
        return
    steps = TARGET_YEAR - year
    years = list(range(year, TARGET_YEAR + 1))
    low, high = row.get("projected_2030_low"), row.get("projected_2030_high")
    if low is not None and high is not None:
        ax.fill_between(years, _path(value, low, steps), _path(value, high, steps),
                        color="#56B4E9", alpha=0.25, linewidth=0,
                        label="projection range")
    ax.plot(years, _path(value, end, steps), linestyle="--", color="#0072B2",
            label=f"projection to {TARGET_YEAR}")


def _target(ax: Axes, target: float | None) -> None:
    """The 2030 target as a horizontal line."""
    if target is not None:
        ax.axhline(target, color="#CC79A7", linewidth=1.5,
                   label=f"{TARGET_YEAR} target ({target:g})")


def goal_heatmap(engine: Engine, run: Assessment, path: Path) -> Path:
    """The goals × areas :func:`heatmap` of an assessment run, the areas by English name."""
    names = dict(area_table(engine).filter(pl.col("code").is_in(run.areas))
                 .select("code", "name_en").iter_rows())
    return heatmap(roll_up(run.results, series_indicators(engine), "goal"), "goal", names,
                   path, f"SDG progress by goal ({run.method} method), {run.params_version}")


def area_trend_chart(engine: Engine, series: str, area: str, path: Path,
                     method: str = "unsd") -> Path:
    """The :func:`trend_chart` of ``series`` in one ``area`` (M49 or ISO3, not a group), as
    ``method`` assesses it; ``path`` is checked before the run."""
    chart_path(path)
    found = resolve_areas(engine, [area])
    if len(found) != 1:
        raise SdgBridgeError(f"--area {area}: a trend chart is for one area, and {area} is a "
                             f"group of {len(found)}; give one of them (M49 or ISO3).")
    run = assess(engine, method, found, [series])
    if run.results.height == 0:
        raise SdgBridgeError(f"No headline data for {series} in {area}; see `sdgbridge query "
                             f"--series {series} --areas {area}`.")
    obs = assessment_input(engine, found, [series]).drop("release")
    return trend_chart(obs, run.results.row(0, named=True), path,
                       f"{series}, {area}: {run.results['status'][0]}")

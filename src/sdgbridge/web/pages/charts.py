"""The geometry of the server-rendered SVG line chart (the template draws it).

One line per area: the observations, a dashed projection from the latest value to 2030, and
a horizontal target line. Lines differ by colour and by marker shape, and each is labelled
with its area code at its end, so that no line is told apart by colour alone. The colours
are Okabe–Ito hues darkened to a contrast of at least 3:1 on white (WCAG 1.4.11).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

COLOURS = ("#0072B2", "#C84E00", "#007A5A", "#A2407F", "#000000", "#6F5500")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "circle")
WIDTH, HEIGHT = 720, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 64, 20, 40
TARGET_YEAR = 2030


@dataclass
class Line:
    code: str
    name: str
    colour: str
    marker: str
    points: list[tuple[float, float]]
    projection: tuple[float, float, float, float] | None = None
    label_at: tuple[float, float] = (0.0, 0.0)
    marked: list[tuple[float, float]] | None = None  # the points with a marker (None: all)


@dataclass
class Chart:
    width: int
    height: int
    box: tuple[int, int, int, int]  # left, top, right, bottom
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    lines: list[Line] = field(default_factory=list)
    target: tuple[float, float] | None = None  # y, value
    year_2030: float | None = None


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``lo``..``hi`` (1, 2 or 5 × 10^k steps)."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(lo / step) * step
    ticks, v = [], start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _label(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e6 else f"{v:.2e}"


def _spread_labels(lines: list[Line], gap: float = 13.0) -> None:
    """Move the end labels apart vertically so that none overlaps the one above it."""
    previous = None
    for line in sorted(lines, key=lambda ln: (ln.label_at[1], ln.code)):
        x, y = line.label_at
        if previous is not None and y - previous < gap:
            y = previous + gap
        line.label_at = (x, y)
        previous = y


def area_style(code: str, codes: Sequence[str]) -> tuple[str, str]:
    """The colour and marker of the area ``code`` among ``codes`` (a group's members in a
    fixed order): the same on every chart of a page or profile."""
    i = list(codes).index(code) if code in codes else len(codes)
    return COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)]


def line_chart(lines: Sequence[dict], target: float | None = None,
               project: bool = True, y_count: int = 6, x_count: int = 8,
               size: tuple[int, int] = (WIDTH, HEIGHT)) -> Chart:
    """The chart of ``lines``: dicts with ``code``, ``name``, ``points`` [(year, value)] and
    optionally ``projection`` (latest_year, latest_value, projected_2030) and ``colour`` and
    ``marker`` (:func:`area_style`; by the line's position when not given). ``y_count`` and
    ``x_count``: about how many ticks (fewer on a small chart); ``size``: the drawing's
    width and height (a small one makes its text larger where it is printed small)."""
    years = [y for ln in lines for y, _ in ln["points"]]
    values = [v for ln in lines for _, v in ln["points"]]
    projections = [ln["projection"] for ln in lines if project and ln.get("projection")]
    values += [p[2] for p in projections if p[2] is not None and math.isfinite(p[2])]
    if target is not None:
        values.append(target)
    last_year = TARGET_YEAR if projections or target is not None else max(years)
    x_lo, x_hi = min(years), max(last_year, max(years))
    y_ticks = nice_ticks(min(0.0, min(values)), max(values), count=y_count)
    width, height = size
    box = (LEFT, TOP, width - RIGHT, height - BOTTOM)

    def sx(year: float) -> float:
        return round(box[0] + (year - x_lo) / max(x_hi - x_lo, 1) * (box[2] - box[0]), 1)

    def sy(value: float) -> float:
        lo, hi = y_ticks[0], y_ticks[-1]
        return round(box[3] - (value - lo) / (hi - lo) * (box[3] - box[1]), 1)

    step = max(1, round((x_hi - x_lo) / x_count))
    x_years = [y for y in range(x_lo, x_hi + 1, step) if x_hi - y >= step / 2] + [x_hi]
    chart = Chart(width, height, box, [(sx(y), str(y)) for y in x_years],
                  [(sy(v), _label(v)) for v in y_ticks])
    for i, ln in enumerate(lines):
        pts = [(sx(y), sy(v)) for y, v in sorted(ln["points"])]
        line = Line(ln["code"], ln["name"], ln.get("colour") or COLOURS[i % len(COLOURS)],
                    ln.get("marker") or MARKERS[i % len(MARKERS)], pts, label_at=pts[-1])
        p = ln.get("projection") if project else None
        if p and p[2] is not None and math.isfinite(p[2]):
            line.projection = (sx(p[0]), sy(p[1]), sx(TARGET_YEAR), sy(p[2]))
            line.label_at = line.projection[2:]
        chart.lines.append(line)
    _spread_labels(chart.lines)
    if target is not None:
        chart.target = (sy(target), target)
    if last_year == TARGET_YEAR:
        chart.year_2030 = sx(TARGET_YEAR)
    return chart

"""Country shapes for the choropleth map: Natural Earth 1:50m boundaries from the npm package
``world-atlas`` (TopoJSON), decoded here and projected to SVG paths.

``make assets`` (``scripts/build_assets.sh``) installs the package with npm and copies
``countries-50m.json``, its licence and version into ``static/vendor/world-atlas/``; nothing
of it is committed. Decoding follows the TopoJSON specification: quantized, delta-encoded
arcs (``transform``), rings as lists of arc indexes where ``~i`` is arc ``i`` reversed.

The projection is Albers equal-area conic (standard parallels 35° and 50° N, centred on
66° E, 40° N), suited to a mid-latitude region wide in longitude and right for a choropleth
(areas are not distorted). Shapes are clipped to the view, and points closer than half a
pixel to the last kept one are dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sdgbridge.errors import SdgBridgeError

ATLAS_DIR = Path(__file__).parent.parent / "static" / "vendor" / "world-atlas"
ATLAS_FILE = "countries-50m.json"
WIDTH = 720
PARALLELS, ORIGIN = (35.0, 50.0), (66.0, 40.0)
Point = tuple[float, float]
Ring = list[Point]


class MissingAtlas(SdgBridgeError):
    status = 503

    def __init__(self, path: Path) -> None:
        super().__init__(f"The country shapes ({path}) are not installed. Run `make assets` "
                         "(it installs the npm package world-atlas and copies its shapes).")


@dataclass(frozen=True)
class Shape:
    code: str  # M49 without leading zeros, as the store writes areas
    name: str
    path: str  # SVG path data
    centre: Point


@dataclass(frozen=True)
class Atlas:
    version: str
    geometries: dict[str, tuple[str, list[list[Ring]]]]  # code -> name, polygons (lon/lat)


@cache
def load_atlas(folder: Path = ATLAS_DIR) -> Atlas:
    """The decoded country polygons (longitude, latitude) of the installed world-atlas."""
    path = folder / ATLAS_FILE
    if not path.exists():
        raise MissingAtlas(path)
    topo = json.loads(path.read_text(encoding="utf-8"))
    arcs = decode_arcs(topo["arcs"], topo.get("transform"))
    geometries = {}
    for g in topo["objects"]["countries"]["geometries"]:
        if "id" not in g:
            continue
        polygons = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        rings = [[_ring(arcs, r) for r in polygon] for polygon in polygons]
        geometries[str(int(g["id"]))] = (g["properties"]["name"], rings)
    meta = json.loads((folder / "package.json").read_text(encoding="utf-8")) if (
        folder / "package.json").exists() else {}
    return Atlas(str(meta.get("version", "?")), geometries)


def decode_arcs(arcs: list[list[list[int]]], transform: dict[str, Any] | None
                ) -> list[Ring]:
    """Absolute coordinates of TopoJSON arcs (delta-decoded and scaled when quantized)."""
    if transform is None:
        return [[(float(x), float(y)) for x, y, *_ in arc] for arc in arcs]
    (kx, ky), (dx, dy) = transform["scale"], transform["translate"]
    out = []
    for arc in arcs:
        x = y = 0
        points = []
        for px, py, *_ in arc:
            x, y = x + px, y + py
            points.append((x * kx + dx, y * ky + dy))
        out.append(points)
    return out


def _ring(arcs: list[Ring], indexes: Iterable[int]) -> Ring:
    ring: Ring = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        ring.extend(arc if not ring else arc[1:])  # arcs share their end points
    return ring


def albers(lon: float, lat: float) -> Point:
    """Albers equal-area conic (unit sphere); y grows northwards."""
    p1, p2 = (math.radians(v) for v in PARALLELS)
    lon0, lat0 = (math.radians(v) for v in ORIGIN)
    n = (math.sin(p1) + math.sin(p2)) / 2
    c = math.cos(p1) ** 2 + 2 * n * math.sin(p1)
    rho0 = math.sqrt(c - 2 * n * math.sin(lat0)) / n
    rho = math.sqrt(c - 2 * n * math.sin(math.radians(lat))) / n
    theta = n * (math.radians(lon) - lon0)
    return rho * math.sin(theta), rho0 - rho * math.cos(theta)


def clip(ring: Ring, box: tuple[float, float, float, float]) -> Ring:
    """Sutherland–Hodgman clipping of a ring to the rectangle (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    edges = ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False))
    for axis, limit, low in edges:
        if not ring:
            break

        def inside(p: Point, a: int = axis, v: float = limit, lo: bool = low) -> bool:
            return p[a] >= v if lo else p[a] <= v

        out: Ring = []
        for i, cur in enumerate(ring):
            prev = ring[i - 1]
            if inside(cur) != inside(prev):
                t = (limit - prev[axis]) / (cur[axis] - prev[axis])
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if inside(cur):
                out.append(cur)
        ring = out
    return ring


def _svg_path(rings: Sequence[Ring]) -> str:
    parts = []
    for ring in rings:
        kept: Ring = []
        for p in ring:
            if not kept or abs(p[0] - kept[-1][0]) + abs(p[1] - kept[-1][1]) >= 0.5:
                kept.append(p)
        if len(kept) >= 3:
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in kept) + "Z")
    return "".join(parts)


def _bounds(polys: list[list[Ring]]) -> tuple[float, float, float, float]:
    lons = [p[0] for poly in polys for p in poly[0]]
    lats = [p[1] for poly in polys for p in poly[0]]
    return min(lons), min(lats), max(lons), max(lats)


def _near(atlas: Atlas, codes: Sequence[str], margin: float = 20.0) -> set[str]:
    """``codes`` and the countries whose bounds come within ``margin`` degrees of theirs."""
    boxes = {c: _bounds(polys) for c, (_, polys) in atlas.geometries.items()}
    mine = [boxes[c] for c in codes if c in boxes]
    if not mine:
        return set()
    x0, y0 = min(b[0] for b in mine) - margin, min(b[1] for b in mine) - margin
    x1, y1 = max(b[2] for b in mine) + margin, max(b[3] for b in mine) + margin
    return {c for c, b in boxes.items() if b[0] <= x1 and b[2] >= x0 and b[1] <= y1
            and b[3] >= y0}


@cache
def region_shapes(codes: tuple[str, ...]) -> tuple[list[Shape], list[Shape], tuple[int, int]]:
    """:func:`region_map` of the installed atlas, computed once per set of areas."""
    return region_map(codes, load_atlas())


def region_map(codes: Sequence[str], atlas: Atlas, pad: float = 0.04
               ) -> tuple[list[Shape], list[Shape], tuple[int, int]]:
    """The shapes of ``codes`` (M49) and of their neighbours in view, projected to a
    ``WIDTH``-pixel-wide view fitted to ``codes``; and the view's size."""
    near = _near(atlas, codes)
    projected = {c: [[[albers(*p) for p in ring] for ring in poly] for poly in polys]
                 for c, (_, polys) in atlas.geometries.items() if c in near}
    wanted = [c for c in codes if c in projected]
    if not wanted:
        raise SdgBridgeError(f"None of the areas {', '.join(codes)} has a shape in the atlas;"
                             " the map shows countries (M49 codes).")
    xs = [p[0] for c in wanted for poly in projected[c] for p in poly[0]]
    ys = [p[1] for c in wanted for poly in projected[c] for p in poly[0]]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    scale = WIDTH / (w * (1 + 2 * pad))
    left, top = min(xs) - w * pad, max(ys) + h * pad
    height = round((h * (1 + 2 * pad)) * scale)
    box = (-2.0, -2.0, WIDTH + 2.0, height + 2.0)

    def to_view(ring: Ring) -> Ring:
        return [((x - left) * scale, (top - y) * scale) for x, y in ring]

    inside: list[Shape] = []
    around: list[Shape] = []
    for code, polys in projected.items():
        rings = [clip(to_view(ring), box) for poly in polys for ring in poly]
        rings = [r for r in rings if len(r) >= 3]
        if not rings:
            continue
        biggest = max(rings, key=len)
        centre = (sum(p[0] for p in biggest) / len(biggest),
                  sum(p[1] for p in biggest) / len(biggest))
        shape = Shape(code, atlas.geometries[code][0], _svg_path(rings), centre)
        (inside if code in wanted else around).append(shape)
    return inside, around, (WIDTH, height)

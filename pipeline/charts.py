"""Inline SVG charts for the weekly digest: no JavaScript, no fonts or images to fetch.

Each function returns one ``<svg>`` element as a string, sized with a viewBox so it scales to
the page (browser and WeasyPrint alike). All text is escaped here; callers pass plain strings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Escalation levels 0-4 (TAXONOMY section 2): pale to dark, readable in greyscale print too.
LEVEL_FILL = ("#e9ecef", "#fde29a", "#f6a65a", "#dc5434", "#7f1414")
LEVEL_TEXT = ("#333333", "#333333", "#222222", "#ffffff", "#ffffff")
FONT = "font-family:DejaVu Sans,Arial,Helvetica,sans-serif"

# Indonesia's extent (lon/lat), with a margin: Sabang to Merauke, Miangas to Rote.
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 94.5, 141.5, -11.5, 6.5


def level_fill(level: int | None) -> str:
    """Fill colour of an escalation level (None counts as 0)."""
    return LEVEL_FILL[max(0, min(4, level or 0))]


def _text(x: float, y: float, s: str, *, size: float = 11, anchor: str = "start", **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
        f' style="{FONT}"{extra}>{escape(s)}</text>'
    )


def level_legend(x: float, y: float, title: str, names: Sequence[str]) -> list[str]:
    """A row of coloured swatches 0-4 with the level names."""
    parts = [_text(x, y + 10, title, size=11, font_weight="bold")]
    cx = x + 8 + 7 * len(title)
    for level, name in enumerate(names):
        parts.append(
            f'<rect x="{cx:.1f}" y="{y}" width="12" height="12" fill="{LEVEL_FILL[level]}"'
            ' stroke="#999" stroke-width="0.5"/>'
        )
        label = f"{level} {name}"
        parts.append(_text(cx + 16, y + 10, label, size=10.5))
        cx += 16 + 6.5 * len(label) + 12
    return parts


@dataclass
class GridRow:
    """One province row of the escalation grid."""

    label: str
    cells: list[tuple[int, int | None]]  # per week: (stories, max level or None)


def heat_grid(
    rows: Sequence[GridRow],
    columns: Sequence[str],
    *,
    level_names: Sequence[str],
    legend_title: str,
    total_label: str,
    aria_label: str,
) -> str:
    """Province x week grid: the number of stories in each cell, coloured by max level.

    Why a grid rather than lines: an analyst scans one row for a province's trajectory and
    one column for the week's map of tension, and the numbers stay readable in print.
    """
    label_w, cell_w, cell_h, total_w = 190, 58, 24, 64
    top, left = 34, label_w
    width = left + cell_w * len(columns) + total_w + 10
    height = top + cell_h * max(1, len(rows)) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart heat-grid" role="img"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' aria-label="{escape(aria_label)}">'
    ]
    for j, col in enumerate(columns):
        parts.append(
            _text(left + cell_w * j + cell_w / 2, top - 10, col, size=10.5, anchor="middle")
        )
    parts.append(
        _text(
            left + cell_w * len(columns) + total_w / 2,
            top - 10,
            total_label,
            size=10.5,
            anchor="middle",
            font_weight="bold",
        )
    )
    for i, row in enumerate(rows):
        y = top + cell_h * i
        name = row.label if len(row.label) <= 28 else row.label[:27] + "…"
        parts.append(_text(label_w - 8, y + cell_h / 2 + 4, name, size=11, anchor="end"))
        for j, (stories, level) in enumerate(row.cells):
            x = left + cell_w * j
            if stories:
                parts.append(
                    f'<rect class="cell" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}"'
                    f' height="{cell_h - 2}" rx="2" fill="{level_fill(level)}">'
                    f"<title>{escape(f'{row.label}, {columns[j]}: {stories}, level {level}')}"
                    "</title></rect>"
                )
                parts.append(
                    _text(
                        x + cell_w / 2,
                        y + cell_h / 2 + 4,
                        str(stories),
                        size=11,
                        anchor="middle",
                        fill=LEVEL_TEXT[max(0, min(4, level or 0))],
                    )
                )
            else:
                parts.append(
                    f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}"'
                    ' rx="2" fill="#ffffff" stroke="#e3e3e3"/>'
                )
        total = sum(s for s, _ in row.cells)
        parts.append(
            _text(
                left + cell_w * len(columns) + total_w / 2,
                y + cell_h / 2 + 4,
                str(total),
                size=11,
                anchor="middle",
                font_weight="bold",
            )
        )
    legend_y = top + cell_h * max(1, len(rows)) + 14
    parts += level_legend(10, legend_y, legend_title, level_names)
    parts.append("</svg>")
    return "".join(parts)


@dataclass
class MapPoint:
    """A hotspot to draw: where, how hot, how violent, and whether it is province-wide."""

    label: str
    lat: float
    lon: float
    score: float
    level: int | None
    province_wide: bool = False


def project(lat: float, lon: float, width: float, height: float) -> tuple[float, float]:
    """Plain equirectangular projection of Indonesia's extent onto the drawing area."""
    x = (lon - LON_MIN) / (LON_MAX - LON_MIN) * width
    y = (LAT_MAX - lat) / (LAT_MAX - LAT_MIN) * height
    return x, y


def hotspot_map(
    points: Sequence[MapPoint],
    base: Sequence[tuple[float, float]],
    *,
    level_names: Sequence[str],
    legend_title: str,
    aria_label: str,
    max_labels: int = 8,
) -> str:
    """Hotspots over faint dots of every regency seat (which trace the archipelago's shape)."""
    width = 940
    height = round(width * (LAT_MAX - LAT_MIN) / (LON_MAX - LON_MIN))
    legend_h = 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart hotspot-map" role="img"'
        f' viewBox="0 0 {width} {height + legend_h}" width="{width}"'
        f' height="{height + legend_h}" aria-label="{escape(aria_label)}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f8fb"/>',
    ]
    for lat, lon in base:
        x, y = project(lat, lon, width, height)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.6" fill="#b9c2ca"/>')
    top = max((p.score for p in points), default=1.0) or 1.0
    ordered = sorted(points, key=lambda p: p.score, reverse=True)
    for p in reversed(ordered):  # hottest drawn last, on top
        x, y = project(p.lat, p.lon, width, height)
        r = 4 + 12 * math.sqrt(max(p.score, 0) / top) if top > 0 else 5
        title = f"<title>{escape(p.label)}</title>"
        if p.province_wide:
            parts.append(
                f'<circle class="hotspot" cx="{x:.1f}" cy="{y:.1f}" r="{r + 3:.1f}" fill="none"'
                f' stroke="{level_fill(p.level)}" stroke-width="3" opacity="0.9">{title}</circle>'
            )
        else:
            parts.append(
                f'<circle class="hotspot" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"'
                f' fill="{level_fill(p.level)}" fill-opacity="0.85" stroke="#333"'
                f' stroke-width="0.8">{title}</circle>'
            )
    placed: list[tuple[float, float, float, float]] = []
    for p in ordered[:max_labels]:
        x, y = project(p.lat, p.lon, width, height)
        anchor = "end" if x > width * 0.8 else "start"
        w = 7.0 * len(p.label)
        x0 = x - 10 - w if anchor == "end" else x + 10
        # first vertical offset whose box overlaps no label already placed (nearby hotspots)
        for dy in (-8, 16, -22, 30, -36, 44):
            box = (x0, y + dy - 11, x0 + w, y + dy + 3)
            if not any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed
            ):
                break
        placed.append(box)
        if dy not in (-8, 16):  # pushed away from its dot: draw a leader line
            parts.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x0 if anchor == "start" else x0 + w:.1f}"'
                f' y2="{y + dy - 4:.1f}" stroke="#555" stroke-width="0.7"/>'
            )
        # a white halo drawn first, then the dark label over it: paint-order is not supported
        # by every renderer (WeasyPrint paints the stroke over the fill: white, invisible text)
        halo = dict(size=11.5, font_weight="bold", fill="#ffffff", stroke="#ffffff")
        parts.append(_text(x0, y + dy, p.label, stroke_width="3", aria_hidden="true", **halo))
        parts.append(_text(x0, y + dy, p.label, size=11.5, font_weight="bold", fill="#1d2a33"))
    parts += level_legend(10, height + 10, legend_title, level_names)
    parts.append("</svg>")
    return "".join(parts)

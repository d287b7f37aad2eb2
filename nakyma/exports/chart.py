"""The brief's month chart: grouped bars of observations and headlines per month, where a
hidden count is drawn as a band up to k rather than at its true height.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from nakyma.disclosure import COMPLEMENTARY_MARK, Cell, SuppressedTable


@dataclass(frozen=True)
class Bar:
    month: int
    series: int  # index into nakyma.exports.brief.SOURCES
    cell: Cell


def chart_bars(table: SuppressedTable) -> tuple[list[Bar], int]:
    """Bars of the month x source table and the largest height to show (at least k).
    A hidden count has no true height: "<k" is drawn as an outlined band up to k, and a
    complementary one (known to be at least k) as a grey band up to k marked ".."."""
    bars = [Bar(i, j, cell) for i, row in enumerate(table.cells) for j, cell in enumerate(row)]
    top = max([c.value for row in table.cells for c in row if not c.hidden] + [table.k])
    return bars, top


def short_month(label: str) -> str:
    """ "marraskuu 2026" -> "marras 26", the usual short form of Finnish month names."""
    name, year = label.rsplit(" ", 1)
    return f"{name.removesuffix('kuu')} {year[2:]}"


def month_chart_svg(table: SuppressedTable, *, title: str = "Aineisto kuukausittain") -> Markup:
    """Grouped bars per month (observations solid, headlines hatched), SVG for the HTML brief."""
    bars, highest = chart_bars(table)
    top, ticks = axis_ticks(highest)
    n = len(table.cells)
    left, right, top_pad, bottom = 34, 8, 12, 34
    group = max(18, min(48, 520 // max(1, n)))
    width = left + right + group * n
    height = 170
    plot_h = height - top_pad - bottom
    bar_w = (group - 6) / 2

    def y(v: float) -> float:
        return top_pad + plot_h - v / top * plot_h

    parts = [
        '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="4" height="4" class="hatch-bg"/>'
        '<line x1="0" y1="0" x2="0" y2="4" class="hatch-line"/></pattern></defs>'
    ]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="tick" x="{left - 4}" y="{y(tick) + 3:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(table.row_labels):
        if i % every == 0:
            cx = left + group * i + group / 2
            parts.append(
                f'<text class="tick" x="{cx:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle">{escape(short_month(label))}</text>'
            )
    for bar in bars:
        x = left + group * bar.month + 3 + bar.series * bar_w
        css = "bar-obs" if bar.series == 0 else "bar-news"
        if not bar.cell.hidden:
            if bar.cell.value:
                h = plot_h - (y(bar.cell.value) - top_pad)
                parts.append(
                    f'<rect class="{css}" x="{x:.1f}" y="{y(bar.cell.value):.1f}" '
                    f'width="{bar_w:.1f}" height="{h:.1f}"/>'
                )
        elif bar.cell.primary:
            h = plot_h - (y(table.k) - top_pad)
            parts.append(
                f'<rect class="bar-small" x="{x:.1f}" y="{y(table.k):.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}"/>'
            )
        else:
            # Known only to be at least k: a grey bar up to k, marked like the table.
            h = plot_h - (y(table.k) - top_pad)
            parts.append(
                f'<rect class="bar-hidden" x="{x:.1f}" y="{y(table.k):.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}"/><text class="hidden-label" x="{x + bar_w / 2:.1f}" '
                f'y="{y(table.k) - 3:.1f}" text-anchor="middle">{COMPLEMENTARY_MARK}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
    )
    alt = f"{title}: " + "; ".join(
        f"{label} havainnot {row[0].text}, uutiset {row[1].text}"
        for label, row in zip(table.row_labels, table.cells, strict=True)
    )
    return Markup(
        f'<svg class="month-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(alt)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )


def axis_ticks(top: int) -> tuple[int, list[int]]:
    """The axis maximum rounded up to whole steps (some headroom for labels), and its ticks."""
    step = max(1, math.ceil(top / 4))
    top = step * (top // step + 1)
    return top, list(range(0, top + 1, step))

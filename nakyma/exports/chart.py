"""The geometry of the brief's month chart, written once for its two drawings: the SVG of the
HTML brief (`web.charts.month_chart_svg`) and the vector drawing in the PDF
(`nakyma.exports.pdf`). Here: which bars there are and how tall (in counts), the axis maximum
and its ticks, and which months get a label; each drawing only maps them to its own
coordinates and styles.

A hidden count has no true height: "<k" is drawn as an outlined band up to k, and a
complementary one (known to be at least k) as a grey band up to k marked "..".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from nakyma.disclosure import SuppressedTable

# What a bar stands for, which decides how it is drawn.
COUNT = "count"  # a published count, drawn to its height
SMALL = "small"  # "<k": an outlined band up to k
HIDDEN = "hidden"  # complementary "..": a grey band up to k, marked like the table
# About this many month labels fit under a chart; longer windows label every n-th month.
MAX_LABELS = 12


@dataclass(frozen=True)
class Bar:
    """One bar of the chart, its height in counts."""

    month: int  # row of the month table
    series: int  # index into nakyma.exports.brief.SOURCES
    kind: str  # COUNT, SMALL or HIDDEN
    height: int  # in counts: the count itself, or k for a hidden one


@dataclass(frozen=True)
class MonthChart:
    """Everything a drawing of the month chart needs, in counts and month numbers."""

    months: int  # groups of bars
    bars: tuple[Bar, ...]  # zero counts get no bar
    top: int  # the axis maximum
    ticks: tuple[int, ...]
    labels: tuple[tuple[int, str], ...]  # (month, short label) of the labelled months


def month_chart(table: SuppressedTable) -> MonthChart:
    """The chart of a month x source table (`PhenomenonBrief.months`)."""
    top, ticks = axis_ticks(highest_bar(table))
    return MonthChart(
        months=len(table.cells),
        bars=tuple(chart_bars(table)),
        top=top,
        ticks=tuple(ticks),
        labels=tuple(month_labels(table.row_labels)),
    )


def chart_bars(table: SuppressedTable) -> list[Bar]:
    """The bars of the table, month by month and series by series (the drawing order)."""
    bars = []
    for i, row in enumerate(table.cells):
        for j, cell in enumerate(row):
            if not cell.hidden:
                if cell.value:
                    bars.append(Bar(i, j, COUNT, cell.value))
            else:
                bars.append(Bar(i, j, SMALL if cell.primary else HIDDEN, table.k))
    return bars


def highest_bar(table: SuppressedTable) -> int:
    """The largest height to show: the largest published count, at least k."""
    return max([c.value for row in table.cells for c in row if not c.hidden] + [table.k])


def axis_ticks(top: int) -> tuple[int, list[int]]:
    """The axis maximum rounded up to whole steps (some headroom for labels), and its ticks."""
    step = max(1, math.ceil(top / 4))
    top = step * (top // step + 1)
    return top, list(range(0, top + 1, step))


def month_labels(row_labels: Sequence[str]) -> list[tuple[int, str]]:
    """(month, short label) of every n-th month, so that at most about MAX_LABELS show."""
    every = max(1, math.ceil(len(row_labels) / MAX_LABELS))
    return [(i, short_month(label)) for i, label in enumerate(row_labels) if i % every == 0]


def short_month(label: str) -> str:
    """ "marraskuu 2026" -> "marras 26", the usual short form of Finnish month names;
    Swedish and English ones to three letters ("november 2026" -> "nov 26")."""
    name, year = label.rsplit(" ", 1)
    if name.endswith("kuu"):
        return f"{name.removesuffix('kuu')} {year[2:]}"
    return f"{name[:3]} {year[2:]}"

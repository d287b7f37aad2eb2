"""Server-rendered SVG charts: indicator line charts, sparklines of counts, and the meeting
brief's month chart (its geometry shared with the PDF in `nakyma.exports.chart`). No
JavaScript, no CDN, readable without colour."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from nakyma.disclosure import COMPLEMENTARY_MARK, SuppressedTable
from nakyma.exports.chart import HIDDEN, SMALL, Bar, month_chart
from nakyma.vocabulary import MONTHS_FI

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 120, 28, 36


@dataclass(frozen=True)
class Line:
    label: str
    values: Sequence[float | None]
    dash: str  # stroke-dasharray: the line style tells the series apart without colour
    marker: str  # "circle", "square" or "triangle"
    css_class: str


def _fmt(value: float, decimals: int = 1) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7"/>'
    if kind == "triangle":
        top, right, left, base = y - 4.5, x + 4.5, x - 4.5, y + 3.5
        return f'<path d="M{x:.1f} {top:.1f} L{right:.1f} {base:.1f} L{left:.1f} {base:.1f} Z"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>'


def line_chart(
    years: Sequence[int],
    lines: Sequence[Line],
    *,
    title: str,
    unit: str,
    higher_is_worse: bool | None,
    decimals: int = 1,
) -> Markup:
    """An accessible SVG line chart (role=img with a text alternative)."""
    points = [v for line in lines for v in line.values if v is not None]
    if not years or not points:
        return Markup('<p class="no-data">Ei arvoja.</p>')
    low, high = min(points), max(points)
    if high == low:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    low, high = max(0.0, low - pad) if low >= 0 else low - pad, high + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(years) - 1)

    def x(i: int) -> float:
        return LEFT + (i * step if len(years) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h - (v - low) / (high - low) * plot_h

    ticks = [low + (high - low) * k / 4 for k in range(5)]
    parts = [_value_tick(y(value), value, decimals) for value in ticks]
    parts += _year_ticks(years, x)
    if higher_is_worse is not None:
        worse = "↑ suurempi on huonompi" if higher_is_worse else "↓ pienempi on huonompi"
        parts.append(f'<text class="direction" x="{LEFT}" y="{TOP - 10}">{escape(worse)}</text>')
    end_labels: list[tuple[float, str]] = []
    for line in lines:
        parts.append(_series(line, x, y))
        last = next(
            ((i, v) for i, v in reversed(list(enumerate(line.values))) if v is not None), None
        )
        if last is not None:
            end_labels.append((y(last[1]), f"{line.label} {_fmt(last[1], decimals)}"))
    parts += _end_labels(end_labels, LEFT + plot_w + 8)
    summary = "; ".join(
        f"{line.label}: "
        + ", ".join(
            f"{yr} {_fmt(v, decimals)}"
            for yr, v in zip(years, line.values, strict=False)
            if v is not None
        )
        for line in lines
    )
    alt = f"{title} ({unit}). {summary}"
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(alt)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )


def _value_tick(yy: float, value: float, decimals: int) -> str:
    """A grid line across the plot with its value at the left."""
    return (
        f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
        f'<text class="tick" x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">'
        f"{_fmt(value, decimals)}</text>"
    )


def _year_ticks(years: Sequence[int], x: Callable[[int], float]) -> list[str]:
    """Year labels under the plot: about six of them, and always the last year."""
    label_every = max(1, len(years) // 6)
    return [
        f'<text class="tick" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" '
        f'text-anchor="middle">{year}</text>'
        for i, year in enumerate(years)
        if i % label_every == 0 or i == len(years) - 1
    ]


def _series(line: Line, x: Callable[[int], float], y: Callable[[float], float]) -> str:
    """One series: its line broken where a value is missing, and a marker at every value."""
    segments: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(line.values):
        if v is None:
            segments.append([])
        else:
            segments[-1].append((x(i), y(v)))
    group = [f'<g class="series {line.css_class}">']
    for seg in segments:
        if len(seg) > 1:
            d = " ".join(
                f"{'M' if j == 0 else 'L'}{px:.1f} {py:.1f}" for j, (px, py) in enumerate(seg)
            )
            group.append(f'<path class="line" d="{d}" stroke-dasharray="{line.dash}"/>')
        group.extend(_marker(line.marker, px, py) for px, py in seg)
    group.append("</g>")
    return "".join(group)


def _end_labels(labels: list[tuple[float, str]], label_x: float) -> list[str]:
    """Direct labels at the line ends, nudged apart so they never overlap."""
    parts = []
    placed: list[float] = []
    for yy, text in sorted(labels):
        if placed and yy - placed[-1] < 14:
            yy = placed[-1] + 14
        placed.append(yy)
        parts.append(
            f'<text class="end-label" x="{label_x}" y="{yy + 4:.1f}">{escape(text)}</text>'
        )
    return parts


def series_lines(series: dict, municipality_name: str) -> list[Line]:
    """The three comparison lines of one indicator series (see nakyma.indicators)."""
    return [
        Line(municipality_name, series["municipality"], "none", "circle", "s-municipality"),
        Line("Hyvinvointialue", series["county"], "7 4", "square", "s-county"),
        Line("Koko maa", series["country"], "2 3", "triangle", "s-country"),
    ]


def sparkline(values: Sequence[int], *, label: str) -> Markup:
    """A tiny bar chart of counts (e.g. per 4 weeks), with its numbers as the text alternative."""
    if not values:
        return Markup("")
    width, height, gap = 4 * len(values) + 2 * (len(values) - 1), 22, 2
    top = max(values) or 1
    bars = []
    for i, v in enumerate(values):
        h = 0 if v == 0 else max(2.0, v / top * (height - 2))
        x = i * (4 + gap)
        bars.append(f'<rect x="{x}" y="{height - h:.1f}" width="4" height="{h:.1f}"/>')
    alt = f"{label}: " + ", ".join(str(v) for v in values)
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width * 2}" '
        f'height="{height}" role="img" aria-label="{escape(alt)}" '
        f'xmlns="http://www.w3.org/2000/svg"><line x1="0" x2="{width}" y1="{height}" '
        f'y2="{height}" class="baseline"/>' + "".join(bars) + "</svg>"
    )


def month_sparkline(values: Sequence[int], *, label: str, until: date) -> Markup:
    """A small bar chart of counts per month ending with `until`'s month, its time axis
    labelled with the first and last month ("heinä 2024" … "kesä 2025") and its numbers per
    month as the text alternative."""
    if not values:
        return Markup("")
    n = len(values)
    bar, gap, plot, axis = 10, 3, 36, 16
    width = n * bar + (n - 1) * gap
    top = max(values) or 1
    bars = []
    for i, v in enumerate(values):
        h = 0 if v == 0 else max(2.0, v / top * (plot - 2))
        bars.append(
            f'<rect x="{i * (bar + gap)}" y="{plot - h:.1f}" width="{bar}" height="{h:.1f}"/>'
        )
    months = [_month_back(until, n - 1 - i) for i in range(n)]
    first, last = (_short_month(*months[0]), _short_month(*months[-1]))
    alt = f"{label}: " + ", ".join(
        f"{_short_month(y, m)} {v}" for (y, m), v in zip(months, values, strict=True)
    )
    return Markup(
        f'<svg class="sparkline month-sparkline" viewBox="0 0 {width} {plot + axis}" '
        f'width="{width}" height="{plot + axis}" role="img" aria-label="{escape(alt)}" '
        f'xmlns="http://www.w3.org/2000/svg"><line x1="0" x2="{width}" y1="{plot}" '
        f'y2="{plot}" class="baseline"/>'
        + "".join(bars)
        + f'<text x="0" y="{plot + axis - 3}" class="axis-label">{escape(first)}</text>'
        f'<text x="{width}" y="{plot + axis - 3}" text-anchor="end" class="axis-label">'
        f"{escape(last)}</text></svg>"
    )


def _month_back(day: date, back: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 - back
    return index // 12, index % 12 + 1


def _short_month(year: int, month: int) -> str:
    # "tammikuu" -> "tammi"; the year keeps a 12-month span unambiguous.
    return f"{MONTHS_FI[month - 1].removesuffix('kuu')} {year}"


# The meeting brief's month chart: its geometry comes from nakyma.exports.chart, which the
# PDF's drawing shares; here only the SVG's coordinates and CSS classes.
MONTH_HEIGHT = 170
MONTH_LEFT, MONTH_RIGHT, MONTH_TOP, MONTH_BOTTOM = 34, 8, 12, 34
_HATCH = (
    '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="4" height="4" class="hatch-bg"/>'
    '<line x1="0" y1="0" x2="0" y2="4" class="hatch-line"/></pattern></defs>'
)
_BAR_CLASSES = {SMALL: "bar-small", HIDDEN: "bar-hidden"}  # a count's class is its series'


def month_chart_svg(table: SuppressedTable, *, title: str = "Aineisto kuukausittain") -> Markup:
    """Grouped bars per month (observations solid, headlines hatched), SVG for the HTML brief;
    the table's published counts are its text alternative."""
    chart = month_chart(table)
    group = max(18, min(48, 520 // max(1, chart.months)))
    width = MONTH_LEFT + MONTH_RIGHT + group * chart.months
    plot_h = MONTH_HEIGHT - MONTH_TOP - MONTH_BOTTOM
    bar_w = (group - 6) / 2

    def y(v: float) -> float:
        return MONTH_TOP + plot_h - v / chart.top * plot_h

    parts = [_HATCH]
    for tick in chart.ticks:
        parts.append(
            f'<line class="grid" x1="{MONTH_LEFT}" x2="{width - MONTH_RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="tick" x="{MONTH_LEFT - 4}" y="{y(tick) + 3:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    for month, label in chart.labels:
        cx = MONTH_LEFT + group * month + group / 2
        parts.append(
            f'<text class="tick" x="{cx:.1f}" y="{MONTH_HEIGHT - MONTH_BOTTOM + 14}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for bar in chart.bars:
        x = MONTH_LEFT + group * bar.month + 3 + bar.series * bar_w
        top = y(bar.height)
        parts.append(_month_bar(bar, x, top, bar_w, plot_h - (top - MONTH_TOP)))
    parts.append(
        f'<line class="axis" x1="{MONTH_LEFT}" x2="{width - MONTH_RIGHT}" y1="{y(0):.1f}" '
        f'y2="{y(0):.1f}"/>'
    )
    alt = f"{title}: " + "; ".join(
        f"{label} havainnot {row[0].text}, uutiset {row[1].text}"
        for label, row in zip(table.row_labels, table.cells, strict=True)
    )
    return Markup(
        f'<svg class="month-chart" viewBox="0 0 {width} {MONTH_HEIGHT}" role="img" '
        f'aria-label="{escape(alt)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )


def _month_bar(bar: Bar, x: float, y: float, width: float, height: float) -> str:
    css = _BAR_CLASSES.get(bar.kind) or ("bar-obs" if bar.series == 0 else "bar-news")
    rect = (
        f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}"/>'
    )
    if bar.kind != HIDDEN:
        return rect
    # Known only to be at least k: marked like the table.
    return (
        f'{rect}<text class="hidden-label" x="{x + width / 2:.1f}" y="{y - 3:.1f}" '
        f'text-anchor="middle">{COMPLEMENTARY_MARK}</text>'
    )

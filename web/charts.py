"""Server-rendered SVG charts: indicator line charts, sparklines of counts, and the meeting
brief's month chart (its geometry shared with the PDF in `nakyma.exports.chart`). No
JavaScript, no CDN, readable without colour."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from nakyma import i18n
from nakyma.disclosure import COMPLEMENTARY_MARK, SuppressedTable
from nakyma.exports.chart import HIDDEN, SMALL, Bar, month_chart
from nakyma.indicators import format_number
from nakyma.vocabulary import MONTHS_FI

# Short month names of the time axes. Finnish drops "kuu" from the month's name ("heinä");
# Swedish and English abbreviate as their readers do.
SHORT_MONTHS: dict[str, tuple[str, ...]] = {
    "fi": tuple(name.removesuffix("kuu") for name in MONTHS_FI),
    "sv": (
        "jan",
        "feb",
        "mars",
        "apr",
        "maj",
        "juni",
        "juli",
        "aug",
        "sep",
        "okt",
        "nov",
        "dec",
    ),
    "en": (
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ),
}

# The indicator chart is drawn for a phone-sized box: its text (16 units) stays at least 14 px
# when the chart is shown 280 px wide or wider (the page caps it at 23rem, so about 18 px on a
# desktop). Line-end labels would not fit at that size; the values are in the key under it.
WIDTH, HEIGHT = 320, 220
RIGHT, TOP, BOTTOM = 22, 34, 30
CHAR_W = 9.5  # width of one digit at the 16-unit font, for the left margin


@dataclass(frozen=True)
class Line:
    label: str
    values: Sequence[float | None]
    dash: str  # stroke-dasharray: the line style tells the series apart without colour
    marker: str  # "circle", "square" or "triangle"
    css_class: str
    symbol: str = "●"  # the marker as a character, for the key under the chart


def _fmt(value: float, decimals: int = 1, language: str = "fi") -> str:
    return format_number(value, decimals, language)


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7"/>'
    if kind == "triangle":
        top, right, left, base = y - 4.5, x + 4.5, x - 4.5, y + 3.5
        return f'<path d="M{x:.1f} {top:.1f} L{right:.1f} {base:.1f} L{left:.1f} {base:.1f} Z"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>'


def nice_ticks(low: float, high: float, count: int = 4) -> tuple[list[float], int]:
    """Round grid values covering [low, high] in about `count` steps of 1, 2, 2.5 or 5 times
    a power of ten, and the decimals their labels need."""
    if high <= low:
        low, high = low - 1, high + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9:
        ticks.append(first + len(ticks) * step)
    decimals = max(0, -math.floor(math.log10(step)))
    if abs(step * 10**decimals - round(step * 10**decimals)) > 1e-9:
        decimals += 1  # 2.5 x 10^n needs one more
    return [round(t, decimals) for t in ticks], decimals


def _value_range(points: Sequence[float]) -> tuple[float, float]:
    """The values' range with a little air, never below zero for non-negative data: the axis
    starts near the data (not at zero), so a small change is visible."""
    low, high = min(points), max(points)
    pad = (high - low) * 0.1 or max(abs(high) * 0.05, 1.0)
    return (max(0.0, low - pad) if low >= 0 else low - pad), high + pad


def line_chart(
    years: Sequence[int],
    lines: Sequence[Line],
    *,
    title: str,
    unit: str,
    higher_is_worse: bool | None,
    decimals: int = 1,
    language: str = "fi",
) -> Markup:
    """An accessible SVG line chart (role=img with a text alternative), its words and numbers
    in `language`."""
    _ = i18n.translator(language)
    points = [v for line in lines for v in line.values if v is not None]
    if not years or not points:
        return _no_data(_("Ei arvoja."))
    x, y, parts = _axes(years, points, higher_is_worse, language)
    parts += [_series(line, x, y) for line in lines]
    summary = "; ".join(
        f"{line.label}: "
        + ", ".join(
            f"{yr} {_fmt(v, decimals, language)}"
            for yr, v in zip(years, line.values, strict=False)
            if v is not None
        )
        for line in lines
    )
    return _svg("chart", f"{title} ({unit}). {summary}", parts)


def _no_data(message: str) -> Markup:
    return Markup('<p class="no-data">{}</p>').format(message)


def _axes(
    years: Sequence[int],
    points: Sequence[float],
    higher_is_worse: bool | None,
    language: str = "fi",
) -> tuple[Callable[[int], float], Callable[[float], float], list[str]]:
    """The frame both line charts share: the x (year index) and y (value) scales, value and
    year ticks, and the "which way is worse" label."""
    ticks, tick_decimals = nice_ticks(*_value_range(points))
    low, high = ticks[0], ticks[-1]
    labels = [_fmt(t, tick_decimals, language) for t in ticks]
    left = 10 + CHAR_W * max(len(label) for label in labels)
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(years) - 1)

    def x(i: int) -> float:
        return left + (i * step if len(years) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h - (v - low) / (high - low) * plot_h

    parts = [_value_tick(left, y(t), label) for t, label in zip(ticks, labels, strict=True)]
    parts += _year_ticks(years, x, plot_w)
    if higher_is_worse is not None:
        _ = i18n.translator(language)
        worse = _("↑ suurempi on huonompi") if higher_is_worse else _("↓ pienempi on huonompi")
        parts.append(f'<text class="direction" x="{left}" y="{TOP - 14}">{escape(worse)}</text>')
    return x, y, parts


def _svg(classes: str, alt: str, parts: Sequence[str]) -> Markup:
    return Markup(
        f'<svg class="{classes}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(alt)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )


def chart_key(
    years: Sequence[int], lines: Sequence[Line], *, decimals: int = 1, language: str = "fi"
) -> list[dict]:
    """The key under a chart: per line with a value its symbol, label, newest value and that
    value's year (a line can end before the chart does)."""
    key = []
    for line in lines:
        last = next(
            (
                (yr, v)
                for yr, v in zip(reversed(years), reversed(line.values), strict=False)
                if v is not None
            ),
            None,
        )
        if last is not None:
            key.append(
                {
                    "symbol": line.symbol,
                    "css_class": line.css_class,
                    "label": line.label,
                    "value": _fmt(last[1], decimals, language),
                    "year": last[0],
                }
            )
    return key


def _value_tick(left: float, yy: float, label: str) -> str:
    """A grid line across the plot with its value at the left."""
    return (
        f'<line class="grid" x1="{left:.1f}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
        f'<text class="tick" x="{left - 6:.1f}" y="{yy + 5:.1f}" text-anchor="end">'
        f"{label}</text>"
    )


def _year_ticks(years: Sequence[int], x: Callable[[int], float], plot_w: float) -> list[str]:
    """Year labels under the plot, as many as fit without touching, always the last year."""
    fits = max(2, int(plot_w // (4 * CHAR_W + 10)) + 1)
    every = max(1, math.ceil((len(years) - 1) / (fits - 1))) if len(years) > 1 else 1
    shown = [i for i in range(len(years)) if i % every == 0]
    last = len(years) - 1
    if shown[-1] != last:
        if last - shown[-1] < every:
            shown.pop()  # too close to the last year's label
        shown.append(last)
    return [
        f'<text class="tick" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 22}" '
        f'text-anchor="middle">{years[i]}</text>'
        for i in shown
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


def series_lines(series: dict, municipality_name: str, language: str = "fi") -> list[Line]:
    """The comparison lines of one indicator series (see nakyma.indicators), labelled in
    `language`. A count ("lkm", e.g. population) is charted for the municipality alone: the
    county's and the country's counts are sums on another scale, and beside them the
    municipality's line is flat."""
    _ = i18n.translator(language)
    own = Line(municipality_name, series["municipality"], "none", "circle", "s-municipality", "●")
    if (series.get("unit") or "").strip() == "lkm" and any(
        v is not None for v in series["municipality"]
    ):
        return [own]
    return [
        own,
        Line(_("Hyvinvointialue"), series["county"], "7 4", "square", "s-county", "■"),
        Line(_("Koko maa"), series["country"], "2 3", "triangle", "s-country", "▲"),
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


def month_sparkline(
    values: Sequence[int], *, label: str, until: date, language: str = "fi"
) -> Markup:
    """A small bar chart of counts per month ending with `until`'s month, its time axis
    labelled with the first and last month ("heinä 2024" … "kesä 2025"; in Swedish
    "juli 2024" … "juni 2025") and its numbers per month as the text alternative."""
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
    first, last = (_short_month(*months[0], language), _short_month(*months[-1], language))
    alt = f"{label}: " + ", ".join(
        f"{_short_month(y, m, language)} {v}" for (y, m), v in zip(months, values, strict=True)
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


def _short_month(year: int, month: int, language: str = "fi") -> str:
    # "tammikuu" -> "tammi"; the year keeps a 12-month span unambiguous.
    names = SHORT_MONTHS.get(language, SHORT_MONTHS["fi"])
    return f"{names[month - 1]} {year}"


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


def month_chart_svg(
    table: SuppressedTable, *, title: str | None = None, language: str = "fi"
) -> Markup:
    """Grouped bars per month (observations solid, headlines hatched), SVG for the HTML brief;
    the table's published counts are its text alternative, in `language` (the month labels
    are the table's own)."""
    _ = i18n.translator(language)
    if title is None:
        title = _("Aineisto kuukausittain")
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
        _("%(month)s havainnot %(observations)s, uutiset %(headlines)s")
        % {"month": label, "observations": row[0].text, "headlines": row[1].text}
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


# --- Forecast chart ------------------------------------------------------------------------
# History solid with filled dots, the forecast dashed with open dots, the 95 % interval a
# light hatched band and the 80 % interval a denser band inside it: told apart by pattern and
# opacity as well as colour, and named in the text legend under the chart.


def _band_path(
    points: Sequence[tuple[float, float, float]],
    y: Callable[[float], float],
) -> str:
    """A closed band through (x, low, high) points: along the highs, back along the lows."""
    upper = [f"{px:.1f} {y(hi):.1f}" for px, _, hi in points]
    lower = [f"{px:.1f} {y(lo):.1f}" for px, lo, _ in reversed(points)]
    return "M" + " L".join(upper + lower) + " Z"


def _polyline(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(
        f"{'M' if i == 0 else 'L'}{px:.1f} {py:.1f}" for i, (px, py) in enumerate(points)
    )


def forecast_chart(
    history: Sequence[tuple[int, float]],
    forecast: Sequence[dict],
    *,
    key: str,
    title: str,
    unit: str,
    higher_is_worse: bool | None,
    decimals: int = 1,
    language: str = "fi",
) -> Markup:
    """An accessible SVG of one indicator's history and forecast with its 80 % and 95 %
    intervals (role=img; the numbers are its text alternative, in `language`). `key` makes
    the hatch pattern's id unique on a page that shows several charts."""
    _ = i18n.translator(language)
    if not forecast:
        return _no_data(_("Ei ennustetta."))
    years = [yr for yr, _v in history] + [int(r["year"]) for r in forecast]
    points = [v for _y, v in history] + [r[c] for r in forecast for c in ("lo95", "hi95")]
    x, y, axes = _axes(years, points, higher_is_worse, language)
    pattern = f"hatch-{key}"
    parts = [
        f'<defs><pattern id="{pattern}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" '
        f'class="hatch-line"/></pattern></defs>',
        *axes,
        *_forecast_layers(history, forecast, x, y, pattern),
    ]
    alt = f"{title} ({unit}). " + forecast_summary(
        history, forecast, decimals=decimals, language=language
    )
    return _svg("chart forecast-chart", alt, parts)


def _forecast_layers(
    history: Sequence[tuple[int, float]],
    forecast: Sequence[dict],
    x: Callable[[int], float],
    y: Callable[[float], float],
    pattern: str,
) -> list[str]:
    """Bands first (under the lines), then the history and the forecast. The bands and the
    forecast line start at the newest history point, so the forecast grows out of it."""
    n = len(history)
    start = [(x(n - 1), history[-1][1], history[-1][1])] if history else []
    band95 = start + [(x(n + i), r["lo95"], r["hi95"]) for i, r in enumerate(forecast)]
    band80 = start + [(x(n + i), r["lo80"], r["hi80"]) for i, r in enumerate(forecast)]
    parts = [
        f'<path class="band band95" d="{_band_path(band95, y)}" fill="url(#{pattern})"/>',
        f'<path class="band band80" d="{_band_path(band80, y)}"/>',
    ]
    if history:
        border = x(n - 1)
        parts.append(
            f'<line class="now" x1="{border:.1f}" x2="{border:.1f}" y1="{TOP}" '
            f'y2="{HEIGHT - BOTTOM}"/>'
        )
        past = [(x(i), y(v)) for i, (_, v) in enumerate(history)]
        parts.append('<g class="series s-history">')
        if len(past) > 1:
            parts.append(f'<path class="line" d="{_polyline(past)}"/>')
        parts += [_marker("circle", px, py) for px, py in past]
        parts.append("</g>")
    ahead = [(x(n + i), y(r["forecast"])) for i, r in enumerate(forecast)]
    line = ([(x(n - 1), y(history[-1][1]))] if history else []) + ahead
    parts.append('<g class="series s-forecast">')
    if len(line) > 1:
        parts.append(f'<path class="line" d="{_polyline(line)}" stroke-dasharray="6 4"/>')
    parts += [f'<circle class="open" cx="{px:.1f}" cy="{py:.1f}" r="3.5"/>' for px, py in ahead]
    parts.append("</g>")
    return parts


def forecast_summary(
    history: Sequence[tuple[int, float]],
    forecast: Sequence[dict],
    *,
    decimals: int = 1,
    language: str = "fi",
) -> str:
    """The chart's numbers in words: the newest history values and each forecast year with
    its 80 % and 95 % intervals, in `language`."""
    _ = i18n.translator(language)

    def fmt(value: float) -> str:
        return _fmt(value, decimals, language)

    past = ", ".join(f"{yr} {fmt(v)}" for yr, v in history[-5:])
    ahead = "; ".join(
        f"{r['year']} {fmt(r['forecast'])} (80 %: {fmt(r['lo80'])}–{fmt(r['hi80'])}, "
        f"95 %: {fmt(r['lo95'])}–{fmt(r['hi95'])})"
        for r in forecast
    )
    text = _("Ennuste: %(values)s.") % {"values": ahead}
    if past:
        text = _("Toteutunut: %(values)s.") % {"values": past} + " " + text
    return text

"""The meeting brief as an A4 PDF (ReportLab): a cover page with the summary, then a page or
more per phenomenon, with its month chart drawn in vector graphics.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from nakyma.disclosure import COMPLEMENTARY_MARK, SuppressedTable
from nakyma.exports.brief import MAX_PHENOMENA, LinkedIndicator, MeetingBrief, PhenomenonBrief
from nakyma.exports.chart import COUNT, HIDDEN, SMALL, Bar, month_chart
from nakyma.i18n import format_date, translator

BRAND = "#0b5c6b"
MUTED = "#4a5468"
LINE = "#d5dae3"
_PDF_FONT = "Vera"
_pdf_glyphs: frozenset[int] = frozenset()


def _pdf_fonts() -> None:
    """Register ReportLab's bundled Bitstream Vera (Latin-1 and more: ä, ö, å, –, ”, …) once;
    embedded subsets make the PDF look the same everywhere."""
    global _pdf_glyphs
    if _pdf_glyphs:
        return
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(reportlab.__file__).parent / "fonts"
    faces = {
        "": "Vera.ttf",
        "-Bold": "VeraBd.ttf",
        "-Italic": "VeraIt.ttf",
        "-BoldItalic": "VeraBI.ttf",
    }
    for suffix, file in faces.items():
        pdfmetrics.registerFont(TTFont(_PDF_FONT + suffix, str(folder / file)))
    pdfmetrics.registerFontFamily(
        _PDF_FONT,
        normal=_PDF_FONT,
        bold=_PDF_FONT + "-Bold",
        italic=_PDF_FONT + "-Italic",
        boldItalic=_PDF_FONT + "-BoldItalic",
    )
    face = pdfmetrics.getFont(_PDF_FONT).face
    _pdf_glyphs = frozenset(face.charWidths)


def _pdf_text(text: str | None) -> str:
    """Paragraph markup for plain text: escaped, characters the font lacks replaced."""
    out = []
    for ch in " ".join((text or "").split()):
        if ord(ch) in _pdf_glyphs:
            out.append(ch)
        else:
            base = unicodedata.normalize("NFKD", ch)[:1]
            out.append(base if base and ord(base) in _pdf_glyphs else "?")
    return xml_escape("".join(out))


# The month chart's frame in points; its geometry comes from nakyma.exports.chart, which the
# HTML brief's SVG shares.
CHART_HEIGHT = 120.0
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 26.0, 22.0, 8.0


def _pdf_chart(table: SuppressedTable, width: float) -> Any:
    from reportlab.graphics.shapes import Drawing, Line
    from reportlab.lib import colors

    chart = month_chart(table)
    plot_w, plot_h = width - CHART_LEFT - 4, CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    group = plot_w / max(1, chart.months)
    bar_w = min(14.0, (group - 4) / 2)
    drawing = Drawing(width, CHART_HEIGHT)

    def y(v: float) -> float:
        return CHART_BOTTOM + v / chart.top * plot_h

    for tick in chart.ticks:
        drawing.add(
            Line(CHART_LEFT, y(tick), width - 4, y(tick), strokeColor=colors.HexColor(LINE))
        )
        drawing.add(_pdf_chart_label(CHART_LEFT - 3, y(tick) - 3, str(tick), "end"))
    for month, label in chart.labels:
        x = CHART_LEFT + group * month + group / 2
        drawing.add(_pdf_chart_label(x, CHART_BOTTOM - 11, label, "middle"))
    for bar in chart.bars:
        x = CHART_LEFT + group * bar.month + group / 2 - bar_w + bar.series * bar_w
        for shape in _pdf_bar(bar, x, bar_w, y(0), y(bar.height)):
            drawing.add(shape)
    drawing.add(Line(CHART_LEFT, y(0), width - 4, y(0), strokeColor=colors.black, strokeWidth=0.8))
    return drawing


def _pdf_chart_label(x: float, y: float, text: str, anchor: str) -> Any:
    from reportlab.graphics.shapes import String
    from reportlab.lib import colors

    return String(
        x,
        y,
        text,
        fontName=_PDF_FONT,
        fontSize=7,
        textAnchor=anchor,
        fillColor=colors.HexColor(MUTED),
    )


def _pdf_bar(bar: Bar, x: float, width: float, bottom: float, top: float) -> list[Any]:
    """The shapes of one bar, `width` wide from `bottom` up to `top` (points)."""
    from reportlab.graphics.shapes import Rect, String
    from reportlab.lib import colors

    if bar.kind == COUNT:
        fill = colors.HexColor(BRAND) if bar.series == 0 else colors.HexColor("#9bc3cb")
        style = {"fillColor": fill, "strokeColor": colors.HexColor(BRAND), "strokeWidth": 0.5}
    elif bar.kind == SMALL:
        style = {
            "fillColor": None,
            "strokeColor": colors.HexColor(MUTED),
            "strokeWidth": 0.6,
            "strokeDashArray": [2, 1.5],
        }
    else:
        style = {
            "fillColor": colors.HexColor("#c9ced8"),
            "strokeColor": colors.HexColor(MUTED),
            "strokeWidth": 0.6,
        }
    shapes = [Rect(x, bottom, width - 1, top - bottom, **style)]
    if bar.kind == HIDDEN:
        # Known only to be at least k: marked like the table.
        mark = String(
            x + width / 2 - 0.5,
            top + 2,
            COMPLEMENTARY_MARK,
            fontName=_PDF_FONT,
            fontSize=7,
            textAnchor="middle",
        )
        shapes.append(mark)
    return shapes


def render_pdf(brief: MeetingBrief) -> bytes:
    """The brief as an A4 PDF: a cover page with the summary, then one page (or more) per
    phenomenon. ReportLab's platypus lays it out; fonts are the bundled Vera family."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak

    _pdf_fonts()
    blocks = _Blocks(_pdf_styles(), A4[0] - 36 * mm)
    story = _pdf_cover(blocks, brief)
    if brief.forecasts:
        story.append(PageBreak())
        story += _pdf_forecasts(blocks, brief)
    for n, p in enumerate(brief.phenomena, 1):
        story.append(PageBreak())
        story += _pdf_phenomenon(blocks, brief, n, p)
    return _pdf_document(brief, story)


def _pdf_styles() -> dict[str, Any]:
    """The paragraph styles by name, all over one base style ("body")."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=_PDF_FONT, fontSize=9.5, leading=13)
    bold, italic = _PDF_FONT + "-Bold", _PDF_FONT + "-Italic"
    brand, muted = colors.HexColor(BRAND), colors.HexColor(MUTED)
    small = {"fontSize": 8.5, "leading": 10.5}
    settings: dict[str, dict[str, Any]] = {
        "title": dict(fontName=bold, fontSize=18, leading=23, spaceAfter=6, textColor=brand),
        "h1": dict(fontName=bold, fontSize=14, leading=18, spaceAfter=4, textColor=brand),
        "h2": dict(fontName=bold, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=3),
        "meta": dict(fontSize=8.5, leading=11, textColor=muted),
        "bullet": dict(leftIndent=10, bulletIndent=0),
        "quote": dict(fontName=italic, leftIndent=10, borderPadding=(2, 0, 2, 6), spaceBefore=3),
        "cell": small,
        "num": dict(small, alignment=TA_RIGHT),
        "note": dict(
            fontSize=8.5,
            leading=11,
            backColor="#fff4d6",
            borderPadding=4,
            spaceBefore=4,
            spaceAfter=6,
        ),
    }
    styles = {name: ParagraphStyle(name, base, **kw) for name, kw in settings.items()}
    styles["body"] = base
    return styles


class _Blocks:
    """The story's building blocks in the brief's styles: paragraphs of plain text, bullet
    lists and tables, on a page `width` points wide."""

    def __init__(self, styles: dict[str, Any], width: float):
        self.styles = styles
        self.width = width

    def para(self, text: str | None, style: str = "body") -> Any:
        from reportlab.platypus import Paragraph

        return Paragraph(_pdf_text(text), self.styles[style])

    def markup(self, markup: str, style: str, bullet: str | None = None) -> Any:
        """A paragraph of ReportLab markup (plain text in it already through _pdf_text)."""
        from reportlab.platypus import Paragraph

        return Paragraph(markup, self.styles[style], bulletText=bullet)

    def bullets(self, items: Iterable[str]) -> list[Any]:
        from reportlab.platypus import Paragraph

        return [Paragraph(_pdf_text(i), self.styles["bullet"], bulletText="•") for i in items]

    def table(self, rows: list[list[str]], widths: list[float], numeric_from: int = 1) -> Any:
        """A table whose first row is its header and last its totals; columns from
        `numeric_from` on are right-aligned."""
        from reportlab.lib import colors
        from reportlab.platypus import Paragraph, Table, TableStyle

        data = [
            [
                Paragraph(_pdf_text(c), self.styles["cell" if j < numeric_from else "num"])
                for j, c in enumerate(row)
            ]
            for row in rows
        ]
        t = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), _PDF_FONT),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor(BRAND)),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor(LINE)),
                    ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f0f3f7")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        return t


def _pdf_cover(b: _Blocks, brief: MeetingBrief) -> list[Any]:
    """The first page: what the brief covers, the disclosure legend and the phenomena."""
    from reportlab.platypus import Spacer

    _ = translator(brief.language)
    made = format_date(brief.generated_on, brief.language)
    story: list[Any] = [
        b.para(f"{_('Kokousmuistio:')} {brief.scope.label}", "title"),
        b.para(
            f"{brief.region} · {_('aikaväli')} {brief.window} · {_('laadittu')} {made} · Näkymä",
            "meta",
        ),
        Spacer(1, 4),
        b.para(f"{_('Valinta:')} " + "; ".join(brief.selection) + ".", "body"),
        b.para(brief.legend, "note"),
    ]
    if brief.phenomena:
        story += [b.para(_("Ilmiöt"), "h2"), _pdf_summary(b, brief)]
    else:
        story.append(b.para(_("Valinnalla ei löytynyt ilmiöitä."), "body"))
    if brief.left_out:
        left_out = _("Lisäksi %(n)s ilmiötä jäi pois (enintään %(max)s).")
        story.append(b.para(left_out % {"n": brief.left_out, "max": MAX_PHENOMENA}, "meta"))
    if brief.emerging:
        story += _pdf_emerging(b, brief)
    if brief.signals_as_of:
        story.append(Spacer(1, 6))
        computed = format_date(brief.signals_as_of, brief.language)
        story.append(b.para(f"{_('Signaaliluokitus on laskettu')} {computed}.", "meta"))
    return story


def _pdf_emerging(b: _Blocks, brief: MeetingBrief) -> list[Any]:
    """ "Nousevat teemat": one row per emerging theme, its reasons below the table."""
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    _ = translator(brief.language)
    rows = [[_("Teema"), _("Luokka"), _("Missä"), _("Havainnot")]]
    rows += [[e.title, _(e.category_label), ", ".join(e.places), e.items] for e in brief.emerging]
    widths = [b.width * share for share in (0.40, 0.15, 0.31, 0.14)]
    table = b.table(rows, widths, numeric_from=3)
    table.setStyle(TableStyle([("BACKGROUND", (0, -1), (-1, -1), colors.white)]))
    reasons = [f"{e.title}: {' '.join(e.reasons)}" for e in brief.emerging if e.reasons]
    return [b.para(_("Nousevat teemat"), "h2"), table, *b.bullets(reasons)]


def _pdf_forecasts(b: _Blocks, brief: MeetingBrief) -> list[Any]:
    """ "Ennakointi": per forecast indicator the expectation and verdict in words, a compact
    table of the forecast years with both intervals, and the phenomena that lead it."""
    from reportlab.lib import colors
    from reportlab.platypus import KeepTogether, TableStyle

    _ = translator(brief.language)
    story: list[Any] = [
        b.para(_("Ennakointi: tilastojen ennusteet"), "h1"),
        b.para(
            _("Muistion ilmiöihin liitettyjen indikaattorien ennusteet rajauksella")
            + f" {brief.scope.label}"
            + _(
                ". Ennuste jatkaa tilastoa; ilmiöt kertovat, mitä kentällä on kirjattu. "
                "Niitä ei ole laskettu yhteen."
            ),
            "meta",
        ),
    ]
    widths = [b.width * share for share in (0.16, 0.24, 0.30, 0.30)]
    for f in brief.forecasts:
        rows = [[_("Vuosi"), _("Ennuste"), _("80 %%:n väli") % {}, _("95 %%:n väli") % {}]]
        rows += [[str(r.year), r.forecast, r.interval80, r.interval95] for r in f.rows]
        table = b.table(rows, widths)
        table.setStyle(TableStyle([("BACKGROUND", (0, -1), (-1, -1), colors.white)]))
        title = f"{f.title} ({f.unit})" if f.unit else f.title
        story.append(
            KeepTogether(
                [
                    b.para(title, "h2"),
                    b.para(f.expectation, "body"),
                    b.para(f.verdict, "body"),
                    table,
                    b.para(
                        _("Ilmiöt, jotka voivat ennakoida muutosta:")
                        + " "
                        + ", ".join(f.phenomena)
                        + ".",
                        "body",
                    ),
                    b.para(_("Miten laskettu:") + " " + " ".join(f.figures), "meta"),
                ]
            )
        )
    return story


def _pdf_summary(b: _Blocks, brief: MeetingBrief) -> Any:
    """One row per phenomenon: title, status, signal and the published counts."""
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    _ = translator(brief.language)
    rows = [[_("Ilmiö"), _("Tila"), _("Signaali"), _("Havainnot"), _("Uutiset")]]
    rows += [
        [
            f"{n}. {p.title}",
            _(p.status_label),
            _(p.category_label) if p.category_label else "–",
            p.observations.text,
            p.headlines.text,
        ]
        for n, p in enumerate(brief.phenomena, 1)
    ]
    widths = [b.width * share for share in (0.40, 0.15, 0.17, 0.14, 0.14)]
    summary = b.table(rows, widths, numeric_from=3)
    # Its last row is a phenomenon, not a total.
    summary.setStyle(TableStyle([("BACKGROUND", (0, -1), (-1, -1), colors.white)]))
    return summary


def _pdf_phenomenon(b: _Blocks, brief: MeetingBrief, n: int, p: PhenomenonBrief) -> list[Any]:
    """A phenomenon's pages: heading, why it is a signal, evidence, indicators, voices from
    the field and questions for the meeting."""
    from reportlab.platypus import Spacer

    _ = translator(brief.language)
    category = _(p.category_label) if p.category_label else _("ei luokitusta rajauksella")
    meta = [f"{_('Ilmiö')} {p.id}", f"{_('tila:')} {_(p.status_label)}"]
    meta.append(f"{_('signaali:')} {category}")
    if p.theme_label:
        meta.append(f"{_('teema:')} {_(p.theme_label)}")
    story = [b.para(f"{n}. {p.title}", "h1"), b.para(" · ".join(meta), "meta")]
    if p.summary:
        story += [Spacer(1, 3), b.para(p.summary)]
    if p.reasons:
        story += [b.para(_("Miksi signaali"), "h2"), *b.bullets(p.reasons)]
    story += _pdf_months(b, brief, p)
    if p.municipalities is not None and p.municipalities.row_labels:
        town_rows = p.municipalities.text_rows(corner=_("Kunta"))
        story.append(b.para(_("Havainnot kunnittain"), "h2"))
        story.append(b.table(town_rows, [b.width * 0.34, b.width * 0.22]))
    if p.indicators:
        indicators = (_pdf_indicator(b, i, brief.language) for i in p.indicators)
        story += [b.para(_("Indikaattorit"), "h2"), *indicators]
    if p.texts or p.texts_note:
        story += _pdf_texts(b, p, brief.language)
    story += [b.para(_("Kysymyksiä kokoukselle"), "h2"), *b.bullets(p.questions)]
    return story


def _pdf_months(b: _Blocks, brief: MeetingBrief, p: PhenomenonBrief) -> list[Any]:
    """The evidence month by month: a chart above its table."""
    from reportlab.platypus import KeepTogether, Spacer

    _ = translator(brief.language)
    key = _(
        "Rajauksella havaintoja %(observations)s ja uutisia %(headlines)s. Kaaviossa tummat "
        "palkit ovat havaintoja, vaaleat uutisia; katkoviivalaatikko = alle %(k)s, harmaa "
        "”%(mark)s” = vähintään %(k)s, piilotettu."
    ) % {
        "observations": p.observations.text,
        "headlines": p.headlines.text,
        "k": brief.k,
        "mark": COMPLEMENTARY_MARK,
    }
    rows = p.months.text_rows(corner=_("Kuukausi"))
    return [
        b.para(_("Aineisto kuukausittain"), "h2"),
        b.para(key, "meta"),
        KeepTogether([_pdf_chart(p.months, b.width), Spacer(1, 4)]),
        b.table(rows, [b.width * 0.34, b.width * 0.22, b.width * 0.22]),
    ]


def _pdf_indicator(b: _Blocks, ind: LinkedIndicator, language: str) -> Any:
    _ = translator(language)
    kind = "" if ind.accepted else f" ({_('ehdotus')})"
    return b.markup(
        f"<b>{_pdf_text(ind.title)}</b>{kind}: {_pdf_text(ind.values_in(language))}<br/>"
        f'<font size="8" color="{MUTED}">{_pdf_text(ind.attribution)}, '
        f'<link href="{_pdf_text(ind.url)}" color="{BRAND}">'
        f"{_pdf_text(ind.url)}</link></font>",
        "bullet",
        bullet="•",
    )


def _pdf_texts(b: _Blocks, p: PhenomenonBrief, language: str) -> list[Any]:
    """Sample observation texts as quotes, with their place and month."""
    _ = translator(language)
    story = [b.para(_("Havaintoja kentältä"), "h2")]
    for t in p.texts:
        story.append(
            b.markup(
                f'”{_pdf_text(t.text)}”<br/><font name="{_PDF_FONT}" size="8" '
                f'color="{MUTED}">— {_pdf_text(t.place)}, {_pdf_text(t.month)}</font>',
                "quote",
            )
        )
    if p.texts_note:
        story.append(b.para(p.texts_note, "meta"))
    return story


def _pdf_document(brief: MeetingBrief, story: list[Any]) -> bytes:
    """The story laid out on A4 pages, each with a footer naming the brief and the page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    _ = translator(brief.language)
    # Message ids outside f-strings: pybabel does not look inside them.
    name = _("Kokousmuistio")
    footer = _pdf_plain(f"Näkymä · {name} · {brief.scope.label} · {brief.window}")
    page = _("sivu %(n)s")

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(_PDF_FONT, 7.5)
        canvas.setFillColor(colors.HexColor(MUTED))
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, page % {"n": doc.page})
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{_('Kokousmuistio:')} {brief.scope.label}",
        author="Näkymä",
        subject=f"{brief.region}, {brief.window}",
        creator="Näkymä",
        lang=_PDF_LANGUAGES.get(brief.language, "fi-FI"),
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


_PDF_LANGUAGES = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}


def _pdf_plain(text: str) -> str:
    return "".join(ch if ord(ch) in _pdf_glyphs else "?" for ch in text)

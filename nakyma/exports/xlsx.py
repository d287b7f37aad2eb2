"""The meeting brief as an Excel workbook (XLSX): phenomena, monthly counts, municipalities,
emerging themes, forecasts and notes, each on its own sheet.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from nakyma.disclosure import Cell
from nakyma.exports.brief import MeetingBrief
from nakyma.exports.columns import BRIEF_COLUMNS, BRIEF_HEADERS, forecast_lines, phenomenon_row
from nakyma.i18n import N_, format_date, translator
from nakyma.indicators import ATTRIBUTION


def render_xlsx(brief: MeetingBrief) -> bytes:
    """Sheets: phenomena (one row each), monthly counts, municipalities, emerging themes and
    forecasts (each when there are any) and the notes."""
    from openpyxl import Workbook

    wb = Workbook()
    _phenomena_sheet(wb, brief)
    _counts_sheets(wb, brief)
    _emerging_sheet(wb, brief)
    _forecast_sheet(wb, brief)
    _notes_sheet(wb, brief)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# The sheets' and columns' names are Finnish message ids, written in the brief's language.
# Where "<5" and ".." may stand instead of a count; "Tietoja" names exactly these columns
# (tests/test_exports.py checks that no suppressed mark appears anywhere else).
PROTECTED_COLUMNS: dict[str, tuple[str, ...]] = {
    N_("Ilmiöt"): (
        N_("Havainnot"),
        N_("Uutiset"),
        N_("Havainnot kuukausittain"),
        N_("Uutiset kuukausittain"),
        N_("Kunnat"),
    ),
    N_("Kuukausittain"): (N_("Havainnot"), N_("Uutiset")),
    N_("Kunnat"): (N_("Havainnot"),),
    N_("Nousevat teemat"): (N_("Havainnot"),),
}


def protected_note(language: str) -> str:
    """The notes sheet's list of the columns a protected mark may stand in."""
    _ = translator(language)
    columns = "; ".join(
        f"{_(sheet)}: {', '.join(_(c) for c in cols)}" for sheet, cols in PROTECTED_COLUMNS.items()
    )
    return _(
        "Suojattu merkintä (”<5” tai ”..”) voi olla vain näissä sarakkeissa: %(columns)s. "
        "Muut luvut ovat lukuja, joilla voi laskea."
    ) % {"columns": columns}


PROTECTED_NOTE = protected_note("fi")


def _phenomena_sheet(wb: Any, brief: MeetingBrief) -> None:
    """The first sheet, "Ilmiöt": the CSV's columns, wrapped text."""
    from openpyxl.styles import Alignment

    _ = translator(brief.language)
    ws = wb.active
    ws.title = _("Ilmiöt")
    _header(
        ws,
        [_(BRIEF_HEADERS[c]) for c in BRIEF_COLUMNS],
        [22, 22, 8, 36, 14, 16, 50, 20, 40, 10, 10, 40, 40, 40, 50, 60, 50],
    )
    wrap = Alignment(wrap_text=True, vertical="top")
    for p in brief.phenomena:
        fields = phenomenon_row(brief, p)
        _put(ws, [fields[c] for c in BRIEF_COLUMNS])
        for cell in ws[ws.max_row]:
            cell.alignment = wrap


def _counts_sheets(wb: Any, brief: MeetingBrief) -> None:
    """ "Kuukausittain" and "Kunnat": every phenomenon's count tables, totals included."""
    _ = translator(brief.language)
    total = _("Yhteensä")
    months = wb.create_sheet(_("Kuukausittain"))
    _header(
        months,
        [_("Ilmiön tunnus"), _("Otsikko"), _("Kuukausi"), _("Havainnot"), _("Uutiset")],
        [8, 36, 18, 10, 10],
    )
    towns = wb.create_sheet(_("Kunnat"))
    _header(towns, [_("Ilmiön tunnus"), _("Otsikko"), _("Kunta"), _("Havainnot")], [8, 36, 20, 10])
    for p in brief.phenomena:
        for label, row in zip([*p.months.row_labels, total], p.months.grid(), strict=True):
            _put(months, [p.id, p.title, label, *row])
        if p.municipalities is not None:
            grid = p.municipalities.grid()
            for label, row in zip([*p.municipalities.row_labels, total], grid, strict=True):
                _put(towns, [p.id, p.title, label, row[0]])


def _emerging_sheet(wb: Any, brief: MeetingBrief) -> None:
    """ "Nousevat teemat": one row per emerging theme flagged in the brief's area (no sheet
    when there is none)."""
    if not brief.emerging:
        return
    _ = translator(brief.language)
    ws = wb.create_sheet(_("Nousevat teemat"))
    _header(
        ws,
        [
            _("Teeman tunnus"),
            _("Otsikko"),
            _("Luokka"),
            _("Missä"),
            _("Havainnot"),
            _("Sanat"),
            _("Perustelut"),
        ],
        [8, 36, 12, 30, 10, 30, 60],
    )
    for e in brief.emerging:
        # A count as published: "<5" stays text, a larger one a number.
        items: int | str = int(e.items) if e.items.isdigit() else e.items
        _put(
            ws,
            [
                e.id,
                e.title,
                _(e.category_label),
                ", ".join(e.places),
                items,
                ", ".join(e.terms),
                " ".join(e.reasons),
            ],
        )


# The forecast sheet's columns: (header, key in `columns.forecast_lines`, width).
FORECAST_SHEET = (
    (N_("Indikaattori"), "title", 36),
    (N_("Indikaattorin tunnus"), "id", 10),
    (N_("Alue"), "area", 22),
    (N_("Yksikkö"), "unit", 10),
    (N_("Vuosi"), "year", 8),
    (N_("Ennuste"), "forecast", 10),
    (N_("Ennusteväli 80 %, alaraja"), "lo80", 12),
    (N_("Ennusteväli 80 %, yläraja"), "hi80", 12),
    (N_("Ennusteväli 95 %, alaraja"), "lo95", 12),
    (N_("Ennusteväli 95 %, yläraja"), "hi95", 12),
    (N_("Menetelmä"), "method", 28),
    (N_("Osuvuus aiempina vuosina"), "verdict", 60),
    (N_("Liittyvät ilmiöt"), "phenomena", 40),
)
FORECAST_NOTE = N_(
    "Ennusteet-välilehdellä ovat kokousmuistion Ennakointi-sivun ennusteet: muistion ilmiöihin "
    "liitettyjen indikaattorien tilastolliset ennusteet muistion alueelle, vuosi kerrallaan, "
    "80 %:n ja 95 %:n ennustevälein. Ne ovat tilastoja eivätkä havaintomääriä, eikä niitä ole "
    "yhdistetty havaintoihin."
)


def _forecast_sheet(wb: Any, brief: MeetingBrief) -> None:
    """ "Ennusteet": one row per forecast year of the forecast page, the numbers as numbers
    shown with the indicator's decimals (no sheet when the brief has no forecast page)."""
    lines = forecast_lines(brief)
    if not lines:
        return
    _ = translator(brief.language)
    ws = wb.create_sheet(_("Ennusteet"))
    _header(ws, [_(c[0]) for c in FORECAST_SHEET], [c[2] for c in FORECAST_SHEET])
    for line in lines:
        _put(ws, [line[c[1]] for c in FORECAST_SHEET])
        shown = "0." + "0" * line["decimals"] if line["decimals"] > 0 else "0"
        for cell in ws[ws.max_row][5:10]:
            cell.number_format = shown


def _notes_sheet(wb: Any, brief: MeetingBrief) -> None:
    """ "Tietoja": what the brief covers, the disclosure legend and the indicators' source."""
    from openpyxl.styles import Font

    _ = translator(brief.language)
    notes = wb.create_sheet(_("Tietoja"))
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    producers = _("tuottaja kunkin indikaattorin kohdalla.")
    for key, value in (
        (_("Alue"), f"{brief.scope.label} ({brief.region})"),
        (_("Aikaväli"), brief.window),
        (_("Laadittu"), format_date(brief.generated_on, brief.language)),
        (_("Valinta"), "; ".join(brief.selection)),
        (_("Tietosuoja"), brief.legend),
        (_("Suojatut sarakkeet"), protected_note(brief.language)),
        (_("Indikaattorit"), f"{_(ATTRIBUTION)}; {producers}"),
        *(((_("Ennusteet"), _(FORECAST_NOTE)),) if brief.forecasts else ()),
    ):
        _put(notes, [key, value])
        notes.cell(notes.max_row, 1).font = Font(bold=True)


def _put(ws: Any, row: Sequence[Any]) -> None:
    """Append a row: a count as a number where it may be published, else as its text."""
    values = []
    for v in row:
        if isinstance(v, Cell):
            values.append(v.number if v.number is not None else v.text)
        else:
            values.append(v)
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # text, never a formula


def _header(ws: Any, names: Sequence[str], widths: Sequence[int]) -> None:
    """The first row, bold and frozen, and the columns' widths."""
    from openpyxl.styles import Font

    _put(ws, names)
    for cell, width in zip(ws[1], widths, strict=True):
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = "A2"

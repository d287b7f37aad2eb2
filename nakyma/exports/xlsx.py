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
from nakyma.i18n import translator
from nakyma.indicators import ATTRIBUTION
from nakyma.wording import fi_date


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


# Where "<5" and ".." may stand instead of a count; "Tietoja" names exactly these columns
# (tests/test_exports.py checks that no suppressed mark appears anywhere else).
PROTECTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "Ilmiöt": (
        "Havainnot",
        "Uutiset",
        "Havainnot kuukausittain",
        "Uutiset kuukausittain",
        "Kunnat",
    ),
    "Kuukausittain": ("Havainnot", "Uutiset"),
    "Kunnat": ("Havainnot",),
    "Nousevat teemat": ("Havainnot",),
}
PROTECTED_NOTE = (
    "Suojattu merkintä (”<5” tai ”..”) voi olla vain näissä sarakkeissa: "
    + "; ".join(f"{sheet}: {', '.join(cols)}" for sheet, cols in PROTECTED_COLUMNS.items())
    + ". Muut luvut ovat lukuja, joilla voi laskea."
)


def _phenomena_sheet(wb: Any, brief: MeetingBrief) -> None:
    """The first sheet, "Ilmiöt": the CSV's columns, wrapped text."""
    from openpyxl.styles import Alignment

    ws = wb.active
    ws.title = "Ilmiöt"
    _header(
        ws,
        [translator(brief.language)(BRIEF_HEADERS[c]) for c in BRIEF_COLUMNS],
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
    months = wb.create_sheet("Kuukausittain")
    _header(
        months,
        ["Ilmiön tunnus", "Otsikko", "Kuukausi", "Havainnot", "Uutiset"],
        [8, 36, 18, 10, 10],
    )
    towns = wb.create_sheet("Kunnat")
    _header(towns, ["Ilmiön tunnus", "Otsikko", "Kunta", "Havainnot"], [8, 36, 20, 10])
    for p in brief.phenomena:
        for label, row in zip([*p.months.row_labels, "Yhteensä"], p.months.grid(), strict=True):
            _put(months, [p.id, p.title, label, *row])
        if p.municipalities is not None:
            grid = p.municipalities.grid()
            for label, row in zip([*p.municipalities.row_labels, "Yhteensä"], grid, strict=True):
                _put(towns, [p.id, p.title, label, row[0]])


def _emerging_sheet(wb: Any, brief: MeetingBrief) -> None:
    """ "Nousevat teemat": one row per emerging theme flagged in the brief's area (no sheet
    when there is none)."""
    if not brief.emerging:
        return
    ws = wb.create_sheet("Nousevat teemat")
    _header(
        ws,
        ["Teeman tunnus", "Otsikko", "Luokka", "Missä", "Havainnot", "Sanat", "Perustelut"],
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
                e.category_label,
                ", ".join(e.places),
                items,
                ", ".join(e.terms),
                " ".join(e.reasons),
            ],
        )


# The forecast sheet's columns: (header, key in `columns.forecast_lines`, width).
FORECAST_SHEET = (
    ("Indikaattori", "title", 36),
    ("Indikaattorin tunnus", "id", 10),
    ("Alue", "area", 22),
    ("Yksikkö", "unit", 10),
    ("Vuosi", "year", 8),
    ("Ennuste", "forecast", 10),
    ("Ennusteväli 80 %, alaraja", "lo80", 12),
    ("Ennusteväli 80 %, yläraja", "hi80", 12),
    ("Ennusteväli 95 %, alaraja", "lo95", 12),
    ("Ennusteväli 95 %, yläraja", "hi95", 12),
    ("Menetelmä", "method", 28),
    ("Osuvuus aiempina vuosina", "verdict", 60),
    ("Liittyvät ilmiöt", "phenomena", 40),
)
FORECAST_NOTE = (
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
    ws = wb.create_sheet("Ennusteet")
    _header(ws, [c[0] for c in FORECAST_SHEET], [c[2] for c in FORECAST_SHEET])
    for line in lines:
        _put(ws, [line[c[1]] for c in FORECAST_SHEET])
        shown = "0." + "0" * line["decimals"] if line["decimals"] > 0 else "0"
        for cell in ws[ws.max_row][5:10]:
            cell.number_format = shown


def _notes_sheet(wb: Any, brief: MeetingBrief) -> None:
    """ "Tietoja": what the brief covers, the disclosure legend and the indicators' source."""
    from openpyxl.styles import Font

    notes = wb.create_sheet("Tietoja")
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    for key, value in (
        ("Alue", f"{brief.scope.label} ({brief.region})"),
        ("Aikaväli", brief.window),
        ("Laadittu", fi_date(brief.generated_on)),
        ("Valinta", "; ".join(brief.selection)),
        ("Tietosuoja", brief.legend),
        ("Suojatut sarakkeet", PROTECTED_NOTE),
        ("Indikaattorit", f"{ATTRIBUTION}; tuottaja kunkin indikaattorin kohdalla."),
        *((("Ennusteet", FORECAST_NOTE),) if brief.forecasts else ()),
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

"""The meeting brief as an Excel workbook (XLSX): phenomena, monthly counts, municipalities
and notes, each on its own sheet.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from nakyma.disclosure import Cell
from nakyma.exports.brief import MeetingBrief, fi_date
from nakyma.exports.columns import BRIEF_COLUMNS, phenomenon_row
from nakyma.indicators import ATTRIBUTION


def render_xlsx(brief: MeetingBrief) -> bytes:
    """Sheets: phenomena (one row each), monthly counts, municipalities, and the notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    bold = Font(bold=True)

    def put(ws: Any, row: Sequence[Any]) -> None:
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

    def header(ws: Any, names: Sequence[str], widths: Sequence[int]) -> None:
        put(ws, names)
        for cell, width in zip(ws[1], widths, strict=True):
            cell.font = bold
            ws.column_dimensions[cell.column_letter].width = width
        ws.freeze_panes = "A2"

    ws = wb.active
    ws.title = "Ilmiöt"
    header(ws, BRIEF_COLUMNS, [22, 22, 8, 36, 14, 16, 50, 20, 40, 10, 10, 40, 40, 40, 50, 60, 50])
    wrap = Alignment(wrap_text=True, vertical="top")
    for p in brief.phenomena:
        fields = phenomenon_row(brief, p)
        put(ws, [fields[c] for c in BRIEF_COLUMNS])
        for cell in ws[ws.max_row]:
            cell.alignment = wrap

    months = wb.create_sheet("Kuukausittain")
    header(months, ["ilmio_id", "otsikko", "kuukausi", "havainnot", "uutiset"], [8, 36, 18, 10, 10])
    towns = wb.create_sheet("Kunnat")
    header(towns, ["ilmio_id", "otsikko", "kunta", "havainnot"], [8, 36, 20, 10])
    for p in brief.phenomena:
        for label, row in zip([*p.months.row_labels, "Yhteensä"], p.months.grid(), strict=True):
            put(months, [p.id, p.title, label, *row])
        if p.municipalities is not None:
            grid = p.municipalities.grid()
            for label, row in zip([*p.municipalities.row_labels, "Yhteensä"], grid, strict=True):
                put(towns, [p.id, p.title, label, row[0]])

    notes = wb.create_sheet("Tietoja")
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    for key, value in (
        ("Alue", f"{brief.scope.label} ({brief.region})"),
        ("Aikaväli", brief.window),
        ("Laadittu", fi_date(brief.generated_on)),
        ("Valinta", "; ".join(brief.selection)),
        ("Tietosuoja", brief.legend),
        ("Indikaattorit", f"{ATTRIBUTION}; tuottaja kunkin indikaattorin kohdalla."),
    ):
        put(notes, [key, value])
        notes.cell(notes.max_row, 1).font = bold
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

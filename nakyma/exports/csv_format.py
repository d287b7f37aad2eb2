"""The meeting brief as CSV: one row per phenomenon, then one per emerging theme, then one per
forecast year of the forecast page, for Excel in a Finnish locale."""

from __future__ import annotations

import csv
import io

from nakyma.disclosure import Cell
from nakyma.exports.brief import MeetingBrief
from nakyma.exports.columns import (
    CSV_COLUMNS,
    csv_headers,
    emerging_row,
    forecast_lines,
    forecast_row,
    phenomenon_row,
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: str) -> str:
    """A text a spreadsheet must not run as a formula (CSV/formula injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _text(value: object) -> str:
    """A value as the CSV cell: a count as published, a decimal number with a decimal comma
    (what Excel in a Finnish locale reads as a number), anything else as safe text."""
    if isinstance(value, Cell):
        return value.text
    if isinstance(value, float):
        return str(value).replace(".", ",")
    return _spreadsheet_safe(str(value))


def render_csv(brief: MeetingBrief) -> bytes:
    """One row per phenomenon, then one per emerging theme (state "Nouseva teema"), then one
    per forecast year of the forecast page (state "Ennuste", its numbers in the last
    columns), the header row and the labels in the brief's language; semicolon-separated
    UTF-8 with a byte order mark, which is what Excel in a Finnish locale opens directly."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(csv_headers(brief.language))
    rows = [phenomenon_row(brief, p) for p in brief.phenomena]
    rows += [emerging_row(brief, e) for e in brief.emerging]
    rows += [forecast_row(brief, line) for line in forecast_lines(brief)]
    for row in rows:
        writer.writerow([_text(row.get(c, "")) for c in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")

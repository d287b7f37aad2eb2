"""The meeting brief as CSV: one row per phenomenon, then one per emerging theme, for Excel in
a Finnish locale."""

from __future__ import annotations

import csv
import io

from nakyma.disclosure import Cell
from nakyma.exports.brief import MeetingBrief
from nakyma.exports.columns import BRIEF_COLUMNS, emerging_row, phenomenon_row

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: str) -> str:
    """A text a spreadsheet must not run as a formula (CSV/formula injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render_csv(brief: MeetingBrief) -> bytes:
    """One row per phenomenon, then one per emerging theme (state "Nouseva teema");
    semicolon-separated UTF-8 with a byte order mark, which is what Excel in a Finnish
    locale opens directly."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(BRIEF_COLUMNS)
    rows = [phenomenon_row(brief, p) for p in brief.phenomena]
    rows += [emerging_row(brief, e) for e in brief.emerging]
    for row in rows:
        writer.writerow(
            [
                row[c].text if isinstance(row[c], Cell) else _spreadsheet_safe(str(row[c]))
                for c in BRIEF_COLUMNS
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")

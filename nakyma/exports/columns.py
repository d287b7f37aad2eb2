"""The columns of the brief's spreadsheet formats: one row per phenomenon, shared by the CSV
and the XLSX's first sheet.
"""

from __future__ import annotations

from typing import Any

from nakyma.exports.brief import EmergingThemeBrief, MeetingBrief, PhenomenonBrief

BRIEF_COLUMNS = (
    "alue",
    "aikavali",
    "ilmio_id",
    "otsikko",
    "tila",
    "signaali",
    "perustelut",
    "teema",
    "yhteenveto",
    "havainnot",
    "uutiset",
    "havainnot_kuukausittain",
    "uutiset_kuukausittain",
    "kunnat",
    "indikaattorit",
    "havaintoja",
    "kysymykset",
)

# The spreadsheet's headers in Finnish (the CSV keeps the short machine names above).
BRIEF_HEADERS: dict[str, str] = {
    "alue": "Alue",
    "aikavali": "Aikaväli",
    "ilmio_id": "Ilmiön tunnus",
    "otsikko": "Otsikko",
    "tila": "Tila",
    "signaali": "Signaali",
    "perustelut": "Perustelut",
    "teema": "Teema",
    "yhteenveto": "Yhteenveto",
    "havainnot": "Havainnot",
    "uutiset": "Uutiset",
    "havainnot_kuukausittain": "Havainnot kuukausittain",
    "uutiset_kuukausittain": "Uutiset kuukausittain",
    "kunnat": "Kunnat",
    "indikaattorit": "Indikaattorit",
    "havaintoja": "Havaintoja",
    "kysymykset": "Kysymykset",
}


def phenomenon_row(brief: MeetingBrief, p: PhenomenonBrief) -> dict[str, Any]:
    """A phenomenon as one row by column name: texts, its id, and Cells for the two counts."""

    def monthly(j: int) -> str:
        return "; ".join(
            f"{label}: {row[j].text}"
            for label, row in zip(p.months.row_labels, p.months.cells, strict=True)
        )

    towns = ""
    if p.municipalities is not None:
        towns = "; ".join(
            f"{label}: {row[0].text}"
            for label, row in zip(p.municipalities.row_labels, p.municipalities.cells, strict=True)
        )
    return {
        "alue": brief.scope.label,
        "aikavali": brief.window,
        "ilmio_id": p.id,
        "otsikko": p.title,
        "tila": p.status_label,
        "signaali": p.category_label or "",
        "perustelut": " ".join(p.reasons),
        "teema": p.theme_label or "",
        "yhteenveto": p.summary or "",
        "havainnot": p.observations,
        "uutiset": p.headlines,
        "havainnot_kuukausittain": monthly(0),
        "uutiset_kuukausittain": monthly(1),
        "kunnat": towns,
        "indikaattorit": " | ".join(
            f"{i.title}: {i.values_text} ({i.attribution}, {i.url})" for i in p.indicators
        ),
        "havaintoja": " | ".join(f"”{t.text}” ({t.place}, {t.month})" for t in p.texts)
        or (p.texts_note or ""),
        "kysymykset": " ".join(p.questions),
    }


def emerging_row(brief: MeetingBrief, e: EmergingThemeBrief) -> dict[str, Any]:
    """An emerging theme as a row of the same columns: no phenomenon id, "Nouseva teema" as
    its state, its published count and places (already under disclosure control)."""
    row = dict.fromkeys(BRIEF_COLUMNS, "")
    row.update(
        {
            "alue": brief.scope.label,
            "aikavali": brief.window,
            "otsikko": e.title,
            "tila": "Nouseva teema (ei vielä ilmiö)",
            "signaali": e.category_label,
            "perustelut": " ".join(e.reasons),
            "havainnot": e.items,
            "kunnat": "; ".join(e.places),
        }
    )
    return row
